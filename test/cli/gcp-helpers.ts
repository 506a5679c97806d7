/** Shared set-up for the CLI tests on Google Cloud targets: a sandbox with the gcp emulator and a CLI runner. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emulatorRegistry, registerEmulator, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { GcpEmulator } from '../../src/sandbox/gcp/index.js';

export const MAIN = join(process.cwd(), 'dist/cli/main.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli/main.js ...args` (the build must be current: `npx tsc -p tsconfig.build.json`). */
export function runCli(
  args: string[],
  opts: { env?: Record<string, string>; input?: string } = {},
): Promise<Run> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc -p tsconfig.build.json)`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { ...process.env, KEYFLEET_DEBUG: '', NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

export interface GcpSandbox {
  sandbox: Sandbox;
  emu: GcpEmulator;
  dir: string;
  /** The connection file (owner token). */
  file: string;
  /** A copy of the connection file whose gcp token is the read-only viewer's. */
  viewerFile: string;
}

/** Starts a sandbox with only the Google Cloud emulator, writing its connection file into a temp dir. */
export async function startGcpSandbox(): Promise<GcpSandbox> {
  if (!emulatorRegistry.some((r) => r.name === 'gcp')) {
    registerEmulator({
      name: 'gcp',
      start: async (o) => (await import('../../src/sandbox/gcp/index.js')).startGcpEmulator(o),
    });
  }
  const dir = mkdtempSync(join(tmpdir(), 'kf-'));
  const file = join(dir, 'sandbox.json');
  const sandbox = await startSandbox({ connectionFile: file, only: ['gcp'] });
  const emu = sandbox.emulator('gcp') as unknown as GcpEmulator;
  const conn = JSON.parse(readFileSync(file, 'utf8')) as {
    gcp: { token: string; tokens: Record<string, string> };
  };
  conn.gcp.token = conn.gcp.tokens['viewer']!;
  const viewerFile = join(dir, 'viewer.json');
  writeFileSync(viewerFile, JSON.stringify(conn), { mode: 0o600 });
  return { sandbox, emu, dir, file, viewerFile };
}

export function sshKeysOf(emu: GcpEmulator, project = 'ml-prod'): string | undefined {
  return emu.getProjectMetadata(project)?.items?.find((i) => i.key === 'ssh-keys')?.value;
}
