/** Keys generated at test time (never committed), in OpenSSH text form. */
import { generateKeyPairSync } from 'node:crypto';
import { generateKeyPair } from '../../../src/keys/generate.js';
import { sshPublicBlob } from '../../../src/keys/node-key.js';
import { parsePublicKey } from '../../../src/keys/public-key.js';

export interface TestKey {
  publicKey: string;
  privateKey: string;
  fingerprint: string;
}

export function ed25519(comment = 'test@keyfleet'): TestKey {
  const pair = generateKeyPair({ type: 'ed25519', comment });
  return { publicKey: pair.publicKey.trim(), privateKey: pair.privateKey, fingerprint: pair.key.fingerprint };
}

/** An RSA public key of any size (the key core refuses to generate below 2048 bits, so node:crypto does it). */
export function rsaPublic(bits: number): string {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return `ssh-rsa ${sshPublicBlob(publicKey).toString('base64')} rsa${bits}@test`;
}

export function dsaPublic(): string {
  const { publicKey } = generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 });
  return `ssh-dss ${sshPublicBlob(publicKey).toString('base64')} dsa@test`;
}

export function fingerprint(text: string): string {
  return parsePublicKey(text).fingerprint;
}

/** `TYPE BASE64` without the comment, as the component passes keys to platforms. */
export function bare(text: string): string {
  const [type, b64] = text.trim().split(/\s+/);
  return `${type} ${b64}`;
}
