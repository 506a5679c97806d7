/**
 * The sandbox connection file: where a running `keyfleet sandbox` says its emulators listen and
 * which tokens they accept. Every command's `--sandbox [FILE]` reads it. Kept free of heavy
 * imports: the CLI loads it on demand.
 */
import { readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { SandboxError } from './errors.js';
import { writeFileAtomic } from './files.js';
import type { SshHostsInfo } from './sshd/ssh-hosts.js';

export interface GithubConnection {
  /** REST API root, e.g. `http://127.0.0.1:PORT` (what Octokit calls `baseUrl`). */
  apiUrl: string;
  /** The default token: user `alice` with every key scope and `repo`. */
  token: string;
  /** Named tokens: `alice`, `alice-readonly`, `bob`, `ci-bot`, `no-scopes`. */
  tokens: Record<string, string>;
  users: string[];
  org: string;
  repos: string[];
}

export interface GitlabConnection {
  /** Instance URL (what gitbeaker calls `host`). */
  url: string;
  /** `${url}/api/v4`. */
  apiUrl: string;
  /** The default token: `root`, an administrator, scope `api`. */
  token: string;
  /** Named tokens: `root`, `alice`, `alice-read`, `bob`, `carol`. */
  tokens: Record<string, string>;
  users: { id: number; username: string; admin?: boolean }[];
  group: string;
  projects: string[];
}

export interface GcpConnection {
  computeUrl: string;
  osloginUrl: string;
  token: string;
  tokens: Record<string, string>;
  projects: string[];
  instances: string[];
  osloginUsers: string[];
}

export interface SandboxConnection {
  version: 1;
  /** The process running the sandbox. */
  pid: number;
  /** ISO 8601. */
  startedAt: string;
  /** Absolute path of the `--state` file, or null when state is not kept. */
  stateFile: string | null;
  github?: GithubConnection;
  gitlab?: GitlabConnection;
  gcp?: GcpConnection;
  /** The real SSH git hosts and VMs, when the sandbox runs them. */
  ssh?: SshHostsInfo;
  /** Sections of emulators registered later (each emulator's `connectionInfo()`). */
  [section: string]: unknown;
}

/** `$KEYFLEET_SANDBOX_FILE`, else `~/.keyfleet/sandbox.json`. */
export function defaultConnectionPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.KEYFLEET_SANDBOX_FILE;
  return fromEnv ? resolve(fromEnv) : join(homedir(), '.keyfleet', 'sandbox.json');
}

const START_HINT = 'start one with `keyfleet sandbox`';

/** True when a process with this id exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Reads and checks a connection file. Throws SandboxError when the file is missing ("no sandbox
 * running?"), unreadable, not a keyfleet connection file, or left behind by a sandbox whose
 * process has ended.
 */
export async function readConnectionFile(path: string = defaultConnectionPath()): Promise<SandboxConnection> {
  return readConnectionFileSync(path);
}

export function readConnectionFileSync(path: string = defaultConnectionPath()): SandboxConnection {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new SandboxError(`${path}: no such sandbox connection file; no sandbox running? ${START_HINT}`, {
        path,
        cause: err,
      });
    }
    throw new SandboxError(`${path}: cannot read the sandbox connection file (${code ?? String(err)})`, {
      path,
      cause: err,
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SandboxError(`${path}: not a sandbox connection file (invalid JSON); ${START_HINT}`, {
      path,
      cause: err,
    });
  }
  if (!isConnection(doc)) {
    throw new SandboxError(
      `${path}: not a keyfleet sandbox connection file (expected "version": 1 and "pid"); ${START_HINT}`,
      { path },
    );
  }
  if (!processAlive(doc.pid)) {
    throw new SandboxError(
      `${path}: the sandbox that wrote this file (pid ${doc.pid}) is no longer running; ${START_HINT}`,
      { path },
    );
  }
  return doc;
}

function isConnection(doc: unknown): doc is SandboxConnection {
  if (typeof doc !== 'object' || doc === null) return false;
  const d = doc as Record<string, unknown>;
  return d.version === 1 && typeof d.pid === 'number' && Number.isInteger(d.pid) && d.pid > 0;
}

/** Writes the connection file atomically with mode 0600 (it holds tokens). */
export function writeConnectionFile(path: string, conn: SandboxConnection): void {
  writeFileAtomic(path, JSON.stringify(conn, null, 2) + '\n');
}

/** Removes the connection file if it is still the one this process wrote. */
export function removeConnectionFile(path: string, pid: number = process.pid): void {
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown };
    if (doc.pid !== pid) return; // another sandbox took over the file; leave it
  } catch {
    return;
  }
  rmSync(path, { force: true });
}
