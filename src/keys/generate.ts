import { generateKeyPair as nodeGenerateKeyPair, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { UsageError } from '../errors.js';
import { SSH_CIPHER_NAMES } from './cipher.js';
import { opensshPrivateFields } from './node-key.js';
import { encodeOpenSshPrivateKey } from './openssh-private.js';
import { formatPublicKey, parsePublicKeyBlob } from './public-key.js';
import type { PublicKey } from './types.js';

/**
 * Key pair generation: node:crypto makes the key, keyfleet writes it in OpenSSH's private key
 * format exactly as `ssh-keygen` does (so `ssh-keygen -y -f` reads it back), optionally
 * encrypted as `ssh-keygen -N` does (bcrypt KDF, 16 rounds, aes256-ctr).
 */

export type GenerateKeyType = 'ed25519' | 'ecdsa' | 'rsa';

export const GENERATE_KEY_TYPES: readonly GenerateKeyType[] = ['ed25519', 'ecdsa', 'rsa'];
export const ECDSA_BITS: readonly number[] = [256, 384, 521];
export const RSA_DEFAULT_BITS = 3072;
export const RSA_MIN_GENERATE_BITS = 2048;
export const RSA_MAX_GENERATE_BITS = 16384;

export interface GenerateKeyOptions {
  /** Key type. @default 'ed25519' */
  type?: GenerateKeyType;
  /** Key size: ed25519 256 (fixed); ecdsa 256 (default), 384 or 521; rsa 2048-16384, default 3072. */
  bits?: number;
  /** Comment stored in the private key and written after the public key. @default '' */
  comment?: string;
  /** Encrypts the private key (bcrypt + aes256-ctr, as `ssh-keygen -N`). Empty or absent: unencrypted. */
  passphrase?: string;
  /** bcrypt KDF rounds when encrypting. @default 16 (ssh-keygen's default) */
  rounds?: number;
  /** Cipher when encrypting. @default 'aes256-ctr' */
  cipher?: string;
}

export interface GeneratedKeyPair {
  /** The OpenSSH private key file text (a PEM block labelled OPENSSH PRIVATE KEY), newline-terminated. */
  privateKey: string;
  /** The `.pub` line (`TYPE BASE64[ COMMENT]`), newline-terminated as ssh-keygen writes it. */
  publicKey: string;
  key: PublicKey;
}

export interface KeySpec {
  type: GenerateKeyType;
  bits: number;
}

/**
 * Validates type and bits and fills in defaults. Throws UsageError naming the allowed values.
 */
export function resolveKeySpec(options: Pick<GenerateKeyOptions, 'type' | 'bits'> = {}): KeySpec {
  const type = options.type ?? 'ed25519';
  if (!GENERATE_KEY_TYPES.includes(type)) {
    throw new UsageError(
      `unsupported key type "${String(type)}" for generation (allowed: ${GENERATE_KEY_TYPES.join(', ')}; default ed25519)`,
    );
  }
  const bits = options.bits;
  if (bits !== undefined && !Number.isInteger(bits)) {
    throw new UsageError(`key size must be a whole number of bits, got ${String(bits)}`);
  }
  if (type === 'ed25519') {
    if (bits !== undefined && bits !== 256) {
      throw new UsageError(`ed25519 keys are always 256 bits, got ${bits} (omit the key size for ed25519)`);
    }
    return { type, bits: 256 };
  }
  if (type === 'ecdsa') {
    if (bits !== undefined && !ECDSA_BITS.includes(bits)) {
      throw new UsageError(`invalid ECDSA key size ${bits} (allowed: 256, 384, 521; default 256)`);
    }
    return { type, bits: bits ?? 256 };
  }
  if (bits !== undefined && bits < RSA_MIN_GENERATE_BITS) {
    throw new UsageError(
      `RSA key size ${bits} is too small: RSA keys must be at least ${RSA_MIN_GENERATE_BITS} bits (allowed: ${RSA_MIN_GENERATE_BITS}-${RSA_MAX_GENERATE_BITS}; default ${RSA_DEFAULT_BITS}; ed25519 is preferred)`,
    );
  }
  if (bits !== undefined && bits > RSA_MAX_GENERATE_BITS) {
    throw new UsageError(
      `RSA key size ${bits} is too large: OpenSSH accepts at most ${RSA_MAX_GENERATE_BITS} bits (allowed: ${RSA_MIN_GENERATE_BITS}-${RSA_MAX_GENERATE_BITS}; default ${RSA_DEFAULT_BITS})`,
    );
  }
  return { type, bits: bits ?? RSA_DEFAULT_BITS };
}

function checkEncryption(options: GenerateKeyOptions): void {
  if (options.cipher !== undefined && !SSH_CIPHER_NAMES.includes(options.cipher)) {
    throw new UsageError(`unsupported cipher "${options.cipher}" (allowed: ${SSH_CIPHER_NAMES.join(', ')})`);
  }
  if (options.rounds !== undefined && (!Number.isInteger(options.rounds) || options.rounds < 1)) {
    throw new UsageError(`bcrypt rounds must be a positive whole number, got ${String(options.rounds)}`);
  }
}

const NAMED_CURVES: Readonly<Record<number, string>> = {
  256: 'prime256v1',
  384: 'secp384r1',
  521: 'secp521r1',
};

function newPrivateKey(spec: KeySpec): KeyObject {
  if (spec.type === 'ed25519') return generateKeyPairSync('ed25519').privateKey;
  if (spec.type === 'ecdsa')
    return generateKeyPairSync('ec', { namedCurve: NAMED_CURVES[spec.bits]! }).privateKey;
  return generateKeyPairSync('rsa', { modulusLength: spec.bits, publicExponent: 65537 }).privateKey;
}

const generateAsync = promisify(nodeGenerateKeyPair);

async function newPrivateKeyAsync(spec: KeySpec): Promise<KeyObject> {
  if (spec.type === 'ed25519') return (await generateAsync('ed25519', {})).privateKey;
  if (spec.type === 'ecdsa')
    return (await generateAsync('ec', { namedCurve: NAMED_CURVES[spec.bits]! })).privateKey;
  return (await generateAsync('rsa', { modulusLength: spec.bits, publicExponent: 65537 })).privateKey;
}

/**
 * Encodes a node:crypto private key (Ed25519, ECDSA P-256/384/521 or RSA) as an OpenSSH private
 * key file plus its `.pub` line. Useful beyond generation, e.g. to convert a PEM key.
 */
export function privateKeyToOpenSsh(
  privateKey: KeyObject,
  options: Pick<GenerateKeyOptions, 'comment' | 'passphrase' | 'rounds' | 'cipher'> = {},
): GeneratedKeyPair {
  checkEncryption(options);
  const comment = options.comment ?? '';
  if (/[\r\n]/.test(comment)) throw new UsageError('the key comment must be a single line');
  const fields = opensshPrivateFields(privateKey);
  const text = encodeOpenSshPrivateKey({
    publicBlob: fields.publicBlob,
    privateKey: fields.privateKey,
    comment,
    ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    ...(options.cipher !== undefined ? { cipher: options.cipher } : {}),
    ...(options.rounds !== undefined ? { rounds: options.rounds } : {}),
  });
  fields.privateKey.fill(0);
  const key = parsePublicKeyBlob(fields.publicBlob, comment);
  return { privateKey: text, publicKey: formatPublicKey(key) + '\n', key };
}

/** Generates a key pair synchronously (RSA 3072 can take a second or more; the CLI uses the async variant). */
export function generateKeyPair(options: GenerateKeyOptions = {}): GeneratedKeyPair {
  const spec = resolveKeySpec(options);
  checkEncryption(options);
  return privateKeyToOpenSsh(newPrivateKey(spec), options);
}

/** As generateKeyPair, with key generation on node's thread pool (RSA keygen can take seconds). */
export async function generateKeyPairAsync(options: GenerateKeyOptions = {}): Promise<GeneratedKeyPair> {
  const spec = resolveKeySpec(options);
  checkEncryption(options);
  return privateKeyToOpenSsh(await newPrivateKeyAsync(spec), options);
}
