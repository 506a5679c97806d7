/**
 * The sandbox: every registered emulator on loopback (ports chosen at run time), one connection
 * file that says where they are, and optional state kept across restarts. `keyfleet sandbox`
 * runs it; tests start it in-process.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  processAlive,
  readConnectionFileSync,
  removeConnectionFile,
  writeConnectionFile,
  type SandboxConnection,
} from './connection.js';
import type { Emulator, EmulatorStarter } from './emulator.js';
import { SandboxError } from './errors.js';
import { writeFileAtomic } from './files.js';
import type { GithubEmulator } from './github/emulator.js';
import type { GitlabEmulator } from './gitlab/emulator.js';
import type { GcpEmulator } from './gcp/emulator.js';
import type { SshHosts, SshHostsInfo } from './sshd/ssh-hosts.js';

export type { Emulator, EmulatorStartOptions, EmulatorStarter } from './emulator.js';
export type { SandboxConnection } from './connection.js';
export type { AccessAnswer, KeyIdentity } from './access.js';

export interface EmulatorRegistration {
  /** Its section name in the connection and state files. */
  name: string;
  /** Loaded lazily so that a sandbox without an emulator never loads its code. */
  start: EmulatorStarter;
}

/** Every emulator `startSandbox` starts, in this order; each is one line (its module loads lazily). */
export const emulatorRegistry: EmulatorRegistration[] = [
  { name: 'github', start: async (o) => (await import('./github/emulator.js')).startGithubEmulator(o) },
  { name: 'gitlab', start: async (o) => (await import('./gitlab/emulator.js')).startGitlabEmulator(o) },
  { name: 'gcp', start: async (o) => (await import('./gcp/emulator.js')).startGcpEmulator(o) },
];

/** Adds (or replaces, by name) an emulator in the registry. */
export function registerEmulator(reg: EmulatorRegistration): void {
  const i = emulatorRegistry.findIndex((r) => r.name === reg.name);
  if (i >= 0) emulatorRegistry[i] = reg;
  else emulatorRegistry.push(reg);
}

export interface SandboxOptions {
  /** Keep state here: loaded at start when present, saved on stop and shortly after every change. */
  stateFile?: string;
  /** Write the connection file here (mode 0600); none is written when omitted. The CLI passes `defaultConnectionPath()`. */
  connectionFile?: string;
  /** Seed users, tokens, org/group, repos/projects (default true; ignored for emulators restored from state). */
  seed?: boolean;
  /** Start only these emulators (default: every registered one). */
  only?: string[];
  /** Delay before saving state after a change (default 250 ms), so bursts of requests write once. */
  saveDelayMs?: number;
  /**
   * Also run the real SSH endpoints (git hosts behaving as GitHub and GitLab, one VM per emulated
   * instance): `true` requires openssh-server, git and libnss-wrapper and fails without them;
   * `'auto'` starts them when those are installed. Default false (tests of the APIs alone stay fast).
   */
  ssh?: boolean | 'auto';
}

export interface Sandbox {
  /** The connection document (also written to `connectionFile`). */
  readonly connection: SandboxConnection;
  readonly connectionFile: string | undefined;
  readonly stateFile: string | undefined;
  /** Running emulators by name. */
  readonly emulators: ReadonlyMap<string, Emulator>;
  /** The GitHub emulator (throws when it was not started). */
  readonly github: GithubEmulator;
  /** The GitLab emulator (throws when it was not started). */
  readonly gitlab: GitlabEmulator;
  /** The Google Cloud emulator, once registered. */
  readonly gcp: Emulator | undefined;
  emulator(name: string): Emulator | undefined;
  /** The SSH endpoints, when started (also in `connection.ssh`). */
  readonly ssh: SshHostsInfo | undefined;
  /** Why the SSH endpoints did not start with `ssh: 'auto'` (what to install). */
  readonly sshUnavailable: string | undefined;
  /** Writes the state file now (no-op without `stateFile`). */
  saveState(): Promise<void>;
  /** Closes every emulator, saves state, removes the connection file. Safe to call twice. */
  stop(): Promise<void>;
}

interface StateDocument {
  version: 1;
  savedAt: string;
  emulators: Record<string, unknown>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const stateFile = options.stateFile ? resolve(options.stateFile) : undefined;
  const connectionFile = options.connectionFile ? resolve(options.connectionFile) : undefined;
  if (connectionFile) refuseIfRunning(connectionFile);
  const saved = stateFile ? readState(stateFile) : undefined;

  const started = new Map<string, Emulator>();
  try {
    for (const reg of emulatorRegistry) {
      if (options.only && !options.only.includes(reg.name)) continue;
      const state = saved?.emulators[reg.name];
      const emu = await reg.start({
        ...(state === undefined ? {} : { state }),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      });
      started.set(reg.name, emu);
    }
  } catch (err) {
    await Promise.allSettled([...started.values()].map((e) => e.close()));
    if (err instanceof SandboxError && stateFile && !err.path) {
      throw new SandboxError(`${stateFile}: ${err.message}; move it aside or delete it to start fresh`, {
        path: stateFile,
        cause: err,
      });
    }
    throw err;
  }

  const connection: SandboxConnection = {
    version: 1,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    stateFile: stateFile ?? null,
  };
  for (const [name, emu] of started) connection[name] = emu.connectionInfo();

