import {
  createHash,
  createPublicKey,
  verify as cryptoVerify,
  constants as cryptoConstants,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CURVES } from './curves.js';
import { KeyParseError } from './errors.js';
import { sha256Fingerprint } from './fingerprint.js';
import { CERT_SUFFIX, certPlainType, plainTypeInfo, printable, readKeyBody } from './key-body.js';
import type { KeyBody } from './key-body.js';
import type { CertificateInfo } from './types.js';
import { SshReader, SshWriter } from './wire.js';

/**
 * OpenSSH certificates (PROTOCOL.certkeys): parsed the way sshkey.c's cert_parse does,
 * including verification of the CA signature (ssh-keygen refuses a certificate whose signature
 * does not verify, so we do too).
 */

export const CERT_TYPE_USER = 1;
export const CERT_TYPE_HOST = 2;
/** OpenSSH's SSHKEY_CERT_MAX_PRINCIPALS. */
const MAX_PRINCIPALS = 256;
/** valid_before meaning "forever". */
export const CERT_FOREVER = 0xffffffffffffffffn;

export interface ParsedCertificate {
  info: CertificateInfo;
  /** The certified key's fields (family, bits, curve...). */
  body: KeyBody | undefined;
  /** The certified key as a plain key blob (what ssh-keygen fingerprints for a certificate). */
  plainBlob: Buffer;
  /** The plain type certified (e.g. `ssh-ed25519`), or the guessed one for an unknown cert type. */
  plainType: string;
}

/** True when `type` names a certificate (known or not). */
export function isCertificateType(type: string): boolean {
  return type.endsWith(CERT_SUFFIX);
}

/**
 * Parses a certificate blob whose type string is `certType`. For a certificate type keyfleet
 * does not know (e.g. a post-quantum one), the certified key's fields are found by trying how
 * many strings they take until the rest parses as a certificate; `body` is then undefined.
 */
export function parseCertificateBlob(blob: Buffer, certType: string): ParsedCertificate {
  const plainType = certPlainType(certType);
  if (plainType !== undefined) {
    const r = new SshReader(blob, 'certificate blob');
    r.string();
    r.bytes(); // nonce
    const fieldsStart = r.position;
    const body = readKeyBody(r, plainType);
    const fields = body.canonicalFields ?? blob.subarray(fieldsStart, r.position);
    const info = readCertTail(r, blob, certType);
    const plainBlob = new SshWriter().string(plainType).raw(fields).toBuffer();
    return { info, body, plainBlob, plainType };
  }
  // Unknown cert type: OpenSSH names the plain type `X@openssh.com` for `X-cert-v01@openssh.com`.
  const guessed = certType.slice(0, -CERT_SUFFIX.length) + '@openssh.com';
  let firstError: unknown;
  for (let strings = 1; strings <= 6; strings++) {
    const r = new SshReader(blob, 'certificate blob');
    try {
      r.string();
      r.bytes();
      const fieldsStart = r.position;
      for (let i = 0; i < strings; i++) r.bytes();
      const fields = blob.subarray(fieldsStart, r.position);
      const info = readCertTail(r, blob, certType);
      const plainBlob = new SshWriter().string(guessed).raw(fields).toBuffer();
      return { info, body: undefined, plainBlob, plainType: guessed };
    } catch (err) {
      if (!(err instanceof KeyParseError)) throw err;
      firstError ??= err;
    }
  }
  throw firstError instanceof KeyParseError
    ? new KeyParseError(
        `cannot parse certificate of unknown type ${printable(certType)}: ${firstError.reason}`,
      )
    : new KeyParseError(`cannot parse certificate of unknown type ${printable(certType)}`);
}

