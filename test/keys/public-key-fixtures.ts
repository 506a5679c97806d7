/**
 * Helpers shared by the public-key tests: the system ssh-keygen as an oracle, temp dirs,
 * and builders for hand-made (often deliberately broken) key blobs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const SSH_KEYGEN = '/usr/bin/ssh-keygen';
export const HAVE_SSH_KEYGEN = fs.existsSync(SSH_KEYGEN);
export const VECTORS = '/work/shared/test-vectors/openssh-sshkey';

export function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kf-'));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Runs ssh-keygen (UTC, so certificate times print comparably); throws on failure. */
export function sshKeygen(args: string[], input?: string): string {
  return execFileSync(SSH_KEYGEN, args, {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC' },
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(input === undefined ? {} : { input }),
  });
}

/** ssh-keygen's exit status and output, without throwing. */
export function sshKeygenStatus(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(SSH_KEYGEN, args, { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface KeygenListing {
  bits: number;
  fingerprint: string;
  comment: string;
  /** The parenthesised type label, e.g. `ED25519` or `RSA-CERT`. */
  label: string;
}

/** Parses one `ssh-keygen -l` line: `BITS FP COMMENT (LABEL)`. */
export function parseKeygenList(line: string): KeygenListing {
  const m = /^(\d+) (\S+) (.*) \(([A-Z0-9-]+)\)$/.exec(line.trim());
  if (!m) throw new Error(`unexpected ssh-keygen -l output: ${line}`);
  return { bits: Number(m[1]), fingerprint: m[2]!, comment: m[3]!, label: m[4]! };
}

/** `ssh-keygen -l [-E md5] -f FILE` for a single-key file. */
export function keygenList(file: string, hash: 'sha256' | 'md5' = 'sha256'): KeygenListing {
  return parseKeygenList(sshKeygen(['-l', '-E', hash, '-f', file]));
}

/** Generates a key pair with ssh-keygen; returns the private key path (`.pub` beside it). */
export function generateKey(
  dir: string,
  name: string,
  type: string,
  bits?: number,
  comment = `${name}@kf-test`,
): string {
  const file = path.join(dir, name);
  const args = ['-q', '-t', type, '-N', '', '-C', comment, '-f', file];
  if (bits !== undefined) args.push('-b', String(bits));
  sshKeygen(args);
  return file;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export function u64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
}

/** An SSH `string`: uint32 length + bytes. */
export function sshString(v: string | Uint8Array): Buffer {
  const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
  return Buffer.concat([u32(b.length), b]);
}

/** An SSH `mpint` from unsigned big-endian bytes (minimal encoding). */
export function sshMpint(mag: Uint8Array): Buffer {
  let i = 0;
  while (i < mag.length && mag[i] === 0) i++;
  const m = Buffer.from(mag.subarray(i));
  return sshString(m.length > 0 && (m[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), m]) : m);
}

export function blobLine(type: string, blob: Buffer, comment = ''): string {
  return `${type} ${blob.toString('base64')}${comment ? ' ' + comment : ''}`;
}

/** Reads a vector file's text, trimmed. */
export function vector(name: string): string {
  return fs.readFileSync(path.join(VECTORS, name), 'utf8').trim();
}

/** A fresh Ed25519 key pair from node:crypto with its raw 32-byte public key. */
export function ed25519Pair(): { privateKey: KeyObject; pk: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pk = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return { privateKey, pk };
}

export function ed25519Blob(pk: Buffer): Buffer {
  return Buffer.concat([sshString('ssh-ed25519'), sshString(pk)]);
}

export interface CertSpec {
  pk?: Buffer;
  role?: number;
  serial?: bigint;
  keyId?: string;
  principals?: string[];
  validAfter?: bigint;
  validBefore?: bigint;
  critical?: [string, string][];
  extensions?: string[];
  /** Bytes appended after the signature (to test trailing data). */
  trailing?: Buffer;
}

/** Builds and signs an `ssh-ed25519-cert-v01@openssh.com` certificate with a fresh Ed25519 CA. */
export function buildEd25519Cert(spec: CertSpec = {}): { blob: Buffer; caBlob: Buffer } {
  const ca = ed25519Pair();
  const pk = spec.pk ?? ed25519Pair().pk;
  const opts = (pairs: [string, string][]): Buffer =>
    sshString(
      Buffer.concat(pairs.flatMap(([k, v]) => [sshString(k), v === '' ? u32(0) : sshString(sshString(v))])),
    );
  const caBlob = ed25519Blob(ca.pk);
  const body = Buffer.concat([
    sshString('ssh-ed25519-cert-v01@openssh.com'),
    sshString(Buffer.alloc(32, 7)),
    sshString(pk),
    u64(spec.serial ?? 1n),
    u32(spec.role ?? 1),
    sshString(spec.keyId ?? 'test-id'),
    sshString(Buffer.concat((spec.principals ?? ['alice']).map((p) => sshString(p)))),
    u64(spec.validAfter ?? 0n),
    u64(spec.validBefore ?? 0xffffffffffffffffn),
    opts(spec.critical ?? []),
    opts((spec.extensions ?? ['permit-pty']).map((e) => [e, ''])),
    sshString(''),
    sshString(caBlob),
  ]);
  const sig = Buffer.concat([sshString('ssh-ed25519'), sshString(cryptoSign(null, body, ca.privateKey))]);
  return { blob: Buffer.concat([body, sshString(sig), spec.trailing ?? Buffer.alloc(0)]), caBlob };
}
