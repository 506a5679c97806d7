/**
 * The sandbox's real SSH endpoints: a git host behaving as GitHub, one behaving as GitLab, and
 * one "VM" per emulated Compute instance. All run Debian's sshd on 127.0.0.1 and learn which
 * keys to accept from the emulators at connection time.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { startControlServer, type ControlServer } from './control.js';
import { findSshTools, type SshTools } from './prerequisites.js';
import { Sshd, type HostKey } from './sshd.js';
import { ensureBareRepository } from './repositories.js';
import type { GitAccessOracle, GitHostName, VmOracle } from './oracle.js';
import { KeyfleetError } from '../../errors.js';

export interface SshEndpoint {
  host: '127.0.0.1';
  port: number;
  /** The login user for git hosts (`git`); VMs take the metadata username. */
  user?: string;
  hostKeys: HostKey[];
}

export interface SshHostsInfo {
  github?: SshEndpoint;
  gitlab?: SshEndpoint;
  /** Keyed by `PROJECT/ZONE/INSTANCE`. */
  vms: Record<string, SshEndpoint>;
}

export class SshPrerequisiteError extends KeyfleetError {
  readonly missing: string[];
  constructor(missing: string[], hint: string) {
    super('SSH_PREREQUISITES', `the sandbox SSH hosts need ${missing.join(', ')}; install with: ${hint}`, {
      exitCode: 1,
    });
    this.missing = missing;
  }
}

const here = fileURLToPath(new URL('.', import.meta.url));
/** Compiled helper scripts live beside this module in dist/. Under vitest (src/), use the built copies. */
function script(name: string): string {
  const dir = here.includes(`${'/src/'}sandbox/`) ? here.replace(/\/src\/sandbox\//, '/dist/sandbox/') : here;
  return join(dir, name);
}

export class SshHosts {
  private constructor(
    readonly info: SshHostsInfo,
    private readonly control: ControlServer,
    private readonly daemons: Map<string, Sshd>,
    private readonly vmOracle: VmOracle | undefined,
    private readonly workDir: string,
  ) {}

  static async start(options: {
    /** Private working directory (config, virtual users, logs); removed on stop. */
    dir: string;
    /** Where host keys and repositories are kept across restarts (default: inside `dir`). */
    persistDir?: string;
    git?: GitAccessOracle;
    vm?: VmOracle;
    tools?: SshTools;
  }): Promise<SshHosts> {
    const check = options.tools ? { tools: options.tools, missing: [] } : findSshTools();
    if (!check.tools) throw new SshPrerequisiteError(check.missing, check.installHint ?? '');
    const tools = check.tools;
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    const keep = options.persistDir ?? options.dir;
    mkdirSync(keep, { recursive: true, mode: 0o700 });
    const control = await startControlServer(options.git, options.vm);
    const repos: Record<string, string> = {};
    const controlFile = join(options.dir, 'control.json');
    const daemons = new Map<string, Sshd>();
    const info: SshHostsInfo = { vms: {} };
    try {
      for (const host of ['github', 'gitlab'] as GitHostName[]) {
        if (!options.git) break;
        const root = join(keep, host, 'repositories');
        repos[host] = root;
        for (const repo of options.git.repositories(host)) ensureBareRepository(tools.git, root, repo);
      }
      writeFileSync(
        controlFile,
        JSON.stringify({ url: control.url, secret: control.secret, gitShell: tools.gitShell, repos }),
        {
          mode: 0o600,
        },
      );
      const akc = script('authorized-keys-command.js');
      if (options.git) {
        for (const host of ['github', 'gitlab'] as GitHostName[]) {
          const sshd = await Sshd.start({
            dir: join(options.dir, host, 'sshd'),
            hostKeyDir: join(keep, host, 'host-keys'),
            tools,
            users: [{ name: 'git' }],
            authorizedKeysCommand: [
              process.execPath,
              akc,
              'git',
              controlFile,
              host,
              script('git-serve.js'),
              '%u',
              '%f',
              '%t',
              '%k',
            ],
          });
          daemons.set(host, sshd);
          info[host] = { host: '127.0.0.1', port: sshd.port, user: 'git', hostKeys: sshd.hostKeys };
        }
      }
      for (const vm of options.vm?.vms() ?? []) {
        const sshd = await Sshd.start({
          dir: join(options.dir, 'vms', vm.replace(/\//g, '_'), 'sshd'),
          hostKeyDir: join(keep, 'vms', vm.replace(/\//g, '_'), 'host-keys'),
          tools,
          users: options.vm!.users(vm).map((name) => ({ name })),
          authorizedKeysCommand: [process.execPath, akc, 'vm', controlFile, vm, '%u', '%f', '%t', '%k'],
        });
        daemons.set(`vm:${vm}`, sshd);
        info.vms[vm] = { host: '127.0.0.1', port: sshd.port, hostKeys: sshd.hostKeys };
      }
    } catch (err) {
      await Promise.all([...daemons.values()].map((d) => d.stop()));
      await control.close();
      rmSync(options.dir, { recursive: true, force: true });
      throw err;
    }
    const hosts = new SshHosts(info, control, daemons, options.vm, options.dir);
    hosts.refreshVmUsers();
    return hosts;
  }

  /**
   * Rewrites each VM's account list from the oracle (cheap; writes only on change). Call it when
   * the metadata behind the oracle changes: the sandbox does after every Google Cloud request.
   */
  refreshVmUsers(): void {
    if (!this.vmOracle) return;
    for (const vm of this.vmOracle.vms()) {
      const d = this.daemons.get(`vm:${vm}`);
      if (!d) continue;
      const users = this.vmOracle.users(vm).sort();
      const key = users.join('\n');
      if (this.lastUsers.get(vm) === key) continue;
      this.lastUsers.set(vm, key);
      d.setUsers(users.map((name) => ({ name })));
    }
  }
  private lastUsers = new Map<string, string>();

  async stop(): Promise<void> {
    await Promise.all([...this.daemons.values()].map((d) => d.stop()));
    await this.control.close();
    rmSync(this.workDir, { recursive: true, force: true });
  }
}