/** Reads serial .. signature (everything after the certified key) and verifies the signature. */
function readCertTail(r: SshReader, blob: Buffer, certType: string): CertificateInfo {
  const serial = r.uint64();
  const role = r.uint32();
  if (role !== CERT_TYPE_USER && role !== CERT_TYPE_HOST) {
    throw new KeyParseError(
      `invalid certificate type ${role} (must be 1 for a user or 2 for a host certificate)`,
    );
  }
  const keyId = r.string();
  const principals: string[] = [];
  const pr = new SshReader(r.bytes(), 'certificate principals');
  while (pr.remaining > 0) {
    if (principals.length >= MAX_PRINCIPALS) {
      throw new KeyParseError(`the certificate has more than ${MAX_PRINCIPALS} principals (OpenSSH's limit)`);
    }
    principals.push(pr.string());
  }
  const validAfter = r.uint64();
  const validBefore = r.uint64();
  const criticalOptions = readOptions(r.bytes(), 'certificate critical options');
  const extensions = Object.keys(readOptions(r.bytes(), 'certificate extensions'));
  r.bytes(); // reserved
  const caBlob = r.bytes();
  const signedLength = r.position;
  const signature = r.bytes();
  r.end();

  const ca = parseCaKey(caBlob);
  const signatureType = verifyCertSignature(ca, signature, blob.subarray(0, signedLength));
  const info: CertificateInfo = {
    certType,
    role: role === CERT_TYPE_USER ? 'user' : 'host',
    serial,
    keyId,
    principals,
    validAfter,
    validBefore,
    criticalOptions,
    extensions,
    caType: ca.type,
    caFingerprint: sha256Fingerprint(ca.canonical),
    signatureType,
    certFingerprint: sha256Fingerprint(blob),
  };
  return info;
}

/** Critical options / extensions: a sequence of (name, data) where data holds a string or is empty. */
function readOptions(buf: Buffer, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  const r = new SshReader(buf, what);
  while (r.remaining > 0) {
    const name = r.string();
    const data = r.bytes();
    let value = '';
    if (data.length > 0) {
      const dr = new SshReader(data, `${what} value of ${printable(name)}`);
      value = dr.string();
      dr.end();
    }
    out[name] = value;
  }
  return out;
}

interface CaKey {
  type: string;
  body: KeyBody;
  canonical: Buffer;
}

function parseCaKey(caBlob: Buffer): CaKey {
  const r = new SshReader(caBlob, 'certificate CA key');
  let type: string;
  let body: KeyBody;
  try {
    type = r.string();
    if (plainTypeInfo(type) === undefined) {
      // sshkey_type_is_valid_ca: a CA key must be a plain key of a known type.
      throw new KeyParseError(
        `the CA key type ${JSON.stringify(printable(type))} cannot sign certificates (it must be a plain ed25519, ecdsa, rsa, sk or dsa key)`,
      );
    }
    body = readKeyBody(r, type);
    r.end();
  } catch (err) {
    if (err instanceof KeyParseError) throw new KeyParseError(`invalid certificate CA key: ${err.reason}`);
    throw err;
  }
  const canonical = body.canonicalFields
    ? new SshWriter().string(type).raw(body.canonicalFields).toBuffer()
    : caBlob;
  return { type, body, canonical };
}

function b64u(b: Buffer): string {
  return b.toString('base64url');
}

function nodeKey(ca: CaKey): KeyObject | undefined {
  const { body } = ca;
  const { pk, point, e, n } = body.params;
  if (pk) return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(pk) }, format: 'jwk' });
  if (point && body.curve) {
    const size = CURVES[body.curve].size;
    return createPublicKey({
      key: {
        kty: 'EC',
        crv: CURVES[body.curve].jwk,
        x: b64u(point.subarray(1, 1 + size)),
        y: b64u(point.subarray(1 + size)),
      },
      format: 'jwk',
    });
  }
  if (e && n) return createPublicKey({ key: { kty: 'RSA', n: b64u(n), e: b64u(e) }, format: 'jwk' });
  return undefined;
}

const RSA_SIG_HASH: Readonly<Record<string, string>> = {
  'ssh-rsa': 'sha1',
  'rsa-sha2-256': 'sha256',
  'rsa-sha2-512': 'sha512',
};

function bad(reason: string): never {
  throw new KeyParseError(`invalid certificate signature: ${reason}`);
}

function fixedWidth(mag: Buffer, size: number): Buffer {
  if (mag.length > size) bad('an ECDSA signature value is larger than the curve order');
  const out = Buffer.alloc(size);
  mag.copy(out, size - mag.length);
  return out;
}

/** Parses the (r, s) mpint pair of an ECDSA signature into IEEE P1363 r||s. */
function ecdsaRS(inner: Buffer, size: number): Buffer {
  const r = new SshReader(inner, 'ECDSA signature');
  const rr = r.mpint();
  const ss = r.mpint();
  r.end();
  return Buffer.concat([fixedWidth(rr, size), fixedWidth(ss, size)]);
}

