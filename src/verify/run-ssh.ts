/**
 * Runs `ssh` or `git` the way a pipeline would: only the given key (no agent, no config files),
 * strict host checking against pinned keys only, no prompts. Asynchronous on purpose: the
 * sandbox's SSH hosts may be answered from this very process.
 */
import { spawn } from 'node:child_process';

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < 1 << 20) stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 1 << 20) stderr += d.toString();
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ status: null, stdout, stderr: stderr + String(err), timedOut });
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, timedOut });
    });
  });
}

/** ssh options that make the key file the only credential and the pinned known_hosts the only trust. */
export function sshOptions(keyFile: string, knownHostsFile: string, connectTimeoutSec = 10): string[] {
  return [
    '-F',
    '/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'IdentityAgent=none',
    '-o',
    'PasswordAuthentication=no',
    '-o',
    'KbdInteractiveAuthentication=no',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${knownHostsFile}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'UpdateHostKeys=no',
    '-o',
    `ConnectTimeout=${connectTimeoutSec}`,
    '-i',
    keyFile,
  ];
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** GIT_SSH_COMMAND for the same options. */
export function gitSshCommand(keyFile: string, knownHostsFile: string): string {
  return ['ssh', ...sshOptions(keyFile, knownHostsFile)].map(shellQuote).join(' ');
}

export type Outcome = 'ok' | 'denied' | 'host-key-mismatch' | 'unreachable' | 'error';

/** Reads what ssh/git printed the way a person would: denied, wrong host, or unreachable. */
export function classify(r: RunResult): { outcome: Outcome; detail: string } {
  const err = r.stderr;
  const firstLine = (re: RegExp) =>
    err
      .split('\n')
      .find((l) => re.test(l))
      ?.trim() ?? '';
  if (r.timedOut) return { outcome: 'unreachable', detail: 'timed out' };
  if (
    /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed|No \S+ host key is known/.test(err)
  ) {
    return {
      outcome: 'host-key-mismatch',
      detail: firstLine(/IDENTIFICATION HAS CHANGED|Host key verification failed|host key is known/),
    };
  }
  if (/Permission denied \(publickey/.test(err))
    return { outcome: 'denied', detail: firstLine(/Permission denied/) };
  if (
    /Repository not found|could not be found|marked as read only|does not have write access|not allowed/i.test(
      err,
    )
  ) {
    return {
      outcome: 'denied',
      detail: firstLine(/Repository not found|could not be found|read only|write access|not allowed/i),
    };
  }
  if (
    /Connection refused|Could not resolve hostname|Connection timed out|No route to host|Network is unreachable/.test(
      err,
    )
  ) {
    return {
      outcome: 'unreachable',
      detail: firstLine(/Connection refused|resolve|timed out|route|unreachable/),
    };
  }
  if (r.status === 0) return { outcome: 'ok', detail: '' };
  return { outcome: 'error', detail: err.trim().split('\n').slice(-1)[0] ?? `exit ${r.status}` };
}
