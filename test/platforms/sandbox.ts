/**
 * The sandbox for adapter and CLI tests: started in-process with startSandbox (GitHub and GitLab
 * emulators on loopback, OS-chosen ports), plus the fault knobs over HTTP and an async CLI runner
 * (a blocking spawn would freeze the in-process emulators).
 */
import { execFile } from 'node:child_process';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

export type TestSandbox = Sandbox;

export function startTestSandbox(connectionFile?: string): Promise<Sandbox> {
  return startSandbox({ only: ['github', 'gitlab'], ...(connectionFile ? { connectionFile } : {}) });
}

/** `POST {url}/_sandbox/faults` with the knobs, or `DELETE` to clear them (null). */
export async function setFaults(url: string, faults: Record<string, unknown> | null): Promise<void> {
  const res = await fetch(`${url}/_sandbox/faults`, {
    method: faults ? 'POST' : 'DELETE',
    headers: { 'content-type': 'application/json' },
    ...(faults ? { body: JSON.stringify(faults) } : {}),
  });
  if (!res.ok) throw new Error(`fault knob failed: ${res.status}`);
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli/main.js ...args` without blocking the event loop; never rejects. */
export function runCliAsync(
  cli: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  input = '',
): Promise<CliRun> {
  const fullEnv: Record<string, string | undefined> = { ...process.env, ...env };
  delete fullEnv.KEYFLEET_DEBUG;
  for (const v of ['GH_TOKEN', 'GITHUB_TOKEN', 'GITLAB_TOKEN', 'GH_HOST', 'GITLAB_HOST'])
    if (!(v in env)) delete fullEnv[v];
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [cli, ...args],
      { env: fullEnv, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const status = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : null
          : 0;
        resolve({ status, stdout, stderr });
      },
    );
    // Always end stdin, so a command reading `-` sees end of input.
    child.stdin?.end(input);
  });
}
