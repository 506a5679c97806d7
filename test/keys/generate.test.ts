import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SSH_CIPHER_NAMES } from '../../src/keys/cipher.js';
import { EncryptedKeyError } from '../../src/keys/errors.js';
import { generateKeyPair, generateKeyPairAsync, resolveKeySpec } from '../../src/keys/generate.js';
import type { GenerateKeyOptions, GeneratedKeyPair } from '../../src/keys/generate.js';
import { parsePrivateKey } from '../../src/keys/private-key.js';
import { parsePublicKey } from '../../src/keys/public-key.js';
import { UsageError } from '../../src/errors.js';

// Generated keys are checked by the system ssh-keygen (OpenSSH 9.x): `-y` must print the same
// public key, `-l` the same fingerprint and bits, and encrypted keys must open with `-P`.
let dir: string;
let n = 0;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kf-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function sshKeygen(args: string[]): string {
  return execFileSync('ssh-keygen', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Writes the private key (0600, as ssh-keygen insists) and returns its path; no .pub beside it. */
function writePrivate(pair: GeneratedKeyPair): string {
  const file = path.join(dir, `gen${++n}`);
  fs.writeFileSync(file, pair.privateKey, { mode: 0o600 });
  return file;
}

/** ssh-keygen -y reads the private key back to exactly our public key; -l agrees on bits and fingerprint. */
function expectKeygenAgrees(pair: GeneratedKeyPair, passphrase?: string): void {
  const file = writePrivate(pair);
  const y = sshKeygen(['-y', ...(passphrase === undefined ? [] : ['-P', passphrase]), '-f', file]);
  const derived = parsePublicKey(y);
  expect(derived.fingerprint).toBe(pair.key.fingerprint);
  expect(derived.blob.equals(pair.key.blob)).toBe(true);
  expect(derived.comment).toBe(pair.key.comment);
  if (passphrase === undefined) {
    // -l on the private file itself (no .pub beside it): ssh-keygen derives the public half.
    const [bits, fp] = sshKeygen(['-l', '-E', 'sha256', '-f', file]).split(' ');
    expect(fp).toBe(pair.key.fingerprint);
    expect(Number(bits)).toBe(pair.key.bits);
  }
}

/** Decodes an OpenSSH private key file's container header. */
function header(text: string): {
  cipher: string;
  kdf: string;
  salt?: Buffer;
  rounds?: number;
  bodyLines: string[];
} {
  const lines = text.trimEnd().split('\n');
  const bodyLines = lines.slice(1, -1);
  const b = Buffer.from(bodyLines.join(''), 'base64');
  expect(b.subarray(0, 15).toString('latin1')).toBe('openssh-key-v1\0');
  let off = 15;
  const str = () => {
    const len = b.readUInt32BE(off);
    const v = b.subarray(off + 4, off + 4 + len);
    off += 4 + len;
    return v;
  };
  const cipher = str().toString();
  const kdf = str().toString();
  const opts = str();
  if (kdf !== 'bcrypt') return { cipher, kdf, bodyLines };
  const saltLen = opts.readUInt32BE(0);
  return {
    cipher,
    kdf,
    salt: opts.subarray(4, 4 + saltLen),
    rounds: opts.readUInt32BE(4 + saltLen),
    bodyLines,
  };
}

const SPECS: Array<{ options: GenerateKeyOptions; type: string; bits: number }> = [
  { options: {}, type: 'ssh-ed25519', bits: 256 },
  { options: { type: 'ecdsa' }, type: 'ecdsa-sha2-nistp256', bits: 256 },
  { options: { type: 'ecdsa', bits: 384 }, type: 'ecdsa-sha2-nistp384', bits: 384 },
  { options: { type: 'ecdsa', bits: 521 }, type: 'ecdsa-sha2-nistp521', bits: 521 },
  { options: { type: 'rsa', bits: 2048 }, type: 'ssh-rsa', bits: 2048 },
  { options: { type: 'rsa' }, type: 'ssh-rsa', bits: 3072 },
];

describe('generateKeyPair: ssh-keygen reads what we write', () => {
  for (const spec of SPECS) {
    const label = `${spec.type} ${spec.bits}`;
    it(`${label}, unencrypted`, () => {
      const pair = generateKeyPair({ ...spec.options, comment: `kf ${label}` });
      expect(pair.key).toMatchObject({ type: spec.type, bits: spec.bits, comment: `kf ${label}` });
      expect(pair.publicKey).toBe(`${spec.type} ${pair.key.blob.toString('base64')} kf ${label}\n`);
      expect(header(pair.privateKey)).toMatchObject({ cipher: 'none', kdf: 'none' });
      expectKeygenAgrees(pair);
      // And our own parser reads it back.
      const parsed = parsePrivateKey(pair.privateKey);
      expect(parsed).toMatchObject({ format: 'openssh', encrypted: false });
      expect(parsed.publicKey.fingerprint).toBe(pair.key.fingerprint);
      expect(parsed.publicKey.comment).toBe(`kf ${label}`);
    });
  }

  it('rsa 4096 via generateKeyPairAsync', async () => {
    const pair = await generateKeyPairAsync({ type: 'rsa', bits: 4096, comment: 'async' });
    expect(pair.key).toMatchObject({ type: 'ssh-rsa', bits: 4096 });
    expectKeygenAgrees(pair);
  });

  it('generateKeyPairAsync defaults to ed25519', async () => {
    const pair = await generateKeyPairAsync();
    expect(pair.key.type).toBe('ssh-ed25519');
    expectKeygenAgrees(pair);
  });

  it('an empty comment writes a bare .pub line', () => {
    const pair = generateKeyPair();
    expect(pair.key.comment).toBe('');
    expect(pair.publicKey).toBe(`ssh-ed25519 ${pair.key.blob.toString('base64')}\n`);
    expectKeygenAgrees(pair);
  });

  it('two generated keys differ', () => {
    expect(generateKeyPair().key.fingerprint).not.toBe(generateKeyPair().key.fingerprint);
  });
});

describe('file layout matches ssh-keygen byte for byte in shape', () => {
  it('ed25519: same armor, 70-column lines and length as ssh-keygen with the same comment', () => {
    const file = path.join(dir, `sk${++n}`);
    sshKeygen(['-q', '-t', 'ed25519', '-N', '', '-C', 'same-comment', '-f', file]);
    const theirs = fs.readFileSync(file, 'utf8');
    const ours = generateKeyPair({ comment: 'same-comment' }).privateKey;
    const shape = (t: string) => t.split('\n').map((l) => (l.startsWith('-----') ? l : l.length));
    expect(shape(ours)).toEqual(shape(theirs));
    expect(ours.endsWith('-----END OPENSSH PRIVATE KEY-----\n')).toBe(true);
  });

  it('ed25519 with passphrase: same shape as ssh-keygen -N', () => {
    const file = path.join(dir, `sk${++n}`);
    sshKeygen(['-q', '-t', 'ed25519', '-N', 'passphrase-1', '-C', 'c', '-f', file]);
    const theirs = fs.readFileSync(file, 'utf8');
    const ours = generateKeyPair({ comment: 'c', passphrase: 'passphrase-1' }).privateKey;
    const shape = (t: string) => t.split('\n').map((l) => (l.startsWith('-----') ? l : l.length));
    expect(shape(ours)).toEqual(shape(theirs));
    const h = header(theirs);
    expect(header(ours)).toMatchObject({ cipher: h.cipher, kdf: h.kdf, rounds: h.rounds });
  });

  it('private section: equal checkints, padding 1,2,3...', () => {
    const pair = generateKeyPair({ type: 'ecdsa', comment: 'x' });
    const { bodyLines } = header(pair.privateKey);
    for (const l of bodyLines.slice(0, -1)) expect(l).toHaveLength(70);
    const b = Buffer.from(bodyLines.join(''), 'base64');
    let off = 15;
    for (let i = 0; i < 3; i++) off += 4 + b.readUInt32BE(off);
    off += 4;
    off += 4 + b.readUInt32BE(off);
    const len = b.readUInt32BE(off);
    const section = b.subarray(off + 4, off + 4 + len);
    expect(len % 8).toBe(0);
    expect(section.readUInt32BE(0)).toBe(section.readUInt32BE(4));
    const commentEnd = section.lastIndexOf(Buffer.from('x')) + 1;
    const pad = [...section.subarray(commentEnd)];
    expect(pad).toEqual(pad.map((_, i) => i + 1));
  });
});

describe('passphrase encryption (bcrypt + aes256-ctr, as ssh-keygen -N)', () => {
  const PASS = 'correct horse battery';

  for (const spec of SPECS.slice(0, 5)) {
    it(`${spec.type} ${spec.bits}: ssh-keygen -y -P opens it, our parser too`, () => {
      const pair = generateKeyPair({ ...spec.options, comment: 'enc', passphrase: PASS });
      const h = header(pair.privateKey);
      expect(h).toMatchObject({ cipher: 'aes256-ctr', kdf: 'bcrypt', rounds: 16 });
      expect(h.salt).toHaveLength(16);
      expectKeygenAgrees(pair, PASS);
      const parsed = parsePrivateKey(pair.privateKey, { passphrase: PASS, source: 'gen' });
      expect(parsed).toMatchObject({ encrypted: true, cipher: 'aes256-ctr', kdf: 'bcrypt' });
      expect(parsed.publicKey.fingerprint).toBe(pair.key.fingerprint);
      expect(parsed.publicKey.comment).toBe('enc');
      expect(() => parsePrivateKey(pair.privateKey, { source: 'gen' })).toThrow(EncryptedKeyError);
    });
  }

  it('ssh-keygen refuses a wrong passphrase for our key', () => {
    const file = writePrivate(generateKeyPair({ passphrase: PASS }));
    expect(() => sshKeygen(['-y', '-P', 'wrong passphrase', '-f', file])).toThrow(/incorrect passphrase/);
  });

  for (const cipher of SSH_CIPHER_NAMES) {
    it(`cipher ${cipher} (fewer rounds) is read by ssh-keygen`, () => {
      const pair = generateKeyPair({ comment: cipher, passphrase: PASS, cipher, rounds: 2 });
      expect(header(pair.privateKey)).toMatchObject({ cipher, kdf: 'bcrypt', rounds: 2 });
      expectKeygenAgrees(pair, PASS);
      expect(parsePrivateKey(pair.privateKey, { passphrase: PASS }).publicKey.comment).toBe(cipher);
    });
  }

  it('an empty passphrase means unencrypted, as with ssh-keygen -N ""', () => {
    const pair = generateKeyPair({ passphrase: '' });
    expect(header(pair.privateKey)).toMatchObject({ cipher: 'none', kdf: 'none' });
    expectKeygenAgrees(pair);
  });
});

describe('key size and type validation', () => {
  function usage(options: GenerateKeyOptions): string {
    try {
      generateKeyPair(options);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).exitCode).toBe(2);
      return (err as Error).message;
    }
    throw new Error('expected a UsageError');
  }

  it('RSA below 2048 is refused, naming the allowed range', () => {
    expect(usage({ type: 'rsa', bits: 1024 })).toBe(
      'RSA key size 1024 is too small: RSA keys must be at least 2048 bits (allowed: 2048-16384; default 3072; ed25519 is preferred)',
    );
    expect(usage({ type: 'rsa', bits: 2047 })).toMatch(/at least 2048 bits/);
  });

  it('RSA above 16384 is refused', () => {
    expect(usage({ type: 'rsa', bits: 32768 })).toMatch(/too large: OpenSSH accepts at most 16384 bits/);
  });

  it('ECDSA sizes other than 256/384/521 are refused', () => {
    expect(usage({ type: 'ecdsa', bits: 512 })).toBe(
      'invalid ECDSA key size 512 (allowed: 256, 384, 521; default 256)',
    );
    expect(usage({ type: 'ecdsa', bits: 224 })).toMatch(/allowed: 256, 384, 521/);
  });

  it('ed25519 takes no size other than 256', () => {
    expect(usage({ type: 'ed25519', bits: 512 })).toMatch(/ed25519 keys are always 256 bits/);
    expect(resolveKeySpec({ type: 'ed25519', bits: 256 })).toEqual({ type: 'ed25519', bits: 256 });
  });

  it('non-integer sizes, unknown types, unknown ciphers and multi-line comments are refused', () => {
    expect(usage({ type: 'rsa', bits: 3072.5 })).toMatch(/whole number of bits/);
    expect(usage({ type: 'dsa' as never })).toBe(
      'unsupported key type "dsa" for generation (allowed: ed25519, ecdsa, rsa; default ed25519)',
    );
    expect(usage({ passphrase: 'x', cipher: 'blowfish-cbc' })).toMatch(
      /unsupported cipher "blowfish-cbc" \(allowed: 3des-cbc/,
    );
    expect(usage({ comment: 'two\nlines' })).toMatch(/single line/);
    expect(usage({ passphrase: 'x', rounds: 0 })).toMatch(/rounds must be a positive whole number/);
  });

  it('defaults: ed25519; ecdsa 256; rsa 3072', () => {
    expect(resolveKeySpec()).toEqual({ type: 'ed25519', bits: 256 });
    expect(resolveKeySpec({ type: 'ecdsa' })).toEqual({ type: 'ecdsa', bits: 256 });
    expect(resolveKeySpec({ type: 'rsa' })).toEqual({ type: 'rsa', bits: 3072 });
    expect(resolveKeySpec({ type: 'rsa', bits: 16384 })).toEqual({ type: 'rsa', bits: 16384 });
  });

  it('the async variant validates the same way', async () => {
    await expect(generateKeyPairAsync({ type: 'rsa', bits: 1024 })).rejects.toBeInstanceOf(UsageError);
  });
});
