/**
 * `keyfleet verify`: proves what a key can reach by using it, with nothing else (no agent, no
 * ssh config) and strict host checking against pinned keys.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { AccessEndpoint } from './endpoints.js';
import { classify, gitSshCommand, run, sshOptions, type Outcome } from './run-ssh.js';

export interface AccessCheck {
  target: string;
  endpoint: string;
  outcome: Outcome;
  detail: string;
  /** What the caller expected: `ok`, or `denied` with --expect-denied. */
  expected: 'ok' | 'denied';
  pass: boolean;
}

/** ssh refuses a private key file others can read; say so before ssh does, with the fix. */
export function checkKeyFile(path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new InputError(path, 'no such file (verify needs the PRIVATE key file the pipeline uses)');
  }
  if (!st.isFile()) throw new InputError(path, 'is not a file');
  if ((st.mode & 0o077) !== 0) {
    throw new InputError(
      path,
      `permissions ${(st.mode & 0o777).toString(8)} are too open for a private key; ssh ignores it. Run: chmod 600 ${path}`,
    );
  }
}

/**
 * Tries one endpoint with only `keyFile`. For git endpoints `clone: true` makes a real clone
 * (into a temporary directory) instead of `git ls-remote`.
 */
export async function checkEndpoint(
  keyFile: string,
  ep: AccessEndpoint,
  expected: 'ok' | 'denied',
  timeoutMs = 60_000,
  options: { clone?: boolean } = {},
): Promise<AccessCheck> {
  const dir = mkdtempSync(join(tmpdir(), 'kf-verify-'));
  try {
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, ep.knownHosts.join('\n') + '\n', { mode: 0o600 });
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: dir,
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_SSH_COMMAND: gitSshCommand(keyFile, knownHosts),
      LANG: 'C',
    };
    let result;
    if (ep.kind === 'git') {
      const url = `ssh://${ep.user}@${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}/${ep.path ?? ''}`;
      result = options.clone
        ? await run('git', ['clone', '--quiet', '--depth', '1', url, join(dir, 'clone')], env, timeoutMs)
        : await run('git', ['ls-remote', '--heads', url], env, timeoutMs);
    } else {
      const cmd = ep.kind === 'auth' ? ['-T'] : [];
      result = await run(
        'ssh',
        [
          ...sshOptions(keyFile, knownHosts),
          ...cmd,
          '-p',
          String(ep.port),
          `${ep.user}@${ep.host}`,
          ...(ep.kind === 'login' ? ['true'] : []),
        ],
        env,
        timeoutMs,
      );
    }
    let { outcome, detail } = classify(result);
    if (ep.kind === 'auth' && outcome === 'error' && ep.greeting?.test(result.stderr + result.stdout)) {
      outcome = 'ok';
      detail = (result.stderr + result.stdout).trim().split('\n')[0] ?? '';
    }
    const pass = expected === 'ok' ? outcome === 'ok' : outcome === 'denied';
    const endpoint =
      options.clone && ep.kind === 'git'
        ? ep.description.replace('git ls-remote', 'git clone')
        : ep.description;
    return { target: ep.target, endpoint, outcome, detail, expected, pass };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
