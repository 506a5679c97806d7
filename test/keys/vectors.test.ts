/**
 * OpenSSH's own key fixtures (regress/unittests/sshkey/testdata) as an oracle for the public
 * key parser: every `.pub` and `-cert.pub` against its `.fp`, ssh-keygen where a `.fp` is
 * missing, and the raw `.param.*` values against what we parsed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CERT_FOREVER } from '../../src/keys/certificate.js';
import { keygenTypeLabel, parsePublicKey } from '../../src/keys/public-key.js';
import {
  HAVE_SSH_KEYGEN,
  VECTORS,
  keygenList,
  sshKeygen,
  sshKeygenStatus,
  vector,
} from './public-key-fixtures.js';

const files = fs.readdirSync(VECTORS);
const pubs = files.filter((f) => f.endsWith('.pub') && !f.includes('.param.')).sort();

/** Types ssh-keygen 9.2 cannot read (newer than it). */
const TOO_NEW_FOR_KEYGEN = /^mldsa44/;

describe('OpenSSH test vectors: public keys and certificates', () => {
  it('has the vectors we expect', () => {
    expect(pubs.length).toBeGreaterThanOrEqual(20);
    expect(pubs).toContain('ed25519_sk1-cert.pub');
    expect(pubs).toContain('mldsa44_ed25519_1.pub');
  });

  for (const file of pubs) {
    const base = file.slice(0, -'.pub'.length);
    const fpFile = `${base}.fp`;

    it(`${file}: fingerprint equals ${files.includes(fpFile) ? fpFile : 'ssh-keygen -l'}`, () => {
      const key = parsePublicKey(vector(file));
      if (files.includes(fpFile)) {
        expect(key.fingerprint).toBe(vector(fpFile));
      } else {
        expect(HAVE_SSH_KEYGEN).toBe(true);
        expect(key.fingerprint).toBe(keygenList(path.join(VECTORS, file)).fingerprint);
      }
    });

    if (TOO_NEW_FOR_KEYGEN.test(file)) {
      it(`${file}: an unknown type is reported, not crashed on`, () => {
        const key = parsePublicKey(vector(file));
        expect(key.family).toBe('UNKNOWN');
        expect(key.bits).toBe(0);
        expect(key.unsupported).toBe(true);
        expect(key.type).toBe(vector(file).split(' ')[0]);
        expect(key.comment).not.toBe('');
      });
      continue;
    }

    it.runIf(HAVE_SSH_KEYGEN)(`${file}: bits, MD5, comment and type label equal ssh-keygen -l`, () => {
      const key = parsePublicKey(vector(file));
      const sha = keygenList(path.join(VECTORS, file));
      const md5 = keygenList(path.join(VECTORS, file), 'md5');
      expect(key.bits).toBe(sha.bits);
      expect(key.fingerprint).toBe(sha.fingerprint);
      expect(key.md5).toBe(md5.fingerprint);
      expect(key.comment).toBe(sha.comment);
      expect(keygenTypeLabel(key)).toBe(sha.label);
      expect(key.unsupported).toBeUndefined();
    });
  }

  const certs = pubs.filter((f) => f.endsWith('-cert.pub'));
  for (const file of certs) {
    it(`${file}: certificate fields equal ssh-keygen -L`, () => {
      const key = parsePublicKey(vector(file));
      const cert = key.certificate!;
      expect(cert).toBeDefined();
      expect(cert.certType).toBe(key.type);
      // The certificate's fingerprint is its certified key's: the plain .pub has the same one.
      const plain = file.replace('-cert.pub', '.pub');
      if (files.includes(plain)) expect(key.fingerprint).toBe(parsePublicKey(vector(plain)).fingerprint);
      expect(cert.certFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      expect(cert.certFingerprint).not.toBe(key.fingerprint);
      if (TOO_NEW_FOR_KEYGEN.test(file) || !HAVE_SSH_KEYGEN) return;

      const out = sshKeygen(['-L', '-f', path.join(VECTORS, file)]);
      const field = (name: string): string => new RegExp(`^\\s*${name}: (.*)$`, 'm').exec(out)![1]!.trim();
      expect(field('Type')).toBe(`${key.type} ${cert.role} certificate`);
      expect(field('Key ID')).toBe(JSON.stringify(cert.keyId));
      expect(field('Serial')).toBe(String(cert.serial));
      const ca = /^(\S+) (SHA256:\S+) \(using (\S+)\)$/.exec(field('Signing CA'))!;
      expect(ca[2]).toBe(cert.caFingerprint);
      expect(ca[3]).toBe(cert.signatureType);
      const iso = (s: bigint): string => new Date(Number(s) * 1000).toISOString().slice(0, 19);
      const to = cert.validBefore === CERT_FOREVER ? 'forever' : iso(cert.validBefore);
      expect(field('Valid')).toBe(`from ${iso(cert.validAfter)} to ${to}`);
      const section = (name: string): string[] => {
        const m = new RegExp(`^\\s*${name}: ?(\\(none\\))?\\n((?:\\s{16}.*\\n?)*)`, 'm').exec(out)!;
        return m[1]
          ? []
          : m[2]!
              .split('\n')
              .map((l) => l.trim())
              .filter(Boolean);
      };
      expect(cert.principals).toEqual(section('Principals'));
      expect(Object.entries(cert.criticalOptions).map(([k, v]) => (v ? `${k} ${v}` : k))).toEqual(
        section('Critical Options'),
      );
      expect(cert.extensions).toEqual(section('Extensions'));
    });
  }

  it('rsa_1_sha1-cert.pub is signed with ssh-rsa (SHA-1), rsa_1_sha512-cert.pub with rsa-sha2-512', () => {
    expect(parsePublicKey(vector('rsa_1_sha1-cert.pub')).certificate!.signatureType).toBe('ssh-rsa');
    expect(parsePublicKey(vector('rsa_1_sha512-cert.pub')).certificate!.signatureType).toBe('rsa-sha2-512');
  });

  it('the unknown-type certificate still yields its key id, principals and CA (found by its structure)', () => {
    const key = parsePublicKey(vector('mldsa44_ed25519_1-cert.pub'));
    expect(key.family).toBe('UNKNOWN');
    expect(key.unsupported).toBe(true);
    expect(key.certificate!.keyId).toBe('julius');
    expect(key.certificate!.principals).toEqual(['host1', 'host2']);
    expect(key.certificate!.caType).toBe('ssh-ed25519');
    expect(key.fingerprint).toBe(vector('mldsa44_ed25519_1-cert.fp'));
  });

  it('ssh-keygen 9.2 really cannot read the post-quantum vectors (so they test our unknown-type path)', () => {
    if (!HAVE_SSH_KEYGEN) return;
    expect(sshKeygenStatus(['-l', '-f', path.join(VECTORS, 'mldsa44_ed25519_1.pub')]).status).not.toBe(0);
  });
});

describe('OpenSSH test vectors: raw parameters', () => {
  const curveOf: Record<string, string> = {
    prime256v1: 'nistp256',
    secp384r1: 'nistp384',
    secp521r1: 'nistp521',
  };
  const ecdsa = files.filter((f) => /^ecdsa_\d+\.param\.curve$/.test(f));
  const rsa = files.filter((f) => /^rsa_\d+\.param\.n$/.test(f));

  it('has parameter files', () => {
    expect(ecdsa.length).toBeGreaterThan(0);
    expect(rsa.length).toBeGreaterThan(0);
  });

  for (const f of ecdsa) {
    const base = f.split('.')[0]!;
    it(`${base}: curve and public point equal ${base}.param.*`, () => {
      const key = parsePublicKey(vector(`${base}.pub`));
      expect(key.curve).toBe(curveOf[vector(f)]);
      expect(key.type).toBe(`ecdsa-sha2-${key.curve}`);
      const point = Buffer.from(vector(`${base}.param.pub`), 'hex');
      // The blob ends with string(point).
      expect(key.blob.subarray(key.blob.length - point.length).equals(point)).toBe(true);
      expect(key.blob.readUInt32BE(key.blob.length - point.length - 4)).toBe(point.length);
    });
  }

  for (const f of rsa) {
    const base = f.split('.')[0]!;
    it(`${base}: modulus and bits equal ${base}.param.n`, () => {
      const key = parsePublicKey(vector(`${base}.pub`));
      const n = BigInt('0x' + vector(f));
      expect(key.bits).toBe(n.toString(2).length);
      const nHex = n.toString(16);
      expect(key.blob.toString('hex')).toContain(nHex.length % 2 ? '0' + nHex : nHex);
    });
  }
});
