/**
 * startSandbox: every emulator on loopback, the connection file (0600, atomic, the contract's
 * shape), state kept across restarts and saved soon after each change, clean stop.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultConnectionPath,
  readConnectionFile,
  type SandboxConnection,
} from '../../src/sandbox/connection.js';
import { SandboxError } from '../../src/sandbox/errors.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { call, makeKey } from './helpers.js';

let dir: string;
const running: Sandbox[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kf-'));
});
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(opts: Parameters<typeof startSandbox>[0]): Promise<Sandbox> {
  const s = await startSandbox(opts);
  running.push(s);
  return s;
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('startSandbox', () => {
  it("writes a 0600 connection file with the contract's sections, URLs that work, and removes it on stop", async () => {
    const file = join(dir, 'conn', 'sandbox.json');
    const s = await start({ connectionFile: file });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const conn = JSON.parse(readFileSync(file, 'utf8')) as SandboxConnection;
    expect(conn).toEqual(s.connection);
    expect(conn).toMatchObject({ version: 1, pid: process.pid, stateFile: null });
    expect(conn.github).toMatchObject({ org: 'mlops', users: ['alice', 'bob', 'ci-bot'] });
    expect(conn.github?.repos).toEqual(['mlops/trainer', 'mlops/datasets', 'mlops/infra']);
    expect(Object.keys(conn.github?.tokens ?? {})).toEqual([
      'alice',
      'alice-readonly',
      'bob',
      'ci-bot',
      'no-scopes',
    ]);
    for (const t of Object.values(conn.github?.tokens ?? {})) expect(t).toMatch(/^kfgh_[A-Za-z0-9]{24,}$/);
    expect(conn.github?.token).toBe(conn.github?.tokens.alice);
    expect(conn.gitlab).toMatchObject({
      group: 'ml',
      projects: ['ml/trainer', 'ml/datasets', 'ml/platform/infra'],
      users: [
        { id: 1, username: 'root', admin: true },
        { id: 2, username: 'alice' },
        { id: 3, username: 'bob' },
        { id: 4, username: 'carol' },
      ],
    });
    expect(conn.gitlab?.apiUrl).toBe(`${conn.gitlab?.url}/api/v4`);
    expect(conn.gitlab?.token).toBe(conn.gitlab?.tokens.root);
    for (const t of Object.values(conn.gitlab?.tokens ?? {})) expect(t).toMatch(/^kfgl_[A-Za-z0-9]{24,}$/);

    const who = await call(`${conn.github!.apiUrl}/user`, {
      headers: { authorization: `Bearer ${conn.github!.token}` },
    });
    expect((who.json as { login: string }).login).toBe('alice');
    const me = await call(`${conn.gitlab!.apiUrl}/user`, {
      headers: { 'private-token': conn.gitlab!.token },
    });
    expect((me.json as { username: string }).username).toBe('root');
    expect(await readConnectionFile(file)).toEqual(conn);
    expect(s.github.url).toBe(conn.github!.apiUrl);

    await s.stop();
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(join(dir, 'conn'))).toEqual([]); // no temp files left behind
    await expect(fetch(`${conn.github!.apiUrl}/meta`)).rejects.toThrow();
    await s.stop(); // twice is fine
  });

  it('new random tokens on each fresh start', async () => {
    const a = await start({});
    const b = await start({});
    expect(a.connection.github?.token).not.toBe(b.connection.github?.token);
    expect(a.connection.gitlab?.token).not.toBe(b.connection.gitlab?.token);
  });

  it('--state: keys and tokens survive a restart; the state file is written soon after each change', async () => {
    const stateFile = join(dir, 'state.json');
    const k = makeKey();
    const d = makeKey();
    const s1 = await start({ stateFile });
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    const gh = s1.connection.github!;
    const gl = s1.connection.gitlab!;
    const r1 = await call(`${gh.apiUrl}/user/keys`, {
      method: 'POST',
      headers: { authorization: `token ${gh.token}` },
      body: { key: k.line },
    });
    expect(r1.status).toBe(201);
    const r2 = await call(`${gl.apiUrl}/projects/ml%2Ftrainer/deploy_keys`, {
      method: 'POST',
      headers: { 'private-token': gl.tokens.alice! },
      body: { title: 'ci', key: d.line, can_push: true },
    });
    expect(r2.status).toBe(201);
    // Saved without a stop, so a kill -9 loses little.
    await until(
      () => readFileSync(stateFile, 'utf8').includes(d.fingerprint.slice(7)),
      'the state file to be saved',
    );
    expect(readFileSync(stateFile, 'utf8')).toContain(k.fingerprint);
    await s1.stop();

    const s2 = await start({ stateFile });
    expect(s2.connection.github?.tokens).toEqual(gh.tokens);
    expect(s2.connection.gitlab?.tokens).toEqual(gl.tokens);
    expect(s2.connection.stateFile).toBe(stateFile);
    const keys = await call(`${s2.connection.github!.apiUrl}/user/keys`, {
      headers: { authorization: `Bearer ${gh.token}` },
    });
    expect((keys.json as { key: string }[]).map((x) => x.key)).toEqual([k.bare]);
    const dks = await call(`${s2.connection.gitlab!.apiUrl}/projects/101/deploy_keys`, {
      headers: { 'private-token': gl.tokens.alice! },
    });
    expect(dks.json).toMatchObject([{ title: 'ci', can_push: true }]);
    // Ids keep increasing after a restart.
    const r3 = await call(`${s2.connection.github!.apiUrl}/user/keys`, {
      method: 'POST',
      headers: { authorization: `token ${gh.token}` },
      body: { key: makeKey().line },
    });
    expect((r3.json as { id: number }).id).toBeGreaterThan((r1.json as { id: number }).id);
  });

  it('keeps state sections of emulators not started this time', async () => {
    const stateFile = join(dir, 'state.json');
    writeFileSync(
      stateFile,
      JSON.stringify({ version: 1, savedAt: 'x', emulators: { future: { hello: 1 } } }),
    );
    const s = await start({ stateFile, only: ['github'] });
    await s.stop();
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { emulators: Record<string, unknown> };
    expect(saved.emulators.future).toEqual({ hello: 1 });
    expect(saved.emulators.github).toBeDefined();
    expect(saved.emulators.gitlab).toBeUndefined();
    expect(() => s.gitlab).toThrow(SandboxError);
  });

  it('a bad state file is a SandboxError naming the file', async () => {
    const stateFile = join(dir, 'state.json');
    writeFileSync(stateFile, '{oops');
    await expect(startSandbox({ stateFile })).rejects.toThrow(
      /state\.json: the sandbox state file is not valid JSON/,
    );
    writeFileSync(stateFile, JSON.stringify({ version: 1, emulators: { github: { version: 7 } } }));
    await expect(startSandbox({ stateFile })).rejects.toThrow(/state\.json: the saved GitHub emulator state/);
  });

  it('--no-seed starts empty emulators', async () => {
    const s = await start({ seed: false });
    expect(s.connection.github).toMatchObject({ users: [], repos: [], token: '' });
    expect(s.connection.gitlab).toMatchObject({ users: [], projects: [] });
  });

  it('refuses a connection file owned by another live sandbox; takes over a stale one', async () => {
    const file = join(dir, 'sandbox.json');
    writeFileSync(file, JSON.stringify({ version: 1, pid: process.ppid, startedAt: 'x', stateFile: null }));
    await expect(startSandbox({ connectionFile: file })).rejects.toThrow(/already running and owns/);
    writeFileSync(
      file,
      JSON.stringify({ version: 1, pid: 2 ** 22 + 12345, startedAt: 'x', stateFile: null }),
    );
    const s = await start({ connectionFile: file });
    expect((JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid).toBe(process.pid);
    await s.stop();
  });
});

describe('connection file helpers', () => {
  it('defaultConnectionPath: $KEYFLEET_SANDBOX_FILE, else ~/.keyfleet/sandbox.json', () => {
    expect(defaultConnectionPath({ KEYFLEET_SANDBOX_FILE: join(dir, 'x.json') })).toBe(join(dir, 'x.json'));
    expect(defaultConnectionPath({})).toMatch(/\.keyfleet\/sandbox\.json$/);
  });

  it('clear errors: missing file, not a connection file, a sandbox that is gone', async () => {
    const missing = join(dir, 'none.json');
    await expect(readConnectionFile(missing)).rejects.toThrow(
      `${missing}: no such sandbox connection file; no sandbox running? start one with \`keyfleet sandbox\``,
    );
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '[]');
    await expect(readConnectionFile(junk)).rejects.toThrow(/not a keyfleet sandbox connection file/);
    const stale = join(dir, 'stale.json');
    writeFileSync(stale, JSON.stringify({ version: 1, pid: 2 ** 22 + 12345 }));
    await expect(readConnectionFile(stale)).rejects.toThrow(
      /is no longer running; start one with `keyfleet sandbox`/,
    );
    await expect(readConnectionFile(missing)).rejects.toBeInstanceOf(SandboxError);
  });
});
