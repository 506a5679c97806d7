/**
 * NIST prime curves used by OpenSSH ECDSA keys, and the public-point validation OpenSSH applies
 * (`sshkey_ec_validate_public`). Hand-written with BigInt rather than node:crypto's
 * createPublicKey because it runs once per line when inspecting 100k-line files and
 * createPublicKey is about ten times slower.
 */

export type CurveName = 'nistp256' | 'nistp384' | 'nistp521';

interface Curve {
  name: CurveName;
  /** Size in bits, as `ssh-keygen -l` reports it. */
  bits: number;
  /** Bytes per coordinate. */
  size: number;
  p: bigint;
  b: bigint;
  /** Order of the base point. */
  n: bigint;
  /** 2^(bits(n)/2): OpenSSH refuses coordinates below it ("log2(x) > log2(order)/2"). */
  minCoord: bigint;
  /** n - 1: OpenSSH refuses coordinates at or above it. */
  maxCoord: bigint;
  /** JWK curve name for node:crypto. */
  jwk: 'P-256' | 'P-384' | 'P-521';
  /** Hash used by ecdsa-sha2-<curve> signatures. */
  hash: 'sha256' | 'sha384' | 'sha512';
}

function curve(
  name: CurveName,
  bits: number,
  p: string,
  b: string,
  n: string,
  jwk: Curve['jwk'],
  hash: Curve['hash'],
): Curve {
  const nn = BigInt('0x' + n);
  return {
    name,
    bits,
    size: Math.ceil(bits / 8),
    p: BigInt('0x' + p),
    b: BigInt('0x' + b),
    n: nn,
    minCoord: 1n << BigInt(Math.floor(nn.toString(2).length / 2)),
    maxCoord: nn - 1n,
    jwk,
    hash,
  };
}

// Domain parameters from SEC 2 / FIPS 186-4 (a = -3 for all three).
export const CURVES: Readonly<Record<CurveName, Curve>> = {
  nistp256: curve(
    'nistp256',
    256,
    'ffffffff00000001000000000000000000000000ffffffffffffffffffffffff',
    '5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b',
    'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
    'P-256',
    'sha256',
  ),
  nistp384: curve(
    'nistp384',
    384,
    'fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff',
    'b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef',
    'ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
    'P-384',
    'sha384',
  ),
  nistp521: curve(
    'nistp521',
    521,
    '01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    '0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00',
    '01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
    'P-521',
    'sha512',
  ),
};

export function isCurveName(name: string): name is CurveName {
  return name === 'nistp256' || name === 'nistp384' || name === 'nistp521';
}

/**
 * Why an encoded public point is not acceptable on `curveName`, or undefined when it is.
 * Mirrors OpenSSH: uncompressed only (0x04 || X || Y), the point on the curve, and OpenSSH's
 * extra checks (coordinates longer than half the order and below order - 1). Cofactor is 1 for
 * these curves, so "on the curve and not infinity" implies nQ = infinity.
 */
export function ecPointProblem(curveName: CurveName, point: Uint8Array): string | undefined {
  const c = CURVES[curveName];
  if (point.length === 0) return 'the EC point is empty';
  if (point[0] !== 0x04) {
    return `the EC point is not in uncompressed form (first byte 0x${point[0]!.toString(16).padStart(2, '0')}; OpenSSH accepts only 0x04)`;
  }
  if (point.length !== 1 + 2 * c.size) {
    return `the EC point is ${point.length} bytes; an uncompressed ${curveName} point is ${1 + 2 * c.size} bytes`;
  }
  const p = Buffer.isBuffer(point) ? point : Buffer.from(point.buffer, point.byteOffset, point.length);
  const x = BigInt('0x' + p.toString('hex', 1, 1 + c.size));
  const y = BigInt('0x' + p.toString('hex', 1 + c.size));
  if (x >= c.p || y >= c.p) return `the EC point's coordinates are not reduced modulo the ${curveName} prime`;
  // y^2 = x^3 - 3x + b (mod p), with one reduction: BigInt products are cheap, `%` is not.
  if ((y * y - x * (x * x - 3n) - c.b) % c.p !== 0n) return `the EC point is not on the ${curveName} curve`;
  if (x < c.minCoord || y < c.minCoord || x >= c.maxCoord || y >= c.maxCoord) {
    return 'the EC point has out-of-range coordinates (OpenSSH rejects it)';
  }
  return undefined;
}
