/**
 * `keyfleet verify`, `keyfleet known-hosts --sandbox` and `keyfleet demo` as a user runs them:
 * separate processes, with real ssh and git against a sandbox. The sandbox runs in this process,
 * so every child is spawned asynchronously (its sshd asks this process which keys to accept).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/keys/generate.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { findSshTools } from '../../src/sandbox/sshd/prerequisites.js';
import { CLI, ensureBuilt } from '../cli/helpers.js';

const tools = findSshTools();
const suite = tools.tools || process.env.KEYFLEET_REQUIRE_E2E ? describe : describe.skip;

function cli(args: string[], timeout = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { encoding: 'utf8', timeout, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

suite('verify, known-hosts and demo from the command line', { timeout: 180_000 }, () => {
  let dir: string;
  let sandbox: Sandbox;
  let conn: string;
  let key: string;

  beforeAll(async () => {
    if (!tools.tools) throw new Error(`the e2e tests need ${tools.missing.join(', ')}: ${tools.installHint}`);
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'kf-e2e-cli-'));
    conn = join(dir, 'sandbox.json');
    sandbox = await startSandbox({ connectionFile: conn, ssh: true });
    const pair = generateKeyPair({ comment: 'cli-e2e' });
    key = join(dir, 'id');
    writeFileSync(key, pair.privateKey, { mode: 0o600 });
    writeFileSync(`${key}.pub`, pair.publicKey);
  }, 120_000);

  afterAll(async () => {
    await sandbox?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports denied before a grant, ok after, and denied again after revoke (--expect-denied)', async () => {
    const before = await cli(['verify', key, 'github:repo/mlops/trainer', '--sandbox', conn, '--json']);
    expect(before.code).toBe(1);
    const doc = JSON.parse(before.stdout) as { pass: boolean; checks: { outcome: string }[] };
    expect(doc.pass).toBe(false);
    expect(doc.checks.map((c) => c.outcome)).toEqual(['denied']);

    expect(
      (
        await cli([
          'grant',
          `${key}.pub`,
          'github:repo/mlops/trainer',
          'gcp:project/ml-prod?user=ci',
          '--sandbox',
          conn,
        ])
      ).code,
    ).toBe(0);
    const ok = await cli([
      'verify',
      key,
      'github:repo/mlops/trainer',
      'gcp:project/ml-prod?user=ci',
      '--sandbox',
      conn,
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/github:repo\/mlops\/trainer\s+git ls-remote .* ok/);
    expect(ok.stdout).toMatch(/trainer-1.* ok/);

    expect((await cli(['revoke', `${key}.pub`, 'github:repo/mlops/trainer', '--sandbox', conn])).code).toBe(
      0,
    );
    const gone = await cli([
      'verify',
      '--expect-denied',
      key,
      'github:repo/mlops/trainer',
      '--sandbox',
      conn,
    ]);
    expect(gone.code).toBe(0);
    expect(gone.stdout).toContain('denied');
  });

  it('refuses a private key file others can read, with the fix', async () => {
    const loose = join(dir, 'loose');
    writeFileSync(loose, generateKeyPair().privateKey);
    chmodSync(loose, 0o644);
    const r = await cli(['verify', loose, 'github:repo/mlops/trainer', '--sandbox', conn]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('chmod 600');
    expect(r.stderr).not.toContain('    at ');
  });

  it('prints known_hosts lines for the sandbox hosts that ssh accepts as pins', async () => {
    const r = await cli(['known-hosts', 'sandbox', '--sandbox', conn]);
    expect(r.code).toBe(0);
    const port = sandbox.ssh!.github!.port;
    for (const k of sandbox.ssh!.github!.hostKeys)
      expect(r.stdout).toContain(`[127.0.0.1]:${port} ${k.publicKey}`);
    const file = join(dir, 'kh');
    writeFileSync(file, r.stdout);
    const check = await cli(['known-hosts', '--check', file, '--sandbox', conn]);
    expect(check.code).toBe(0);
  });

  it('runs the demo: every step behaves as expected', async () => {
    const r = await cli(['demo'], 300_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('key A is denied by both git hosts and the VM');
    expect(r.stdout).toContain('Every step behaved as expected');
    expect(r.stdout).not.toContain('FAIL');
  }, 300_000);
});
