/** Keys generated at test time (never committed) and small HTTP helpers for the emulator tests. */
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sshPublicBlob } from '../../src/keys/node-key.js';

export interface TestKey {
  /** `type base64 comment`, as in a `.pub` file. */
  line: string;
  /** `type base64` (what GitHub returns). */
  bare: string;
  type: string;
  blob: string;
  /** `SHA256:…` as ssh-keygen prints it. */
  fingerprint: string;
  /** MD5 hex with colons, no prefix (GitLab's `fingerprint`). */
  md5: string;
}

export function makeKey(
  comment = 'test@keyfleet',
  kind: 'ed25519' | 'ecdsa' | 'rsa' | 'dsa' = 'ed25519',
): TestKey {
  const pair =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : kind === 'ecdsa'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : kind === 'dsa'
          ? generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 })
          : generateKeyPairSync('ed25519');
  const blob = sshPublicBlob(pair.publicKey);
  const type = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString();
  const b64 = blob.toString('base64');
  return {
    line: `${type} ${b64} ${comment}`,
    bare: `${type} ${b64}`,
    type,
    blob: b64,
    fingerprint: 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, ''),
    md5: createHash('md5')
      .update(blob)
      .digest('hex')
      .replace(/(..)(?!$)/g, '$1:'),
  };
}

export function makeKeys(n: number, prefix = 'bulk'): TestKey[] {
  return Array.from({ length: n }, (_, i) => makeKey(`${prefix}-${i}`));
}

export interface Fetched {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** fetch with a JSON body and the parsed answer (json is undefined for an empty or non-JSON body). */
export async function call(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Fetched> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** An OpenSSH user certificate line made with the system ssh-keygen; undefined when it is missing. */
export function makeCertificateLine(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'kf-'));
  try {
    const q = { stdio: 'ignore' } as const;
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'ca')], q);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'user')], q);
    execFileSync('ssh-keygen', ['-q', '-s', join(dir, 'ca'), '-I', 'test', join(dir, 'user.pub')], q);
    return readFileSync(join(dir, 'user-cert.pub'), 'utf8').trim();
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
