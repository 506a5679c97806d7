/**
 * The SSH hosts' questions answered from the running emulators: the GitHub and GitLab emulators
 * say who owns a key and what it may reach; the Google Cloud emulator's metadata and OS Login
 * profiles, read by the guest agent's rules, say which keys a VM accepts for a user.
 */
import { vmAccessMode, vmAcceptedKeys } from '../../platforms/gcp/vm-access.js';
import { parseSshKeys } from '../../platforms/gcp/ssh-keys-codec.js';
import type { GcpEmulator } from '../gcp/emulator.js';
import type { GithubEmulator } from '../github/emulator.js';
import type { GitlabEmulator } from '../gitlab/emulator.js';
import type { GitAccessOracle, GitHostName, VmOracle } from './oracle.js';

export function gitOracle(
  github: GithubEmulator | undefined,
  gitlab: GitlabEmulator | undefined,
): GitAccessOracle {
  const emu = (host: GitHostName) => (host === 'github' ? github : gitlab);
  return {
    identify: (host, fp) => emu(host)?.identify(fp) ?? { known: false, reason: `no ${host} emulator` },
    access: (host, fp, repo) =>
      emu(host)?.access(fp, repo) ?? { allowed: false, write: false, reason: `no ${host} emulator` },
    repositories: (host) => {
      if (host === 'github') return github?.connectionInfo().repos ?? [];
      return gitlab?.connectionInfo().projects ?? [];
    },
  };
}

function splitVm(vm: string): [string, string, string] {
  const [p = '', z = '', i = ''] = vm.split('/');
  return [p, z, i];
}

export function vmOracle(gcp: GcpEmulator): VmOracle {
  const view = (vm: string) => gcp.vmView(...splitVm(vm));
  return {
    vms: () => gcp.connectionInfo().instances,
    users: (vm) => {
      const v = view(vm);
      if (!v) return [];
      const mode = vmAccessMode(v);
      const names = new Set<string>();
      if (mode.osLogin) {
        for (const p of v.osLoginProfiles)
          for (const a of p.posixAccounts ?? []) if (a.username) names.add(a.username);
      } else {
        // The guest agent creates an account for every user with a valid line in the metadata it honours.
        const sets = mode.blockProjectKeys ? [v.instanceMetadata] : [v.instanceMetadata, v.projectMetadata];
        for (const md of sets) {
          for (const item of md.items ?? []) {
            if (item.key !== 'ssh-keys' && item.key !== 'sshKeys') continue;
            for (const line of parseSshKeys(item.value ?? '')) {
              if (line.kind === 'key' && line.user && /^[a-z_][a-z0-9_.-]{0,31}$/i.test(line.user))
                names.add(line.user);
            }
          }
        }
      }
      return [...names];
    },
    acceptedKeys: (vm, user) => {
      const v = view(vm);
      if (!v) return [];
      return vmAcceptedKeys(v, user).map((a) => `${a.key.type} ${a.key.blob.toString('base64')}`);
    },
  };
}
