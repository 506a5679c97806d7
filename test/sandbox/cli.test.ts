/**
 * `keyfleet sandbox` as a process (node dist/cli/main.js; build first): it starts, writes a
 * 0600 connection file with working URLs, keeps state across restarts with --state, and exits 0
 * on SIGTERM/SIGINT after removing the connection file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxConnection } from '../../src/sandbox/connection.js';
import { call, makeKey } from './helpers.js';

const MAIN = resolve('dist/cli/main.js');
let dir: string;
const children: ChildProcess[] = [];

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function run(args: string[]): Running {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, HOME: dir, KEYFLEET_SANDBOX_FILE: join(dir, 'default-sandbox.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Waits until the sandbox printed its whole JSON document (or died). */
async function connectionFrom(r: Running): Promise<SandboxConnection> {
  for (let i = 0; i < 400; i++) {
    try {
      return JSON.parse(r.stdout()) as SandboxConnection;
    } catch {
      if (r.child.exitCode !== null) throw new Error(`keyfleet sandbox exited early: ${r.stderr()}`);
      await new Promise((w) => setTimeout(w, 25));
    }
  }
  throw new Error(`keyfleet sandbox printed no connection document: ${r.stdout()} ${r.stderr()}`);
}

beforeAll(() => {
  if (!existsSync(MAIN))
    throw new Error('dist/cli/main.js is missing: run `npx tsc -p tsconfig.build.json` first');
  dir = mkdtempSync(join(tmpdir(), 'kf-'));
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('keyfleet sandbox', () => {
  it('starts, serves, survives a restart with --state, and stops cleanly on SIGTERM and SIGINT', async () => {
    const connFile = join(dir, 'conn.json');
    const stateFile = join(dir, 'state.json');
    const first = run(['sandbox', '--json', '--connection-file', connFile, '--state', stateFile]);
    const conn = await connectionFrom(first);
    expect(statSync(connFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(connFile, 'utf8'))).toEqual(conn);
    expect(conn).toMatchObject({ version: 1, pid: first.child.pid, stateFile });
    expect(conn.github?.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(conn.gitlab?.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v4$/);

    const k = makeKey();
    const added = await call(`${conn.github!.apiUrl}/repos/mlops/trainer/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${conn.github!.token}` },
      body: { key: k.line, title: 'ci', read_only: true },
    });
    expect(added.status).toBe(201);
    const me = await call(`${conn.gitlab!.apiUrl}/user`, {
      headers: { 'private-token': conn.gitlab!.token },
    });
    expect(me.json).toMatchObject({ username: 'root', is_admin: true });

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(existsSync(connFile)).toBe(false);
    expect(first.stderr()).toContain('sandbox stopped (SIGTERM)');
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);

    const second = run(['sandbox', '--json', '--connection-file', connFile, '--state', stateFile]);
    const conn2 = await connectionFrom(second);
    expect(conn2.github?.tokens).toEqual(conn.github?.tokens);
    const keys = await call(`${conn2.github!.apiUrl}/repos/mlops/trainer/keys`, {
      headers: { authorization: `Bearer ${conn2.github!.token}` },
    });
    expect(keys.json).toMatchObject([{ key: k.bare, title: 'ci', read_only: true }]);

    // A second sandbox on the same connection file is refused while this one runs.
    const third = run(['sandbox', '--connection-file', connFile]);
    expect(await third.exited).toBe(1);
    expect(third.stderr()).toMatch(/^keyfleet: error: a sandbox \(pid \d+\) is already running and owns /);

    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(existsSync(connFile)).toBe(false);
  });

  it('without --json prints where things are and how to use --sandbox, never a token', async () => {
    const r = run(['sandbox']);
    const file = join(dir, 'default-sandbox.json');
    for (let i = 0; i < 400 && !r.stdout().includes('Press Ctrl-C'); i++)
      await new Promise((w) => setTimeout(w, 25));
    const out = r.stdout();
    expect(out).toContain(`Connection file  ${file} (mode 0600`);
    expect(out).toContain('keyfleet list github:repo/mlops/trainer --sandbox\n');
    const conn = JSON.parse(readFileSync(file, 'utf8')) as SandboxConnection;
    expect(out).toContain(conn.github!.apiUrl);
    expect(out).toContain(conn.gitlab!.apiUrl);
    for (const t of [...Object.values(conn.github!.tokens), ...Object.values(conn.gitlab!.tokens)])
      expect(out).not.toContain(t);
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    expect(existsSync(file)).toBe(false);
  });

  it('--help exits 0 and documents the flags', async () => {
    const r = run(['sandbox', '--help']);
    expect(await r.exited).toBe(0);
    for (const flag of ['--state', '--connection-file', '--json', '--no-seed'])
      expect(r.stdout()).toContain(flag);
  });
});