  let sshHosts: SshHosts | undefined;
  let sshUnavailable: string | undefined;
  if (options.ssh) {
    try {
      const started2 = await startSshHosts(started, stateFile);
      sshHosts = started2.hosts;
      sshUnavailable = started2.unavailable;
    } catch (err) {
      await Promise.allSettled([...started.values()].map((e) => e.close()));
      throw err;
    }
    if (sshHosts) connection.ssh = sshHosts.info;
    else if (options.ssh === true) {
      await Promise.allSettled([...started.values()].map((e) => e.close()));
      throw new SandboxError(`the sandbox SSH hosts cannot start: ${sshUnavailable}`);
    }
  }

  // Sections of emulators not started this time are carried over, so a save never drops them.
  const carried = saved?.emulators ?? {};
  const saveNow = (): void => {
    if (!stateFile) return;
    const doc: StateDocument = { version: 1, savedAt: new Date().toISOString(), emulators: { ...carried } };
    for (const [name, emu] of started) doc.emulators[name] = emu.exportState();
    writeFileAtomic(stateFile, JSON.stringify(doc) + '\n');
  };

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (): void => {
    if (!stateFile || stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      try {
        saveNow();
      } catch (err) {
        process.stderr.write(
          `keyfleet: warning: could not save sandbox state to ${stateFile}: ${String(err)}\n`,
        );
      }
    }, options.saveDelayMs ?? 250);
  };
  // Any request that may change state (not GET/HEAD, control endpoints included) schedules a save.
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') res.once('finish', schedule);
  };
  for (const emu of started.values()) emu.server.server.on('request', onRequest);

  try {
    if (connectionFile) writeConnectionFile(connectionFile, connection);
    saveNow();
  } catch (err) {
    await Promise.allSettled([...started.values()].map((e) => e.close()));
    throw new SandboxError(`could not write the sandbox files: ${(err as Error).message}`, { cause: err });
  }

  const need = <T>(name: string): T => {
    const e = started.get(name);
    if (!e) throw new SandboxError(`the ${name} emulator is not running in this sandbox`);
    return e as T;
  };

  return {
    connection,
    connectionFile,
    stateFile,
    emulators: started,
    get github() {
      return need<GithubEmulator>('github');
    },
    get gitlab() {
      return need<GitlabEmulator>('gitlab');
    },
    get gcp() {
      return started.get('gcp');
    },
    emulator: (name) => started.get(name),
    ssh: sshHosts?.info,
    sshUnavailable,
    saveState: async () => saveNow(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await sshHosts?.stop();
      await Promise.allSettled([...started.values()].map((e) => e.close()));
      try {
        saveNow();
      } finally {
        if (connectionFile) removeConnectionFile(connectionFile);
      }
    },
  };
}

/**
 * Starts the SSH endpoints over the running emulators. Host keys and repositories are kept beside
 * the state file (so known_hosts lines and pushed commits survive a restart); the rest lives in a
 * private temporary directory removed on stop.
 */
async function startSshHosts(
  started: Map<string, Emulator>,
  stateFile: string | undefined,
): Promise<{ hosts?: SshHosts; unavailable?: string }> {
  const { findSshTools } = await import('./sshd/prerequisites.js');
  const check = findSshTools();
  if (!check.tools)
    return { unavailable: `missing ${check.missing.join(', ')}; install with: ${check.installHint}` };
  const { SshHosts } = await import('./sshd/ssh-hosts.js');
  const { gitOracle, vmOracle } = await import('./sshd/oracles.js');
  const github = started.get('github') as GithubEmulator | undefined;
  const gitlab = started.get('gitlab') as GitlabEmulator | undefined;
  const gcp = started.get('gcp') as GcpEmulator | undefined;
  const hosts = await SshHosts.start({
    dir: mkdtempSync(join(tmpdir(), 'keyfleet-sandbox-ssh-')),
    ...(stateFile ? { persistDir: `${stateFile}.d` } : {}),
    git: gitOracle(github, gitlab),
    ...(gcp ? { vm: vmOracle(gcp) } : {}),
    tools: check.tools,
  });
  // The VMs' accounts follow the metadata at once, as the guest agent creates them: refresh after
  // every answer of the Google Cloud emulator (its changes are applied when a request is handled,
  // and only then), so a key granted is usable as soon as the grant returns.
  gcp?.server.server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    res.once('finish', () => hosts.refreshVmUsers());
  });
  // GitHub publishes its host keys at GET /meta; so does the emulated one.
  if (github && hosts.info.github) github.setHostKeys(hosts.info.github.hostKeys.map((k) => k.publicKey));
  return { hosts };
}

/** Two sandboxes must not share a connection file: the second would hide the first. */
function refuseIfRunning(connectionFile: string): void {
  if (!existsSync(connectionFile)) return;
  let pid: number | undefined;
  try {
    pid = readConnectionFileSync(connectionFile).pid;
  } catch {
    return; // unreadable or stale: ours to overwrite
  }
  if (pid !== process.pid && processAlive(pid)) {
    throw new SandboxError(
      `a sandbox (pid ${pid}) is already running and owns ${connectionFile}; stop it first, or give this one another --connection-file`,
      { path: connectionFile },
    );
  }
}

function readState(path: string): StateDocument | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SandboxError(`${path}: cannot read the sandbox state file: ${(err as Error).message}`, {
      path,
      cause: err,
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SandboxError(
      `${path}: the sandbox state file is not valid JSON; move it aside or delete it to start fresh`,
      {
        path,
        cause: err,
      },
    );
  }
  const d = doc as Partial<StateDocument> | null;
  if (!d || d.version !== 1 || typeof d.emulators !== 'object' || d.emulators === null) {
    throw new SandboxError(
      `${path}: not a keyfleet sandbox state file (expected "version": 1); move it aside or delete it`,
      {
        path,
      },
    );
  }
  return d as StateDocument;
}
