/**
 * Which sandbox VMs a `gcp:` target reaches, read from the Google Cloud emulator's VM view by the
 * guest agent's rules: a project key reaches the project's VMs that honour project keys (no
 * `block-project-ssh-keys`, OS Login off); an instance key its VM; an OS Login key the VMs with
 * OS Login on, as the identity's POSIX user.
 */
import { vmAccessMode } from '../platforms/gcp/vm-access.js';
import type { VmResolver } from './endpoints.js';

interface VmViewJson {
  projectMetadata: { items?: { key: string; value?: string }[] };
  instanceMetadata: { items?: { key: string; value?: string }[] };
  osLoginProfiles: { name?: string; posixAccounts?: { username?: string; primary?: boolean }[] }[];
}

export function sandboxVmResolver(gcpUrl: string, instances?: string[]): VmResolver {
  const view = async (vm: string): Promise<VmViewJson | undefined> => {
    const [project = '', zone = '', instance = ''] = vm.split('/');
    const res = await fetch(
      `${gcpUrl.replace(/\/+$/, '')}/_sandbox/gcp/vm?${new URLSearchParams({ project, zone, instance })}`,
    );
    return res.ok ? ((await res.json()) as VmViewJson) : undefined;
  };
  const allVms = async (): Promise<string[]> => {
    if (instances) return instances;
    const res = await fetch(`${gcpUrl.replace(/\/+$/, '')}/_sandbox/gcp/state`);
    const state = (await res.json()) as { instances?: Record<string, unknown> };
    return Object.keys(state.instances ?? {});
  };
  return {
    async vmsFor(sel) {
      const vms = await allVms();
      if (sel.kind === 'instance') {
        const id = `${sel.project}/${sel.zone}/${sel.instance}`;
        return vms.includes(id) ? [{ vm: id, user: sel.user ?? '' }] : [];
      }
      const out: { vm: string; user: string }[] = [];
      for (const vm of vms) {
        if (sel.kind === 'project' && !vm.startsWith(`${sel.project}/`)) continue;
        const v = await view(vm);
        if (!v) continue;
        const mode = vmAccessMode(v);
        if (sel.kind === 'project' && !mode.osLogin && !mode.blockProjectKeys)
          out.push({ vm, user: sel.user ?? '' });
        if (sel.kind === 'oslogin' && mode.osLogin) {
          const profile = v.osLoginProfiles.find((p) => p.name === sel.email);
          const account = profile?.posixAccounts?.find((a) => a.primary) ?? profile?.posixAccounts?.[0];
          if (account?.username) out.push({ vm, user: account.username });
        }
      }
      return out;
    },
  };
}
