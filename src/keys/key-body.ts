import { ecPointProblem, CURVES } from './curves.js';
import type { CurveName } from './curves.js';
import { KeyParseError } from './errors.js';
import type { KeyFamily } from './types.js';
import type { SshReader } from './wire.js';
import { SshWriter } from './wire.js';

/**
 * The type-specific fields of a public key blob (after the type string), shared by plain keys,
 * the certified key inside a certificate, and a certificate's CA key. Checks follow OpenSSH's
 * sshkey.c so that what we accept is what ssh-keygen 9.x accepts (deviations noted inline).
 */

interface PlainTypeInfo {
  family: Exclude<KeyFamily, 'UNKNOWN'>;
  cert: string;
  curve?: CurveName;
}

const PLAIN: Readonly<Record<string, PlainTypeInfo>> = {
  'ssh-ed25519': { family: 'ED25519', cert: 'ssh-ed25519-cert-v01@openssh.com' },
  'ecdsa-sha2-nistp256': {
    family: 'ECDSA',
    cert: 'ecdsa-sha2-nistp256-cert-v01@openssh.com',
    curve: 'nistp256',
  },
  'ecdsa-sha2-nistp384': {
    family: 'ECDSA',
    cert: 'ecdsa-sha2-nistp384-cert-v01@openssh.com',
    curve: 'nistp384',
  },
  'ecdsa-sha2-nistp521': {
    family: 'ECDSA',
    cert: 'ecdsa-sha2-nistp521-cert-v01@openssh.com',
    curve: 'nistp521',
  },
  'ssh-rsa': { family: 'RSA', cert: 'ssh-rsa-cert-v01@openssh.com' },
  'sk-ssh-ed25519@openssh.com': { family: 'ED25519-SK', cert: 'sk-ssh-ed25519-cert-v01@openssh.com' },
  'sk-ecdsa-sha2-nistp256@openssh.com': {
    family: 'ECDSA-SK',
    cert: 'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
    curve: 'nistp256',
  },
  'ssh-dss': { family: 'DSA', cert: 'ssh-dss-cert-v01@openssh.com' },
};

const CERT_TO_PLAIN: ReadonlyMap<string, string> = new Map(
  Object.entries(PLAIN).map(([p, i]) => [i.cert, p]),
);

/** Every key type name keyfleet knows (plain and certificate), in ssh-keygen's order. */
export const PLAIN_KEY_TYPES: readonly string[] = Object.keys(PLAIN);
export const CERT_KEY_TYPES: readonly string[] = Object.values(PLAIN).map((i) => i.cert);

export function plainTypeInfo(type: string): PlainTypeInfo | undefined {
  return Object.prototype.hasOwnProperty.call(PLAIN, type) ? PLAIN[type] : undefined;
}

/** The plain type a known certificate type certifies (`ssh-ed25519` for `ssh-ed25519-cert-v01@openssh.com`). */
export function certPlainType(certType: string): string | undefined {
  return CERT_TO_PLAIN.get(certType);
}

export const CERT_SUFFIX = '-cert-v01@openssh.com';

/** The parsed fields of one key body. */
export interface KeyBody {
  family: Exclude<KeyFamily, 'UNKNOWN'>;
  bits: number;
  curve?: CurveName;
  application?: string;
  unsupported?: true;
  /** Raw parameters (views into the blob) for signature verification and the `.param.*` vectors. */
  params: { pk?: Buffer; point?: Buffer; e?: Buffer; n?: Buffer; p?: Buffer };
  /**
   * The canonical encoding of the fields when it differs from the raw bytes (an mpint with
   * redundant leading zeros): ssh-keygen fingerprints the re-encoded key, so we must too.
   */
  canonicalFields?: Buffer;
}

// OpenSSH: SSH_RSA_MINIMUM_MODULUS_SIZE and OPENSSL_RSA_MAX_MODULUS_BITS (ssh-keygen 9.2 refuses
// RSA keys outside 1024..16384 bits with "not a public key file").
export const RSA_MIN_BITS = 1024;
export const RSA_MAX_BITS = 16384;
const ED25519_PK_SIZE = 32;

function magnitude(raw: Buffer): Buffer {
  let i = 0;
  while (i < raw.length && raw[i] === 0) i++;
  return i === 0 ? raw : raw.subarray(i);
}

function bitsOf(mag: Buffer): number {
  if (mag.length === 0) return 0;
  return (mag.length - 1) * 8 + (32 - Math.clz32(mag[0]!));
}

