/**
 * Runs a real OpenSSH `sshd` on 127.0.0.1 for the sandbox: its own host keys, virtual users
 * (through nss_wrapper, so nothing on the machine changes), no passwords, and keys accepted only
 * through an `AuthorizedKeysCommand` that asks the sandbox at connection time, the way
 * GitLab's shell does.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import {
  mkdirSync,
  writeFileSync,
  readFileSync,
  renameSync,
  chmodSync,
  existsSync,
  rmSync,
  openSync,
  closeSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { KeyfleetError } from '../../errors.js';
import type { SshTools } from './prerequisites.js';

export interface VirtualUser {
  name: string;
  /** Defaults to /bin/sh: sshd runs forced commands through the user's shell. */
  shell?: string;
}

export interface HostKey {
  type: string;
  /** `type base64` */
  publicKey: string;
  fingerprint: string;
}

export interface SshdOptions {
  /** A private directory (0700) this sshd owns: config, host keys, passwd, log. */
  dir: string;
  tools: SshTools;
  users: VirtualUser[];
  /** argv of the AuthorizedKeysCommand; sshd appends nothing, so include `%u %f %t %k` tokens yourself. */
  authorizedKeysCommand: string[];
  /** Reuse host keys from an earlier run (kept with --state) instead of generating new ones. */
  hostKeyDir?: string;
}

export class SshdError extends KeyfleetError {
  constructor(message: string) {
    super('SSHD', message, { exitCode: 1 });
  }
}

/** A running sshd. */
export class Sshd {
  private exited = false;
  private constructor(
    readonly port: number,
    readonly hostKeys: HostKey[],
    private readonly child: ChildProcess,
    private readonly opts: SshdOptions,
  ) {
    child.once('exit', () => {
      this.exited = true;
    });
  }

  get logFile(): string {
    return join(this.opts.dir, 'sshd.log');
  }

  /** Replaces the set of virtual users (atomically; each new connection sees the new set). */
  setUsers(users: VirtualUser[]): void {
    writePasswd(this.opts.dir, users);
  }

  static async start(opts: SshdOptions): Promise<Sshd> {
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    const hostKeys = ensureHostKeys(opts.hostKeyDir ?? opts.dir, opts.tools);
    writePasswd(opts.dir, opts.users);
    if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege-separation chroot
    let lastError = '';
    for (let attempt = 0; attempt < 4; attempt++) {
      const port = await freePort();
      writeConfig(opts, port);
      const log = openSync(join(opts.dir, 'sshd.log'), 'w', 0o600);
      const child = spawn(opts.tools.sshd, ['-D', '-e', '-f', join(opts.dir, 'sshd_config')], {
        stdio: ['ignore', log, log],
        env: {
          PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
          LD_PRELOAD: opts.tools.nssWrapper,
          NSS_WRAPPER_PASSWD: join(opts.dir, 'passwd'),
          NSS_WRAPPER_GROUP: join(opts.dir, 'group'),
        },
      });
      closeSync(log);
      const ok = await waitListening(port, child, join(opts.dir, 'sshd.log'), 10_000);
      if (ok) return new Sshd(port, hostKeys, child, opts);
      child.kill('SIGKILL');
      lastError = tail(join(opts.dir, 'sshd.log'));
      if (!/Address already in use/i.test(lastError)) break;
    }
    throw new SshdError(`sshd did not start: ${lastError || 'no output'}`);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await done;
    clearTimeout(timer);
  }

  /** Removes the directory (config, host keys unless kept elsewhere, log). */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.opts.dir, { recursive: true, force: true });
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ');
  } catch {
    return '';
  }
}

function ensureHostKeys(dir: string, tools: SshTools): HostKey[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys: HostKey[] = [];
  for (const [type, extra] of [
    ['ed25519', []],
    ['ecdsa', ['-b', '256']],
  ] as const) {
    const path = join(dir, `ssh_host_${type}_key`);
    if (!existsSync(path)) {
      execFileSync(
        tools.sshKeygen,
        ['-q', '-t', type, ...extra, '-N', '', '-C', `keyfleet-sandbox-${type}`, '-f', path],
        {
          stdio: 'ignore',
        },
      );
    }
    chmodSync(path, 0o600);
    const pub = readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/);
    const fp = execFileSync(tools.sshKeygen, ['-l', '-E', 'sha256', '-f', `${path}.pub`], {
      encoding: 'utf8',
    }).split(/\s+/)[1]!;
    keys.push({ type: pub[0]!, publicKey: `${pub[0]} ${pub[1]}`, fingerprint: fp });
  }
  return keys;
}

/** nss_wrapper reads these instead of /etc/passwd: the real entries plus the virtual users, who all map to our own uid. */
function writePasswd(dir: string, users: VirtualUser[]): void {
  const { uid, gid } = userInfo();
  const names = new Set(users.map((u) => u.name));
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const base = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .filter((l) => l && !names.has(l.split(':')[0]!));
  const lines = [
    ...base,
    ...users.map((u) => `${u.name}:x:${uid}:${gid}:keyfleet sandbox user:${home}:${u.shell ?? '/bin/sh'}`),
  ];
  const tmp = join(dir, `passwd.${process.pid}.tmp`);
  writeFileSync(tmp, lines.join('\n') + '\n', { mode: 0o644 });
  renameSync(tmp, join(dir, 'passwd'));
  if (!existsSync(join(dir, 'group')))
    writeFileSync(join(dir, 'group'), readFileSync('/etc/group', 'utf8'), { mode: 0o644 });
}

function quoteArg(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `"${a.replace(/(["\\])/g, '\\$1')}"`;
}

function writeConfig(opts: SshdOptions, port: number): void {
  const hostKeyDir = opts.hostKeyDir ?? opts.dir;
  const lines = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(hostKeyDir, 'ssh_host_ed25519_key')}`,
    `HostKey ${join(hostKeyDir, 'ssh_host_ecdsa_key')}`,
    `PidFile ${join(opts.dir, 'sshd.pid')}`,
    'AuthorizedKeysFile none',
    `AuthorizedKeysCommand ${opts.authorizedKeysCommand.map(quoteArg).join(' ')}`,
    `AuthorizedKeysCommandUser ${userInfo().username}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'HostbasedAuthentication no',
    'UsePAM no',
    // The virtual users share our uid; there is no home directory to be strict about.
    'StrictModes no',
    // Virtual users map to our uid, which is 0 when run as root.
    'PermitRootLogin prohibit-password',
    'AllowTcpForwarding no',
    'X11Forwarding no',
    'AllowAgentForwarding no',
    'PermitTTY no',
    'MaxStartups 64:30:128',
    'LoginGraceTime 30',
    'LogLevel VERBOSE',
  ];
  writeFileSync(join(opts.dir, 'sshd_config'), lines.join('\n') + '\n', { mode: 0o600 });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Ready when sshd itself logs that it listens on our port (a TCP probe could reach another process that won the port). */
async function waitListening(
  port: number,
  child: ChildProcess,
  logFile: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const ready = `Server listening on 127.0.0.1 port ${port}.`;
  while (Date.now() < deadline && !exited) {
    if (readFileSync(logFile, 'utf8').includes(ready)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}