/**
 * Verifies the CA signature over `signed`; returns the signature algorithm name. Throws a
 * KeyParseError when it does not verify. DSA CA signatures are not verified (keyfleet treats
 * DSA as forbidden anyway); the signature algorithm is still reported.
 */
function verifyCertSignature(ca: CaKey, signature: Buffer, signed: Buffer): string {
  const r = new SshReader(signature, 'certificate signature');
  const sigType = r.string();
  const sig = r.bytes();
  const family = ca.body.family;
  const typeOk = family === 'RSA' ? sigType in RSA_SIG_HASH : sigType === ca.type;
  if (!typeOk)
    bad(`signature type ${JSON.stringify(printable(sigType))} does not match the CA key type ${ca.type}`);
  if (family === 'DSA') return sigType;

  let data = signed;
  if (family === 'ED25519-SK' || family === 'ECDSA-SK') {
    // FIDO signatures cover sha256(application) || flags || counter || sha256(message).
    const flags = r.uint8();
    const counter = r.uint32();
    const head = Buffer.alloc(5);
    head[0] = flags;
    head.writeUInt32BE(counter, 1);
    data = Buffer.concat([
      createHash('sha256')
        .update(ca.body.application ?? '')
        .digest(),
      head,
      createHash('sha256').update(signed).digest(),
    ]);
  }
  r.end();

  const key = nodeKey(ca);
  if (key === undefined) return sigType;
  let ok: boolean;
  try {
    if (family === 'ED25519' || family === 'ED25519-SK') {
      if (sig.length !== 64) bad(`an Ed25519 signature is 64 bytes, got ${sig.length}`);
      ok = cryptoVerify(null, data, key, sig);
    } else if (family === 'ECDSA' || family === 'ECDSA-SK') {
      const c = CURVES[ca.body.curve!];
      ok = cryptoVerify(c.hash, data, { key, dsaEncoding: 'ieee-p1363' }, ecdsaRS(sig, c.size));
    } else {
      const modLen = ca.body.params.n!.length;
      if (sig.length > modLen) bad('the RSA signature is longer than the CA modulus');
      const padded = sig.length === modLen ? sig : fixedWidth(sig, modLen);
      ok = cryptoVerify(
        RSA_SIG_HASH[sigType]!,
        data,
        { key, padding: cryptoConstants.RSA_PKCS1_PADDING },
        padded,
      );
    }
  } catch (err) {
    if (err instanceof KeyParseError) throw err;
    bad('the signature could not be checked');
  }
  if (!ok) bad('it does not verify against the CA key (the certificate was altered or is corrupt)');
  return sigType;
}

/** Latest instant a JS Date can hold, in seconds. */
const MAX_DATE_SECONDS = 8_640_000_000_000n;

/**
 * A certificate time as ISO 8601 UTC without milliseconds (`2030-01-01T00:00:00Z`). Times too
 * far in the future for a Date (a CA may write any uint64) are shown as seconds since 1970.
 */
export function certTimeToIso(secs: bigint): string {
  if (secs > MAX_DATE_SECONDS) return `${secs} seconds after 1970-01-01T00:00:00Z`;
  return new Date(Number(secs) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The JSON form of a certificate (no bigints): what `inspect --json` reports. */
export interface CertificateJson {
  type: string;
  role: 'user' | 'host';
  serial: string;
  keyId: string;
  principals: string[];
  /** ISO time, or null for "from the beginning" (valid_after 0). */
  validAfter: string | null;
  /** ISO time, or null for "forever". */
  validBefore: string | null;
  criticalOptions: Record<string, string>;
  extensions: string[];
  ca: { type: string; fingerprint: string };
  signatureType?: string;
  certFingerprint?: string;
}

export function certificateToJson(cert: CertificateInfo): CertificateJson {
  const out: CertificateJson = {
    type: cert.certType,
    role: cert.role,
    serial: cert.serial.toString(),
    keyId: cert.keyId,
    principals: cert.principals,
    validAfter: cert.validAfter === 0n ? null : certTimeToIso(cert.validAfter),
    validBefore: cert.validBefore === CERT_FOREVER ? null : certTimeToIso(cert.validBefore),
    criticalOptions: cert.criticalOptions,
    extensions: cert.extensions,
    ca: { type: cert.caType, fingerprint: cert.caFingerprint },
  };
  if (cert.signatureType !== undefined) out.signatureType = cert.signatureType;
  if (cert.certFingerprint !== undefined) out.certFingerprint = cert.certFingerprint;
  return out;
}
