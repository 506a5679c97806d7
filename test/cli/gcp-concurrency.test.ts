/**
 * THE PROOF that nothing is lost: 20 `keyfleet grant` processes add 20 different keys to the same
 * project's ssh-keys at once. Afterwards all 20 are there and every line that was there before is
 * unchanged. The same race run by a naive writer (read, modify, write back without the
 * fingerprint) against the emulator with its fingerprint precondition switched off loses updates,
 * which shows the assertions can fail.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSshKeys } from '../../src/platforms/gcp/ssh-keys-codec.js';
import { newKey } from '../platforms/gcp/helpers.js';
import { MAIN, sshKeysOf, startGcpSandbox, type GcpSandbox } from './gcp-helpers.js';

const N = 20;
let s: GcpSandbox;

beforeAll(async () => {
  s = await startGcpSandbox();
});
afterAll(async () => {
  await s.sandbox.stop();
  rmSync(s.dir, { recursive: true, force: true });
});

function exitOf(
  child: ChildProcessWithoutNullStreams,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

/** Counts the metadata setter calls the emulator receives (successful or 412). */
function countSetters(): { count: () => number; stop: () => void } {
  let n = 0;
  const onRequest = (req: { method?: string; url?: string }) => {
    if (req.method === 'POST' && req.url?.includes('/setCommonInstanceMetadata')) n++;
  };
  s.emu.server.server.on('request', onRequest);
  return { count: () => n, stop: () => s.emu.server.server.off('request', onRequest) };
}

async function setProjectValue(value: string): Promise<void> {
  const md = s.emu.getProjectMetadata('ml-prod')!;
  const res = await fetch(`${s.emu.computeUrl}/projects/ml-prod/setCommonInstanceMetadata`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.emu.token()}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      fingerprint: md.fingerprint,
      items: md.items!.map((i) => (i.key === 'ssh-keys' ? { ...i, value } : i)),
    }),
  });
  expect(res.status).toBe(200);
}

/**
 * The naive writer, as a script for `node -e`: GET the project, say "read", wait for "go" on
 * stdin (so every writer has read before any writes), then POST the item list with one line
 * appended and no fingerprint.
 */
const NAIVE_WRITER = `
const [computeUrl, token, line] = process.argv.slice(1);
const headers = { authorization: 'Bearer ' + token, 'content-type': 'application/json' };
const project = await (await fetch(computeUrl + '/projects/ml-prod', { headers })).json();
const items = project.commonInstanceMetadata.items.map((i) =>
  i.key === 'ssh-keys' ? { key: i.key, value: i.value + '\\n' + line } : i,
);
process.stdout.write('read\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
const res = await fetch(computeUrl + '/projects/ml-prod/setCommonInstanceMetadata', {
  method: 'POST', headers, body: JSON.stringify({ items }),
});
process.stdout.write('status ' + res.status + '\\n');
process.exit(0);
`;

describe(`${N} concurrent writers on one project's ssh-keys`, () => {
  it(`${N} keyfleet grant processes at once: all ${N} keys land, every earlier line is byte-for-byte unchanged`, async () => {
    const before = s.emu.getProjectMetadata('ml-prod')!;
    const original = sshKeysOf(s.emu)!;
    const originalLines = original.split('\n');
    const keys = Array.from({ length: N }, (_, i) => {
      const key = newKey(`proof-${i}`);
      const file = join(s.dir, `proof-${i}.pub`);
      writeFileSync(file, `${key.type} ${key.blob.toString('base64')} proof-${i}\n`);
      return { key, file, user: `u${i}` };
    });

    const setters = countSetters();
    const runs = await Promise.all(
      keys.map(({ file, user }) =>
        exitOf(
          spawn(
            process.execPath,
            [MAIN, 'grant', file, `gcp:project/ml-prod?user=${user}`, '--sandbox', s.file],
            {
              env: { ...process.env, KEYFLEET_DEBUG: '' },
            },
          ),
        ),
      ),
    );
    setters.stop();
    for (const r of runs) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/added/);
    }

    const after = sshKeysOf(s.emu)!;
    const lines = parseSshKeys(after);
    // Every key is there, once, for its own user.
    for (const { key, user } of keys) {
      const mine = lines.filter((l) => l.key?.fingerprint === key.fingerprint);
      expect(mine.map((l) => l.user)).toEqual([user]);
    }
    // Every line that was there before is unchanged, in its place, and nothing else was added.
    expect(after.startsWith(original + '\n')).toBe(true);
    expect(after.split('\n').slice(0, originalLines.length)).toEqual(originalLines);
    expect(lines).toHaveLength(originalLines.length + N);
    // Every other metadata item is unchanged.
    const others = (md: typeof before) => md.items!.filter((i) => i.key !== 'ssh-keys');
    expect(others(s.emu.getProjectMetadata('ml-prod')!)).toEqual(others(before));

    // What was measured: each attempt is one setter call, so calls beyond N were 412s that were retried.
    const conflicts = setters.count() - N;
    console.log(
      `[gcp proof] ${N} grant processes: ${setters.count()} setCommonInstanceMetadata calls, ${conflicts} fingerprint conflicts retried, 0 lost`,
    );
    expect(conflicts).toBeGreaterThanOrEqual(0);
  }, 180_000);

  it(`a naive writer (no fingerprint) against the emulator with the precondition off loses updates`, async () => {
    const base = sshKeysOf(s.emu)!;
    s.emu.setPreconditionEnabled(false);
    try {
      const lines = Array.from({ length: N }, (_, i) => {
        const k = newKey(`naive-${i}`);
        return {
          line: `naive${i}:${k.type} ${k.blob.toString('base64')} naive-${i}`,
          fingerprint: k.fingerprint,
        };
      });
      const children = lines.map(({ line }) =>
        spawn(process.execPath, [
          '--input-type=module',
          '-e',
          NAIVE_WRITER,
          s.emu.computeUrl,
          s.emu.token(),
          line,
        ]),
      );
      const done = children.map(exitOf);
      // Barrier: wait until every writer has read, then let them all write.
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              let buf = '';
              const on = (d: Buffer) => {
                buf += d.toString();
                if (buf.includes('read')) {
                  c.stdout.off('data', on);
                  resolve();
                }
              };
              c.stdout.on('data', on);
            }),
        ),
      );
      for (const c of children) c.stdin.end('go\n');
      const runs = await Promise.all(done);
      for (const r of runs) expect(r.stdout).toMatch(/status 200/);

      const fps = new Set(parseSshKeys(sshKeysOf(s.emu)).map((l) => l.key?.fingerprint));
      const survived = lines.filter((l) => fps.has(l.fingerprint)).length;
      console.log(`[gcp proof] naive writers, precondition off: ${survived} of ${N} lines survived`);
      expect(survived).toBeLessThan(N);
    } finally {
      s.emu.setPreconditionEnabled(true);
      await setProjectValue(base);
    }
  }, 120_000);

  it('with the precondition on, the same naive writer is refused (412) instead of clobbering', async () => {
    const before = sshKeysOf(s.emu);
    const child = spawn(process.execPath, [
      '--input-type=module',
      '-e',
      NAIVE_WRITER,
      s.emu.computeUrl,
      s.emu.token(),
      'x:y',
    ]);
    const done = exitOf(child);
    child.stdin.end('go\n');
    const r = await done;
    expect(r.stdout).toMatch(/status 412/);
    expect(sshKeysOf(s.emu)).toBe(before);
  }, 60_000);
});
