/**
 * Cross-check against the system ssh-keygen (OpenSSH 9.2): keys of every type it can make,
 * generated at test time, and certificates signed by generated CAs. Fingerprints (SHA256 and
 * MD5), bits, type label and comment must equal `ssh-keygen -l`; certificate fields `-L`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAuthorizedKeysLine } from '../../src/keys/authorized-keys.js';
import { CERT_FOREVER } from '../../src/keys/certificate.js';
import { formatPublicKey, keygenTypeLabel, parsePublicKey } from '../../src/keys/public-key.js';
import {
  HAVE_SSH_KEYGEN,
  generateKey,
  keygenList,
  makeTempDir,
  parseKeygenList,
  removeDir,
  sshKeygen,
  sshKeygenStatus,
} from './public-key-fixtures.js';

const KEYS: { name: string; type: string; bits?: number; family: string; expectBits: number }[] = [
  { name: 'ed25519', type: 'ed25519', family: 'ED25519', expectBits: 256 },
  { name: 'ecdsa256', type: 'ecdsa', bits: 256, family: 'ECDSA', expectBits: 256 },
  { name: 'ecdsa384', type: 'ecdsa', bits: 384, family: 'ECDSA', expectBits: 384 },
  { name: 'ecdsa521', type: 'ecdsa', bits: 521, family: 'ECDSA', expectBits: 521 },
  { name: 'rsa1024', type: 'rsa', bits: 1024, family: 'RSA', expectBits: 1024 },
  { name: 'rsa2048', type: 'rsa', bits: 2048, family: 'RSA', expectBits: 2048 },
  { name: 'rsa3072', type: 'rsa', bits: 3072, family: 'RSA', expectBits: 3072 },
  { name: 'rsa4096', type: 'rsa', bits: 4096, family: 'RSA', expectBits: 4096 },
  { name: 'dsa', type: 'dsa', family: 'DSA', expectBits: 1024 },
];

describe.runIf(HAVE_SSH_KEYGEN)('cross-check with the system ssh-keygen', () => {
  let dir: string;
  beforeAll(() => {
    dir = makeTempDir();
    for (const k of KEYS) generateKey(dir, k.name, k.type, k.bits, `${k.name} test key with spaces`);
  });
  afterAll(() => removeDir(dir));

  for (const k of KEYS) {
    it(`${k.name}: fingerprint, MD5, bits, family and comment equal ssh-keygen -l`, () => {
      const pub = path.join(dir, `${k.name}.pub`);
      const key = parsePublicKey(fs.readFileSync(pub, 'utf8'));
      const sha = keygenList(pub);
      const md5 = keygenList(pub, 'md5');
      expect(key.fingerprint).toBe(sha.fingerprint);
      expect(key.md5).toBe(md5.fingerprint);
      expect(key.bits).toBe(sha.bits);
      expect(key.bits).toBe(k.expectBits);
      expect(key.family).toBe(k.family);
      expect(keygenTypeLabel(key)).toBe(sha.label);
      expect(key.comment).toBe(`${k.name} test key with spaces`);
      expect(key.unsupported).toBe(k.family === 'DSA' ? true : undefined);
      // Formatting gives back the file's line byte for byte.
      expect(formatPublicKey(key)).toBe(fs.readFileSync(pub, 'utf8').trim());
    });
  }

  it('an authorized_keys file of every type, with options: same keys in the same order as ssh-keygen -l', () => {
    const opts = ['', 'restrict ', 'command="echo a, b",from="10.0.0.0/8" ', 'no-pty,no-X11-forwarding '];
    const lines = KEYS.map(
      (k, i) => opts[i % opts.length] + fs.readFileSync(path.join(dir, `${k.name}.pub`), 'utf8').trim(),
    );
    const file = path.join(dir, 'authorized_keys');
    fs.writeFileSync(file, ['# a comment', '', ...lines].join('\n') + '\n');
    const listing = sshKeygen(['-l', '-f', file]).trim().split('\n').map(parseKeygenList);
    const ours = lines.map((l) => parseAuthorizedKeysLine(l)!.key);
    expect(ours.map((k) => [k.bits, k.fingerprint, k.comment, keygenTypeLabel(k)])).toEqual(
      listing.map((l) => [l.bits, l.fingerprint, l.comment, l.label]),
    );
  });

  it('rsa-sha2-256/512 as the type in the text: accepted as ssh-rsa, as ssh-keygen does; other mismatches refused by both', () => {
    const rsa = fs.readFileSync(path.join(dir, 'rsa2048.pub'), 'utf8').trim().split(' ');
    const ed = fs.readFileSync(path.join(dir, 'ed25519.pub'), 'utf8').trim().split(' ');
    const cases: [string, boolean][] = [
      [`rsa-sha2-256 ${rsa[1]} c`, true],
      [`rsa-sha2-512 ${rsa[1]} c`, true],
      [`RSA ${rsa[1]} c`, false],
      [`ssh-rsa ${ed[1]} c`, false],
      [`ssh-ed25519-cert-v01@openssh.com ${ed[1]} c`, false],
      [`rsa-sha2-256 ${ed[1]} c`, false],
    ];
    for (const [line, ok] of cases) {
      const file = path.join(dir, 'alias.pub');
      fs.writeFileSync(file, line + '\n');
      expect([line.split(' ')[0], sshKeygenStatus(['-l', '-f', file]).status === 0]).toEqual([
        line.split(' ')[0],
        ok,
      ]);
      if (ok) {
        const key = parsePublicKey(line);
        expect(key.type).toBe('ssh-rsa');
        expect(key.fingerprint).toBe(keygenList(file).fingerprint);
      } else {
        expect(() => parsePublicKey(line)).toThrow(/does not match|does not start with a key type/);
      }
    }
  });

  describe('certificates signed with ssh-keygen -s', () => {
    const CAS = [
      { name: 'ca_ed25519', type: 'ed25519', sigType: 'ssh-ed25519' },
      { name: 'ca_ecdsa384', type: 'ecdsa', bits: 384, sigType: 'ecdsa-sha2-nistp384' },
      { name: 'ca_rsa', type: 'rsa', bits: 3072, sigType: 'rsa-sha2-512' },
    ];
    const certs: { file: string; role: 'user' | 'host'; ca: string; sigType: string; subject: string }[] = [];

    beforeAll(() => {
      for (const ca of CAS) generateKey(dir, ca.name, ca.type, ca.bits);
      for (const ca of CAS) {
        for (const subject of ['ed25519', 'ecdsa521', 'rsa3072']) {
          // User certificate with options, principals and a fixed window.
          const userKey = path.join(dir, `${subject}-${ca.name}-user`);
          fs.copyFileSync(path.join(dir, `${subject}.pub`), `${userKey}.pub`);
          sshKeygen([
            '-q', '-s', path.join(dir, ca.name), '-I', `user id ${subject}`, '-n', 'alice,bob', '-z', '42',
            '-V', '20200101000000:20300101000000', '-O', 'force-command=/usr/bin/git-shell -c "x"',
            '-O', 'source-address=10.0.0.0/8', '-O', 'no-pty', `${userKey}.pub`,
          ]); // prettier-ignore
          certs.push({
            file: `${userKey}-cert.pub`,
            role: 'user',
            ca: ca.name,
            sigType: ca.sigType,
            subject,
          });
          // Host certificate, valid forever.
          const hostKey = path.join(dir, `${subject}-${ca.name}-host`);
          fs.copyFileSync(path.join(dir, `${subject}.pub`), `${hostKey}.pub`);
          sshKeygen([
            '-q',
            '-s',
            path.join(dir, ca.name),
            '-h',
            '-I',
            'host id',
            '-n',
            'git.example.com',
            `${hostKey}.pub`,
          ]);
          certs.push({
            file: `${hostKey}-cert.pub`,
            role: 'host',
            ca: ca.name,
            sigType: ca.sigType,
            subject,
          });
        }
      }
    });

    it('generated 18 certificates', () => {
      expect(certs).toHaveLength(18);
    });

    it('each certificate: -l fields, and key id, serial, principals, validity, options, CA as ssh-keygen -L', () => {
      for (const c of certs) {
        const key = parsePublicKey(fs.readFileSync(c.file, 'utf8'));
        const sha = keygenList(c.file);
        expect([key.fingerprint, key.bits, keygenTypeLabel(key), key.md5]).toEqual([
          sha.fingerprint,
          sha.bits,
          sha.label,
          keygenList(c.file, 'md5').fingerprint,
        ]);
        const plain = parsePublicKey(fs.readFileSync(path.join(dir, `${c.subject}.pub`), 'utf8'));
        expect(key.fingerprint).toBe(plain.fingerprint);
        expect(key.family).toBe(plain.family);

        const cert = key.certificate!;
        const caKey = parsePublicKey(fs.readFileSync(path.join(dir, `${c.ca}.pub`), 'utf8'));
        expect(cert.caFingerprint).toBe(caKey.fingerprint);
        expect(cert.caType).toBe(caKey.type);
        expect(cert.signatureType).toBe(c.sigType);
        expect(cert.role).toBe(c.role);

        const out = sshKeygen(['-L', '-f', c.file]);
        expect(out).toContain(`Signing CA: ${caKey.family} ${cert.caFingerprint} (using ${c.sigType})`);
        expect(out).toContain(`Key ID: ${JSON.stringify(cert.keyId)}`);
        expect(out).toContain(`Serial: ${cert.serial}`);
        if (c.role === 'user') {
          expect(cert.keyId).toBe(`user id ${c.subject}`);
          expect(cert.serial).toBe(42n);
          expect(cert.principals).toEqual(['alice', 'bob']);
          expect(cert.validAfter).toBe(BigInt(Date.UTC(2020, 0, 1) / 1000));
          expect(cert.validBefore).toBe(BigInt(Date.UTC(2030, 0, 1) / 1000));
          expect(out).toContain('Valid: from 2020-01-01T00:00:00 to 2030-01-01T00:00:00');
          expect(cert.criticalOptions).toEqual({
            'force-command': '/usr/bin/git-shell -c "x"',
            'source-address': '10.0.0.0/8',
          });
          // -O no-pty removes permit-pty from the default extensions.
          expect(cert.extensions).toEqual([
            'permit-X11-forwarding',
            'permit-agent-forwarding',
            'permit-port-forwarding',
            'permit-user-rc',
          ]);
          for (const e of cert.extensions) expect(out).toMatch(new RegExp(`^\\s+${e}$`, 'm'));
        } else {
          expect(cert.principals).toEqual(['git.example.com']);
          expect(cert.validAfter).toBe(0n);
          expect(cert.validBefore).toBe(CERT_FOREVER);
          expect(out).toContain('Valid: forever');
          expect(cert.extensions).toEqual([]);
        }
      }
    });

    it('a certificate whose signed bytes were altered is rejected, as ssh-keygen rejects it', () => {
      const c = certs.find((x) => x.role === 'user' && x.ca === 'ca_ed25519')!;
      const [type, b64, ...rest] = fs.readFileSync(c.file, 'utf8').trim().split(' ');
      const blob = Buffer.from(b64!, 'base64');
      const at = blob.indexOf(Buffer.from('alice'));
      blob[at] = 'A'.charCodeAt(0); // principal "Alice": same length, broken signature
      const line = [type, blob.toString('base64'), ...rest].join(' ');
      const file = path.join(dir, 'tampered-cert.pub');
      fs.writeFileSync(file, line + '\n');
      expect(() => sshKeygen(['-l', '-f', file])).toThrow();
      expect(() => parsePublicKey(line)).toThrow(/signature.*does not verify/);
    });
  });
});
