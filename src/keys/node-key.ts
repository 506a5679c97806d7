import { createPublicKey } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { CURVES } from './curves.js';
import type { CurveName } from './curves.js';
import { DerReader } from './der.js';
import { KeyParseError } from './errors.js';
import { SshWriter } from './wire.js';

/**
 * Bridges node:crypto KeyObjects (read from PEM/PKCS#8, or freshly generated) and OpenSSH's wire
 * encoding: the public blob for a public key, and the private fields OpenSSH stores for a
 * private key. Values come from the JWK export, which node gives for RSA, EC and Ed25519; DSA
 * (no JWK) is read from the SubjectPublicKeyInfo DER.
 */

const JWK_CURVES: Readonly<Record<string, CurveName>> = {
  'P-256': 'nistp256',
  'P-384': 'nistp384',
  'P-521': 'nistp521',
};

function b64u(v: string | undefined, what: string): Buffer {
  if (v === undefined) throw new KeyParseError(`the key has no ${what}`);
  return Buffer.from(v, 'base64url');
}

function unsupported(key: KeyObject): KeyParseError {
  const t = key.asymmetricKeyType ?? 'unknown';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const what = curve ? `${t} key on curve ${curve}` : `${t} key`;
  return new KeyParseError(
    `a ${what} has no OpenSSH key type (OpenSSH keys are Ed25519, ECDSA on P-256/P-384/P-521, RSA, or DSA)`,
  );
}

function ecCurve(key: KeyObject, jwk: JsonWebKey): CurveName {
  const curve = jwk.crv === undefined ? undefined : JWK_CURVES[jwk.crv];
  if (curve === undefined) throw unsupported(key);
  return curve;
}

/** `0x04 || X || Y`, each coordinate left-padded to the curve's size. */
function ecPoint(curve: CurveName, jwk: JsonWebKey): Buffer {
  const size = CURVES[curve].size;
  const pad = (b: Buffer) => Buffer.concat([Buffer.alloc(Math.max(0, size - b.length)), b]);
  return Buffer.concat([
    Buffer.from([4]),
    pad(b64u(jwk.x, 'x coordinate')),
    pad(b64u(jwk.y, 'y coordinate')),
  ]);
}

/** DSA p, q, g, y from a SubjectPublicKeyInfo (node cannot export DSA as JWK). */
function dsaPublicParams(key: KeyObject): { p: Buffer; q: Buffer; g: Buffer; y: Buffer } {
  const spki = new DerReader(key.export({ format: 'der', type: 'spki' }), 'DSA public key').sequence();
  const alg = spki.sequence();
  alg.oid();
  const params = alg.sequence();
  const p = params.integer();
  const q = params.integer();
  const g = params.integer();
  const y = new DerReader(spki.bitString(), 'DSA public key').integer();
  return { p, q, g, y };
}

/** The OpenSSH public key blob of a node:crypto key (public or private). */
export function sshPublicBlob(keyObject: KeyObject): Buffer {
  const key = keyObject.type === 'private' ? createPublicKey(keyObject) : keyObject;
  const type = key.asymmetricKeyType;
  if (type === 'dsa') {
    const { p, q, g, y } = dsaPublicParams(key);
    return new SshWriter().string('ssh-dss').mpint(p).mpint(q).mpint(g).mpint(y).toBuffer();
  }
  if (type !== 'rsa' && type !== 'ec' && type !== 'ed25519') throw unsupported(key);
  const jwk = key.export({ format: 'jwk' });
  if (type === 'rsa') {
    return new SshWriter()
      .string('ssh-rsa')
      .mpint(b64u(jwk.e, 'public exponent'))
      .mpint(b64u(jwk.n, 'modulus'))
      .toBuffer();
  }
  if (type === 'ec') {
    const curve = ecCurve(key, jwk);
    return new SshWriter().string(`ecdsa-sha2-${curve}`).string(curve).bytes(ecPoint(curve, jwk)).toBuffer();
  }
  return new SshWriter().string('ssh-ed25519').bytes(b64u(jwk.x, 'public key')).toBuffer();
}

/**
 * The key as OpenSSH stores it in a private key file's private section: the type name and the
 * type's private fields (ed25519: pk, seed||pk; ecdsa: curve, Q, d; rsa: n, e, d, iqmp, p, q),
 * plus the public blob for the file header. iqmp is q^-1 mod p, which is JWK `qi`.
 */
export function opensshPrivateFields(key: KeyObject): { publicBlob: Buffer; privateKey: Buffer } {
  if (key.type !== 'private') throw new TypeError('opensshPrivateFields needs a private KeyObject');
  const type = key.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ec' && type !== 'ed25519') throw unsupported(key);
  const jwk = key.export({ format: 'jwk' });
  const publicBlob = sshPublicBlob(key);
  const w = new SshWriter();
  if (type === 'ed25519') {
    const pk = b64u(jwk.x, 'public key');
    const seed = b64u(jwk.d, 'private key');
    w.string('ssh-ed25519')
      .bytes(pk)
      .bytes(Buffer.concat([seed, pk]));
    seed.fill(0);
  } else if (type === 'ec') {
    const curve = ecCurve(key, jwk);
    const d = b64u(jwk.d, 'private scalar');
    w.string(`ecdsa-sha2-${curve}`).string(curve).bytes(ecPoint(curve, jwk)).mpint(d);
    d.fill(0);
  } else {
    const parts = [jwk.n, jwk.e, jwk.d, jwk.qi, jwk.p, jwk.q].map((v, i) => b64u(v, `RSA parameter ${i}`));
    w.string('ssh-rsa');
    for (const part of parts) w.mpint(part);
    for (const part of parts) part.fill(0);
  }
  return { publicBlob, privateKey: w.toBuffer() };
}
