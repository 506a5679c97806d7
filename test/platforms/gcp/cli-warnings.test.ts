/**
 * The blocked-project-keys warning end to end: the built CLI (`node dist/cli/main.js grant …
 * --sandbox FILE`) lists the project's VMs through the emulator's aggregated instance list and
 * names the VM that will not accept a project key.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli, startGcpSandbox, type GcpSandbox } from '../../cli/gcp-helpers.js';
import { newKey } from './helpers.js';

// Spawns CLI processes; slow on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

let s: GcpSandbox;
beforeAll(async () => {
  s = await startGcpSandbox();
});
afterAll(async () => {
  await s.sandbox.stop();
  rmSync(s.dir, { recursive: true, force: true });
});

function keyFile(name: string): string {
  const key = newKey(`${name}@test`);
  const file = join(s.dir, `${name}.pub`);
  writeFileSync(file, `${key.type} ${key.blob.toString('base64')} ${name}@test\n`);
  return file;
}

describe('keyfleet grant KEY gcp:project/ml-prod?user=U --sandbox FILE', () => {
  it('warns that locked-1 blocks project keys (text and --json)', async () => {
    const g = await runCli(['grant', keyFile('u1'), 'gcp:project/ml-prod?user=u1', '--sandbox', s.file]);
    expect(g.code, g.stderr + g.stdout).toBe(0);
    expect(g.stdout).toMatch(/added\s+gcp:project\/ml-prod\?user=u1/);
    expect(g.stdout + g.stderr).toMatch(
      /warning: these VMs of ml-prod block project-wide keys.*us-central1-a\/locked-1/,
    );

    const j = await runCli([
      'grant',
      '--json',
      keyFile('u2'),
      'gcp:project/ml-prod?user=u2',
      '--sandbox',
      s.file,
    ]);
    expect(j.code, j.stderr + j.stdout).toBe(0);
    const doc = JSON.parse(j.stdout) as { results: { status: string; warnings: string[] }[] };
    expect(doc.results[0]!.status).toBe('added');
    expect(doc.results[0]!.warnings.filter((w) => w.includes('locked-1'))).toHaveLength(1);
    expect(doc.results[0]!.warnings.join('\n')).not.toContain('trainer-1');
  });
});
