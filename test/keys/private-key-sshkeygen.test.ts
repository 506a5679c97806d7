import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SSH_CIPHER_NAMES } from '../../src/keys/cipher.js';
import { EncryptedKeyError, KeyParseError } from '../../src/keys/errors.js';
import { parsePrivateKey } from '../../src/keys/private-key.js';
import type { ParsedPrivateKey } from '../../src/keys/private-key.js';
import { parsePublicKey } from '../../src/keys/public-key.js';

// Cross-check against the system ssh-keygen (OpenSSH 9.x): keys it writes, in every format and
// cipher it offers, must parse to the public key and fingerprint it reports.
let dir: string;
let n = 0;
const PASS = 'test-passphrase-5';

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kf-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function sshKeygen(args: string[]): string {
  return execFileSync('ssh-keygen', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Generates a key with ssh-keygen; returns its path. */
function keygen(args: string[]): string {
  const file = path.join(dir, `key${++n}`);
  sshKeygen(['-q', '-f', file, ...args]);
  return file;
}

/** `ssh-keygen -l -f FILE.pub`: [bits, fingerprint]. */
function keygenFingerprint(file: string): { bits: number; fingerprint: string } {
  const [bits, fingerprint] = sshKeygen(['-l', '-E', 'sha256', '-f', `${file}.pub`]).split(' ');
  return { bits: Number(bits), fingerprint: fingerprint! };
}

function expectSameAsKeygen(file: string, parsed: ParsedPrivateKey): void {
  const want = keygenFingerprint(file);
  expect(parsed.publicKey.fingerprint).toBe(want.fingerprint);
  expect(parsed.publicKey.bits).toBe(want.bits);
  const pub = parsePublicKey(fs.readFileSync(`${file}.pub`, 'utf8'));
  expect(parsed.publicKey.blob.equals(pub.blob)).toBe(true);
}

const KEY_TYPES: Array<{ name: string; args: string[] }> = [
  { name: 'ed25519', args: ['-t', 'ed25519'] },
  { name: 'ecdsa-256', args: ['-t', 'ecdsa', '-b', '256'] },
  { name: 'ecdsa-384', args: ['-t', 'ecdsa', '-b', '384'] },
  { name: 'ecdsa-521', args: ['-t', 'ecdsa', '-b', '521'] },
  { name: 'rsa-2048', args: ['-t', 'rsa', '-b', '2048'] },
];

describe('ssh-keygen keys in OpenSSH format', () => {
  for (const t of KEY_TYPES) {
    it(`${t.name}, unencrypted, keeps the comment`, () => {
      const file = keygen([...t.args, '-N', '', '-C', `${t.name} comment with spaces`]);
      const parsed = parsePrivateKey(fs.readFileSync(file, 'utf8'), { source: file });
      expect(parsed).toMatchObject({ format: 'openssh', encrypted: false });
      expect(parsed.publicKey.comment).toBe(`${t.name} comment with spaces`);
      expectSameAsKeygen(file, parsed);
    });

    it(`${t.name}, -N passphrase (aes256-ctr + bcrypt)`, () => {
      const file = keygen([...t.args, '-N', PASS, '-C', 'c']);
      const text = fs.readFileSync(file, 'utf8');
      const parsed = parsePrivateKey(text, { source: file, passphrase: PASS });
      expect(parsed).toMatchObject({
        format: 'openssh',
        encrypted: true,
        cipher: 'aes256-ctr',
        kdf: 'bcrypt',
      });
      expect(parsed.publicKey.comment).toBe('c');
      expectSameAsKeygen(file, parsed);
      expect(() => parsePrivateKey(text, { source: file })).toThrow(EncryptedKeyError);
      expect(() => parsePrivateKey(text, { source: file, passphrase: PASS + 'x' })).toThrow(
        /wrong passphrase/,
      );
    });
  }

  it('DSA is read and reported as ssh-dss (unsupported; policy forbids it)', () => {
    const file = keygen(['-t', 'dsa', '-N', '']);
    const parsed = parsePrivateKey(fs.readFileSync(file, 'utf8'));
    expect(parsed.publicKey).toMatchObject({ type: 'ssh-dss', family: 'DSA', unsupported: true });
    expectSameAsKeygen(file, parsed);
  });
});

describe('ssh-keygen -Z: every cipher OpenSSH offers', () => {
  const offered = sshKeygenCiphers();
  it('keyfleet supports every cipher ssh -Q cipher lists', () => {
    expect(offered.length).toBeGreaterThan(5);
    for (const c of offered) expect(SSH_CIPHER_NAMES).toContain(c);
  });
  for (const cipher of offered) {
    it(cipher, () => {
      const file = keygen(['-t', 'ed25519', '-N', PASS, '-Z', cipher, '-a', '2', '-C', cipher]);
      const text = fs.readFileSync(file, 'utf8');
      const parsed = parsePrivateKey(text, { passphrase: PASS });
      expect(parsed.cipher).toBe(cipher);
      expect(parsed.publicKey.comment).toBe(cipher);
      expectSameAsKeygen(file, parsed);
      const err = (() => {
        try {
          parsePrivateKey(text, { passphrase: 'wrong-passphrase', source: file });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(EncryptedKeyError);
    });
  }
});

function sshKeygenCiphers(): string[] {
  return execFileSync('ssh', ['-Q', 'cipher'], { encoding: 'utf8' }).trim().split('\n');
}

describe('ssh-keygen -m PEM and -m PKCS8', () => {
  const cases: Array<{ name: string; args: string[]; format: string }> = [
    { name: 'rsa PEM', args: ['-t', 'rsa', '-b', '2048', '-m', 'PEM'], format: 'pem-rsa' },
    { name: 'ecdsa-256 PEM', args: ['-t', 'ecdsa', '-b', '256', '-m', 'PEM'], format: 'pem-ec' },
    { name: 'ecdsa-521 PEM', args: ['-t', 'ecdsa', '-b', '521', '-m', 'PEM'], format: 'pem-ec' },
    { name: 'dsa PEM', args: ['-t', 'dsa', '-m', 'PEM'], format: 'pem-dsa' },
    { name: 'rsa PKCS8', args: ['-t', 'rsa', '-b', '2048', '-m', 'PKCS8'], format: 'pkcs8' },
    { name: 'ecdsa-384 PKCS8', args: ['-t', 'ecdsa', '-b', '384', '-m', 'PKCS8'], format: 'pkcs8' },
  ];
  for (const c of cases) {
    it(`${c.name}, unencrypted`, () => {
      const file = keygen([...c.args, '-N', '']);
      const parsed = parsePrivateKey(fs.readFileSync(file, 'utf8'), { source: file });
      expect(parsed).toMatchObject({ format: c.format, encrypted: false });
      expectSameAsKeygen(file, parsed);
    });

    it(`${c.name}, with -N passphrase`, () => {
      const file = keygen([...c.args, '-N', PASS]);
      const text = fs.readFileSync(file, 'utf8');
      const parsed = parsePrivateKey(text, { source: file, passphrase: PASS });
      expect(parsed).toMatchObject({ format: c.format, encrypted: true });
      expect(parsed.cipher).toBeDefined();
      expectSameAsKeygen(file, parsed);
      const missing = (() => {
        try {
          parsePrivateKey(text, { source: file });
        } catch (e) {
          return e as Error;
        }
        throw new Error('expected an error');
      })();
      expect(missing).toBeInstanceOf(EncryptedKeyError);
      expect(missing.message).toBe(
        `${file}: private key is encrypted; pass its passphrase with --passphrase-file FILE`,
      );
      expect(() => parsePrivateKey(text, { source: file, passphrase: 'nope-nope' })).toThrow(
        /wrong passphrase/,
      );
    });
  }

  it('encrypted PKCS#8 reports its PBES2 cipher and KDF', () => {
    const file = keygen(['-t', 'ecdsa', '-m', 'PKCS8', '-N', PASS]);
    const parsed = parsePrivateKey(fs.readFileSync(file, 'utf8'), { passphrase: PASS });
    expect(parsed.cipher).toMatch(/^aes-(128|192|256)-cbc$/);
    expect(parsed.kdf).toMatch(/^(pbkdf2|scrypt)$/);
  });
});

describe('node:crypto PKCS#8 keys', () => {
  it('Ed25519 PKCS#8 (encrypted) parses to the ssh-ed25519 key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: PASS });
    const parsed = parsePrivateKey(pem as string, { passphrase: PASS });
    const x = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    expect(parsed.publicKey.type).toBe('ssh-ed25519');
    expect(parsed.publicKey.blob.subarray(-32).equals(x)).toBe(true);
    expect(parsed).toMatchObject({ format: 'pkcs8', encrypted: true, cipher: 'aes-256-cbc', kdf: 'pbkdf2' });
  });

  it('keys with no OpenSSH type (secp256k1, Ed448, X25519) are refused by name', () => {
    const keys = [
      generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey,
      generateKeyPairSync('ed448').privateKey,
      generateKeyPairSync('x25519').privateKey,
    ];
    for (const k of keys) {
      const pem = k.export({ format: 'pem', type: 'pkcs8' }) as string;
      let err: unknown;
      try {
        parsePrivateKey(pem, { source: 'k.pem' });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(KeyParseError);
      expect((err as Error).message).toMatch(/^k\.pem: a (ec|ed448|x25519) key.* has no OpenSSH key type/);
    }
  });
});
