import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AuthTagError,
  SSH_CIPHERS,
  SSH_CIPHER_NAMES,
  poly1305,
  sshDecrypt,
  sshEncrypt,
} from '../../src/keys/cipher.js';
import { EncryptedKeyError, KeyParseError } from '../../src/keys/errors.js';
import { generateKeyPair } from '../../src/keys/generate.js';
import { parsePrivateKey } from '../../src/keys/private-key.js';

describe('poly1305', () => {
  it('matches RFC 8439 section 2.5.2', () => {
    const key = Buffer.from('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b', 'hex');
    const msg = Buffer.from('Cryptographic Forum Research Group');
    expect(poly1305(key, msg).toString('hex')).toBe('a8061dc1305136c6c22b8baf0c0127a9');
  });

  it('matches RFC 8439 appendix A.3 vector #1 (all zero)', () => {
    expect(poly1305(Buffer.alloc(32), Buffer.alloc(64)).toString('hex')).toBe(
      '00000000000000000000000000000000',
    );
  });
});

describe('sshEncrypt / sshDecrypt', () => {
  for (const name of SSH_CIPHER_NAMES) {
    it(`${name}: round trip, and a flipped bit is caught by AEAD ciphers`, () => {
      const c = SSH_CIPHERS.get(name)!;
      const keyIv = randomBytes(c.keyLen + c.ivLen);
      const plain = randomBytes(c.blockSize * 5);
      const { data, tag } = sshEncrypt(c, keyIv, plain);
      expect(data).toHaveLength(plain.length);
      expect(tag).toHaveLength(c.authLen);
      expect(data.equals(plain)).toBe(false);
      expect(sshDecrypt(c, keyIv, data, tag).equals(plain)).toBe(true);
      if (c.authLen > 0) {
        const bad = Buffer.from(data);
        bad[3] = bad[3]! ^ 1;
        expect(() => sshDecrypt(c, keyIv, bad, tag)).toThrow(AuthTagError);
      }
    });
  }
});

describe('parsePrivateKey never crashes and never leaks', () => {
  // One unencrypted and one encrypted key, made once; mutations of them are fed to the parser.
  const plain = generateKeyPair({ type: 'ecdsa', comment: 'prop' }).privateKey;
  const enc = generateKeyPair({ comment: 'prop', passphrase: 'pass phrase', rounds: 1 }).privateKey;
  const secretWindows = (text: string): string[] => {
    const body = text
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('-----'))
      .join('');
    // Skip the public header (first ~200 base64 chars hold magic, cipher, kdf and public key).
    const out: string[] = [];
    for (let i = 200; i + 12 <= body.length; i += 6) out.push(body.slice(i, i + 12));
    return out;
  };

  function check(text: string, secrets: string[], passphrase?: string): void {
    try {
      parsePrivateKey(text, { source: 'fuzz', ...(passphrase === undefined ? {} : { passphrase }) });
    } catch (err) {
      expect(err instanceof KeyParseError || err instanceof EncryptedKeyError).toBe(true);
      const message = (err as Error).message;
      expect(message.startsWith('fuzz')).toBe(true);
      for (const s of secrets) expect(message).not.toContain(s);
    }
  }

  it('byte flips and truncations of the decoded key', () => {
    for (const [text, pass] of [
      [plain, undefined],
      [enc, 'pass phrase'],
    ] as const) {
      const lines = text.trimEnd().split('\n');
      const body = Buffer.from(lines.slice(1, -1).join(''), 'base64');
      const secrets = secretWindows(text);
      fc.assert(
        fc.property(
          fc.nat({ max: body.length - 1 }),
          fc.integer({ min: 1, max: 255 }),
          fc.nat({ max: body.length }),
          (pos, xor, cut) => {
            const mutated = Buffer.from(body);
            mutated[pos] = mutated[pos]! ^ xor;
            const armored = (b: Buffer) =>
              `-----BEGIN OPENSSH PRIVATE KEY-----\n${b.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
            check(armored(mutated), secrets, pass);
            check(armored(body.subarray(0, cut)), secrets, pass);
          },
        ),
        { numRuns: pass === undefined ? 300 : 40 },
      );
    }
  });

  it('arbitrary text around and inside the armor', () => {
    const secrets = secretWindows(plain);
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.nat({ max: plain.length }), (junk, at) => {
        check(plain.slice(0, at) + junk + plain.slice(at), secrets);
        check(junk, secrets);
      }),
      { numRuns: 300 },
    );
  });
});