/** Reads an mpint as OpenSSH does (negative refused, leading zeros trimmed); `canon` notes non-minimal encodings. */
function readMpint(r: SshReader, what: string, canon: { minimal: boolean }): Buffer {
  const raw = r.bytes();
  if (raw.length > 0 && (raw[0]! & 0x80) !== 0) throw new KeyParseError(`the ${what} is a negative mpint`);
  if (raw.length > 0 && raw[0] === 0 && (raw.length === 1 || (raw[1]! & 0x80) === 0)) canon.minimal = false;
  return magnitude(raw);
}

function isOdd(mag: Buffer): boolean {
  return mag.length > 0 && (mag[mag.length - 1]! & 1) === 1;
}

/**
 * Reads the fields of a `plainType` key from `r` (positioned after the type string).
 * Throws KeyParseError with a reason saying what is wrong and what OpenSSH allows.
 */
export function readKeyBody(r: SshReader, plainType: string): KeyBody {
  const info = plainTypeInfo(plainType);
  if (info === undefined) throw new KeyParseError(`unsupported key type ${JSON.stringify(plainType)}`);
  switch (info.family) {
    case 'ED25519':
    case 'ED25519-SK': {
      const pk = r.bytes();
      if (pk.length !== ED25519_PK_SIZE) {
        throw new KeyParseError(`the ${plainType} public key is ${pk.length} bytes; it must be exactly 32`);
      }
      if (info.family === 'ED25519') return { family: 'ED25519', bits: 256, params: { pk } };
      const application = readApplication(r);
      return { family: 'ED25519-SK', bits: 256, application, params: { pk } };
    }
    case 'ECDSA':
    case 'ECDSA-SK': {
      const curveName = r.string();
      const expected = info.curve!;
      if (curveName !== expected) {
        throw new KeyParseError(
          `the curve ${JSON.stringify(printable(curveName))} inside the blob does not match key type ${plainType} (expected ${expected})`,
        );
      }
      const point = r.bytes();
      const problem = ecPointProblem(expected, point);
      if (problem !== undefined) throw new KeyParseError(`invalid ${plainType} public key: ${problem}`);
      const bits = CURVES[expected].bits;
      if (info.family === 'ECDSA') return { family: 'ECDSA', bits, curve: expected, params: { point } };
      const application = readApplication(r);
      return { family: 'ECDSA-SK', bits, curve: expected, application, params: { point } };
    }
    case 'RSA': {
      const canon = { minimal: true };
      const e = readMpint(r, 'RSA public exponent', canon);
      const n = readMpint(r, 'RSA modulus', canon);
      const bits = bitsOf(n);
      if (bits < RSA_MIN_BITS) {
        throw new KeyParseError(
          `the RSA modulus is ${bits} bits; OpenSSH refuses RSA keys below ${RSA_MIN_BITS} bits (use at least 3072, or ed25519)`,
        );
      }
      if (bits > RSA_MAX_BITS) {
        throw new KeyParseError(`the RSA modulus is ${bits} bits; OpenSSH accepts at most ${RSA_MAX_BITS}`);
      }
      // Stricter than ssh-keygen 9.2, which accepts these: an even modulus or an exponent that
      // is even or below 3 cannot be a working RSA key.
      if (!isOdd(n)) throw new KeyParseError('the RSA modulus is even, so it is not a valid RSA modulus');
      if (!isOdd(e) || (e.length === 1 && e[0]! < 3)) {
        throw new KeyParseError('the RSA public exponent must be odd and at least 3');
      }
      const body: KeyBody = { family: 'RSA', bits, params: { e, n } };
      if (!canon.minimal) body.canonicalFields = new SshWriter().mpint(e).mpint(n).toBuffer();
      return body;
    }
    case 'DSA': {
      const canon = { minimal: true };
      const p = readMpint(r, 'DSA p', canon);
      const q = readMpint(r, 'DSA q', canon);
      const g = readMpint(r, 'DSA g', canon);
      const y = readMpint(r, 'DSA public value', canon);
      const body: KeyBody = { family: 'DSA', bits: bitsOf(p), unsupported: true, params: { p } };
      if (!canon.minimal)
        body.canonicalFields = new SshWriter().mpint(p).mpint(q).mpint(g).mpint(y).toBuffer();
      return body;
    }
  }
}

function readApplication(r: SshReader): string {
  const app = r.string();
  return app;
}

/** A string safe to put in an error message: control bytes escaped, long text cut. */
export function printable(s: string, max = 40): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? clean.slice(0, max) + '…' : clean;
}
