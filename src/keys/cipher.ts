import { createCipheriv, createDecipheriv, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';

/**
 * The ciphers and KDF OpenSSH uses to encrypt the private section of an `openssh-key-v1` file
 * (OpenSSH cipher.c and sshkey.c). Lengths are OpenSSH's: the KDF derives keyLen + ivLen bytes;
 * the private section is padded to blockSize; authLen bytes of tag follow the ciphertext.
 */
export interface SshCipher {
  name: string;
  blockSize: number;
  keyLen: number;
  ivLen: number;
  authLen: number;
  /** node:crypto algorithm name; undefined for `none` and for chacha20-poly1305@openssh.com. */
  node?: string;
}

const TABLE: SshCipher[] = [
  { name: 'none', blockSize: 8, keyLen: 0, ivLen: 0, authLen: 0 },
  { name: '3des-cbc', blockSize: 8, keyLen: 24, ivLen: 8, authLen: 0, node: 'des-ede3-cbc' },
  { name: 'aes128-cbc', blockSize: 16, keyLen: 16, ivLen: 16, authLen: 0, node: 'aes-128-cbc' },
  { name: 'aes192-cbc', blockSize: 16, keyLen: 24, ivLen: 16, authLen: 0, node: 'aes-192-cbc' },
  { name: 'aes256-cbc', blockSize: 16, keyLen: 32, ivLen: 16, authLen: 0, node: 'aes-256-cbc' },
  { name: 'aes128-ctr', blockSize: 16, keyLen: 16, ivLen: 16, authLen: 0, node: 'aes-128-ctr' },
  { name: 'aes192-ctr', blockSize: 16, keyLen: 24, ivLen: 16, authLen: 0, node: 'aes-192-ctr' },
  { name: 'aes256-ctr', blockSize: 16, keyLen: 32, ivLen: 16, authLen: 0, node: 'aes-256-ctr' },
  { name: 'aes128-gcm@openssh.com', blockSize: 16, keyLen: 16, ivLen: 12, authLen: 16, node: 'aes-128-gcm' },
  { name: 'aes256-gcm@openssh.com', blockSize: 16, keyLen: 32, ivLen: 12, authLen: 16, node: 'aes-256-gcm' },
  { name: 'chacha20-poly1305@openssh.com', blockSize: 8, keyLen: 64, ivLen: 0, authLen: 16 },
];

export const SSH_CIPHERS: ReadonlyMap<string, SshCipher> = new Map(TABLE.map((c) => [c.name, c]));

/** Names of the ciphers keyfleet reads and writes, for help text and error messages. */
export const SSH_CIPHER_NAMES: readonly string[] = TABLE.filter((c) => c.name !== 'none').map((c) => c.name);

/** ssh-keygen's defaults for new keys (OpenSSH 9.x): aes256-ctr, bcrypt with 16 rounds, 16-byte salt. */
export const DEFAULT_CIPHER = 'aes256-ctr';
export const DEFAULT_KDF_ROUNDS = 16;
export const KDF_SALT_LEN = 16;

/** Thrown when an AEAD tag does not verify (a wrong passphrase or a corrupted file). */
export class AuthTagError extends Error {
  constructor() {
    super('authentication tag mismatch');
  }
}

type BcryptPbkdf = {
  pbkdf(
    pass: Uint8Array,
    passlen: number,
    salt: Uint8Array,
    saltlen: number,
    key: Uint8Array,
    keylen: number,
    rounds: number,
  ): number;
};
let bcryptModule: BcryptPbkdf | undefined;

/**
 * OpenBSD's bcrypt_pbkdf as OpenSSH uses it (via the `bcrypt-pbkdf` package; node:crypto has no
 * bcrypt). Loaded on first use so that nothing on the CLI's start-up path pays for it.
 */
export function bcryptPbkdf(
  passphrase: Uint8Array,
  salt: Uint8Array,
  rounds: number,
  keyLen: number,
): Buffer {
  bcryptModule ??= createRequire(import.meta.url)('bcrypt-pbkdf') as BcryptPbkdf;
  const out = Buffer.alloc(keyLen);
  if (passphrase.length === 0) throw new RangeError('bcrypt_pbkdf needs a non-empty passphrase');
  if (bcryptModule.pbkdf(passphrase, passphrase.length, salt, salt.length, out, keyLen, rounds) !== 0) {
    throw new RangeError('bcrypt_pbkdf rejected its parameters');
  }
  return out;
}

function leToBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

/**
 * Poly1305 (RFC 8439 section 2.5). Hand-written: node:crypto offers Poly1305 only inside the
 * IETF ChaCha20-Poly1305 AEAD, whose tag covers padding and lengths that OpenSSH's
 * construction does not. BigInt is fast enough for a private key of a few kilobytes.
 */
export function poly1305(key: Uint8Array, msg: Uint8Array): Buffer {
  const r = leToBigInt(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const s = leToBigInt(key.subarray(16, 32));
  const p = (1n << 130n) - 5n;
  let acc = 0n;
  for (let i = 0; i < msg.length; i += 16) {
    const block = msg.subarray(i, Math.min(i + 16, msg.length));
    acc = ((acc + leToBigInt(block) + (1n << BigInt(8 * block.length))) * r) % p;
  }
  acc = (acc + s) & ((1n << 128n) - 1n);
  const out = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) {
    out[i] = Number(acc & 0xffn);
    acc >>= 8n;
  }
  return out;
}

/**
 * OpenSSH's chacha20-poly1305@openssh.com with sequence number 0 and no associated data, as
 * used for private key files: the original (64-bit nonce) ChaCha20 keyed by the first 32 key
 * bytes; block 0 gives the Poly1305 key, the payload is encrypted from block 1, and the tag is
 * Poly1305 over the ciphertext. node:crypto's `chacha20` takes a 16-byte counter||nonce block,
 * which for nonce 0 is the same keystream.
 */
function chachaStream(key: Buffer, counter: number, data: Buffer): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32LE(counter, 0);
  const c = createCipheriv('chacha20', key.subarray(0, 32), iv);
  return Buffer.concat([c.update(data), c.final()]);
}

