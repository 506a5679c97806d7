import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import type { GcpEmulator } from '../../../src/sandbox/gcp/index.js';
import { computeClient } from './helpers.js';

let dir: string;
const running: Sandbox[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kf-'));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the gcp emulator inside startSandbox', () => {
  it('writes its connection section and keeps its state across a restart (--state)', async () => {
    const stateFile = path.join(dir, 'state.json');
    const connectionFile = path.join(dir, 'sandbox.json');
    const first = await startSandbox({ stateFile, connectionFile, only: ['gcp'] });
    running.push(first);
    const conn = JSON.parse(fs.readFileSync(connectionFile, 'utf8')) as { gcp: Record<string, unknown> };
    expect((fs.statSync(connectionFile).mode & 0o777).toString(8)).toBe('600');
    const gcp = first.gcp as GcpEmulator;
    expect(conn.gcp).toEqual(gcp.connectionInfo());
    expect(conn.gcp['computeUrl']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/compute\/v1$/);

    gcp.setKnobs({ operationDelayMs: 0 });
    const c = computeClient(gcp);
    const fp = gcp.getProjectMetadata('ml-prod')!.fingerprint;
    await c.projects.setCommonInstanceMetadata({
      project: 'ml-prod',
      requestBody: { fingerprint: fp, items: [{ key: 'ssh-keys', value: 'kept:ssh-ed25519 AAAA' }] },
    });
    const saved = gcp.getProjectMetadata('ml-prod');
    const token = gcp.token();
    await first.stop();
    running.splice(0);

    const second = await startSandbox({ stateFile, connectionFile, only: ['gcp'] });
    running.push(second);
    const again = second.gcp as GcpEmulator;
    expect(again.getProjectMetadata('ml-prod')).toEqual(saved);
    expect(again.token()).toBe(token);
  });
});
