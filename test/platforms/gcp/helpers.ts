/** Keys generated at test time (never committed) for the Google Cloud tests. */
import { generateKeyPairSync } from 'node:crypto';
import { sshPublicBlob } from '../../../src/keys/node-key.js';
import { parsePublicKey } from '../../../src/keys/public-key.js';
import type { PublicKey } from '../../../src/keys/types.js';

export type KeyKind = 'ed25519' | 'ecdsa' | 'rsa';

/** `TYPE BASE64[ COMMENT]` of a fresh key. */
export function keyText(comment = '', kind: KeyKind = 'ed25519'): string {
  const pair =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : kind === 'ecdsa'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  const blob = sshPublicBlob(pair.publicKey);
  const type = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString();
  return `${type} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}

export function newKey(comment = '', kind: KeyKind = 'ed25519'): PublicKey {
  return parsePublicKey(keyText(comment, kind));
}

/** A pool of keys generated once per test file (RSA generation is slow). */
export function keyPool(n: number): PublicKey[] {
  return Array.from({ length: n }, (_, i) => newKey(`pool-${i}`, i % 5 === 4 ? 'ecdsa' : 'ed25519'));
}