/** Encrypts `plain` with `cipher` keyed by the KDF output (key || iv); returns ciphertext and tag. */
export function sshEncrypt(cipher: SshCipher, keyIv: Buffer, plain: Buffer): { data: Buffer; tag: Buffer } {
  if (cipher.name === 'none') return { data: Buffer.from(plain), tag: Buffer.alloc(0) };
  const key = keyIv.subarray(0, cipher.keyLen);
  const iv = keyIv.subarray(cipher.keyLen, cipher.keyLen + cipher.ivLen);
  if (cipher.node === undefined) {
    const polyKey = chachaStream(key, 0, Buffer.alloc(32));
    const data = chachaStream(key, 1, plain);
    return { data, tag: poly1305(polyKey, data) };
  }
  if (cipher.authLen > 0) {
    const c = createCipheriv(cipher.node as 'aes-256-gcm', key, iv, { authTagLength: cipher.authLen });
    const data = Buffer.concat([c.update(plain), c.final()]);
    return { data, tag: c.getAuthTag() };
  }
  const c = createCipheriv(cipher.node, key, iv).setAutoPadding(false);
  return { data: Buffer.concat([c.update(plain), c.final()]), tag: Buffer.alloc(0) };
}

/** Decrypts; throws AuthTagError when an AEAD tag does not verify. */
export function sshDecrypt(cipher: SshCipher, keyIv: Buffer, data: Buffer, tag: Buffer): Buffer {
  if (cipher.name === 'none') return Buffer.from(data);
  const key = keyIv.subarray(0, cipher.keyLen);
  const iv = keyIv.subarray(cipher.keyLen, cipher.keyLen + cipher.ivLen);
  if (cipher.node === undefined) {
    const polyKey = chachaStream(key, 0, Buffer.alloc(32));
    const expected = poly1305(polyKey, data);
    if (tag.length !== 16 || !timingSafeEqual(expected, tag)) throw new AuthTagError();
    return chachaStream(key, 1, data);
  }
  if (cipher.authLen > 0) {
    const d = createDecipheriv(cipher.node as 'aes-256-gcm', key, iv, { authTagLength: cipher.authLen });
    d.setAuthTag(tag);
    const out = d.update(data);
    try {
      return Buffer.concat([out, d.final()]);
    } catch {
      out.fill(0);
      throw new AuthTagError();
    }
  }
  const d = createDecipheriv(cipher.node, key, iv).setAutoPadding(false);
  return Buffer.concat([d.update(data), d.final()]);
}
