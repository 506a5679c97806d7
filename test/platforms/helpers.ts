/** Test keys made at run time with node:crypto (never committed), as OpenSSH public key lines. */
import { generateKeyPairSync } from 'node:crypto';
import { parsePublicKey } from '../../src/keys/public-key.js';
import type { PublicKey } from '../../src/keys/types.js';
import { SshWriter } from '../../src/keys/wire.js';

export function ed25519Line(comment = 'test@keyfleet'): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const x = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const blob = new SshWriter().string('ssh-ed25519').bytes(x).toBuffer();
  return `ssh-ed25519 ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}

export function rsaLine(bits: number, comment = 'rsa@keyfleet'): string {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const jwk = publicKey.export({ format: 'jwk' });
  const blob = new SshWriter()
    .string('ssh-rsa')
    .mpint(Buffer.from(jwk.e!, 'base64url'))
    .mpint(Buffer.from(jwk.n!, 'base64url'))
    .toBuffer();
  return `ssh-rsa ${blob.toString('base64')} ${comment}`;
}

export function ed25519(comment?: string): PublicKey {
  return parsePublicKey(ed25519Line(comment));
}

export function privateKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}
