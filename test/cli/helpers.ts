/**
 * Shared by the CLI tests: a built `dist/cli/main.js` (built once per run if src is newer, under
 * a lock so parallel test files do not build twice), a runner that spawns it, temp dirs, and
 * ssh-keygen for keys generated at test time.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Builds src -> dist unless dist/cli/main.js is newer than every source file (`npm test` builds first). */
export function ensureBuilt(): void {
  const fresh = (): boolean =>
    fs.existsSync(CLI) && fs.statSync(CLI).mtimeMs >= newestMtime(path.join(ROOT, 'src'));
  if (fresh()) return;
  const lock = path.join(os.tmpdir(), 'keyfleet-test-build.lock');
  for (let waited = 0; ; waited += 200) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (waited > 120_000) fs.rmSync(lock, { recursive: true, force: true }); // stale lock
      sleep(200);
      if (fresh()) return;
    }
  }
  try {
    // tsc emits even when files owned by others have type errors; the CLI tests only need ours.
    spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
        stdio: 'ignore',
      },
    );
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
  if (!fs.existsSync(CLI))
    throw new Error(`build failed: ${CLI} missing (run npx tsc -p tsconfig.build.json)`);
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli/main.js ...args`, never with KEYFLEET_DEBUG (so no stack traces are expected). */
export function runCli(args: string[], options: { input?: string | Buffer; cwd?: string } = {}): CliResult {
  const env = { ...process.env };
  delete env.KEYFLEET_DEBUG;
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input: options.input ?? '',
    cwd: options.cwd ?? ROOT,
    env,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A shell command (for umask tests); returns like runCli. */
export function runShell(script: string, cwd: string): CliResult {
  const r = spawnSync('/bin/sh', ['-c', script], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kf-'));
}

/** Runs ssh-keygen; throws with its stderr when it fails. */
export function sshKeygen(args: string[], options: { cwd?: string } = {}): string {
  const r = spawnSync('ssh-keygen', args, { encoding: 'utf8', cwd: options.cwd });
  if (r.status !== 0) throw new Error(`ssh-keygen ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Generates an unencrypted key pair with ssh-keygen at dir/name; returns the private key path. */
export function genKey(dir: string, name: string, type: string, extra: string[] = []): string {
  const file = path.join(dir, name);
  sshKeygen(['-q', '-t', type, '-N', '', '-C', `${name}@test`, '-f', file, ...extra]);
  return file;
}

/** The SHA256 fingerprint ssh-keygen prints for a key file. */
export function sshFingerprint(file: string, hash: 'sha256' | 'md5' = 'sha256'): string {
  return sshKeygen(['-l', '-E', hash, '-f', file]).split(' ')[1]!;
}

/** The lines of a PEM/OpenSSH private key body: none may ever appear in keyfleet's output. */
export function privateBodyLines(privateKeyFile: string): string[] {
  return fs
    .readFileSync(privateKeyFile, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('-----') && !l.includes(':'));
}

/** True when a stack trace frame appears in `text`. */
export function hasStackTrace(text: string): boolean {
  return /\n\s+at /.test(text) || text.includes('    at ');
}

export interface InspectJson {
  keys: {
    source: string;
    type: string;
    family: string;
    bits: number;
    fingerprint: string;
    md5: string;
    comment: string;
    options: { name: string; value?: string }[];
    certificate: null | {
      keyId: string;
      principals: string[];
      validAfter: string | null;
      validBefore: string | null;
      caFingerprint: string;
      role: string;
      serial: string;
    };
    knownHost: null | { marker?: string; hosts: string[]; hashed: boolean };
    fromPrivateKey: boolean;
    verdict: string;
    findings: { code: string; severity: string; message: string }[];
  }[];
  errors: { source: string; message: string; code: string }[];
}
