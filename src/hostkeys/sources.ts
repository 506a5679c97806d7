/**
 * Which host keys to pin for which host: github.com (from /meta or bundled), gitlab.com
 * (bundled), and the sandbox's SSH hosts (from its connection file).
 */
import { hashHostName, hostLookupName } from '../keys/known-hosts.js';
import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';
import { fetchGithubHostKeys } from './github-meta.js';
import { GITHUB, GITLAB } from './pinned.js';
import type { PinnedEndpoint } from './check.js';
import type { SshHostsInfo, SshEndpoint } from '../sandbox/sshd/ssh-hosts.js';

export interface HostKeySet {
  /** What a person reads: `github.com`, `sandbox github (127.0.0.1:PORT)`. */
  label: string;
  host: string;
  port?: number;
  keys: string[];
  /** Where the keys come from, for the comment line and --json. */
  source: string;
  verified: boolean;
}

export function sandboxHostKeySets(ssh: SshHostsInfo | undefined, which: string[]): HostKeySet[] {
  if (!ssh) {
    throw new UsageError(
      'the sandbox connection file lists no SSH hosts: start the sandbox where openssh-server, git and libnss-wrapper are installed',
    );
  }
  const sets: HostKeySet[] = [];
  const add = (label: string, ep: SshEndpoint) =>
    sets.push({
      label: `${label} (127.0.0.1:${ep.port})`,
      host: ep.host,
      port: ep.port,
      keys: ep.hostKeys.map((k) => k.publicKey),
      source: 'sandbox connection file',
      verified: true,
    });
  const all = which.length === 0 || which.includes('sandbox');
  if (ssh.github && (all || which.includes('sandbox:github'))) add('sandbox github', ssh.github);
  if (ssh.gitlab && (all || which.includes('sandbox:gitlab'))) add('sandbox gitlab', ssh.gitlab);
  if (all || which.includes('sandbox:vms')) {
    for (const [vm, ep] of Object.entries(ssh.vms)) add(`sandbox vm ${vm}`, ep);
  }
  return sets;
}

export async function publicHostKeySets(
  hosts: string[],
  options: { offline?: boolean; githubApiUrl?: string },
): Promise<HostKeySet[]> {
  const sets: HostKeySet[] = [];
  for (const host of hosts) {
    if (host === 'github.com') {
      if (options.offline) {
        sets.push({
          label: host,
          host,
          keys: GITHUB.keys,
          source: `bundled, taken ${GITHUB.takenOn}`,
          verified: true,
        });
      } else {
        const apiUrl = options.githubApiUrl ?? 'https://api.github.com';
        const meta = await fetchGithubHostKeys(apiUrl, { expectGithubCom: true });
        sets.push({
          label: host,
          host,
          keys: meta.keys,
          source: `${apiUrl}/meta, checked against documented fingerprints`,
          verified: true,
        });
      }
    } else if (host === 'gitlab.com') {
      sets.push({
        label: host,
        host,
        keys: GITLAB.keys,
        source: `bundled from ${GITLAB.source}, taken ${GITLAB.takenOn}`,
        verified: true,
      });
    } else {
      throw new UsageError(
        `unknown host "${host}": keyfleet pins github.com and gitlab.com, and the sandbox's hosts with --sandbox ` +
          '(sandbox, sandbox:github, sandbox:gitlab, sandbox:vms)',
      );
    }
  }
  return sets;
}

/** known_hosts lines for a set; hashed like `ssh-keygen -H` when asked. */
export function knownHostsLines(set: HostKeySet, hash = false): string[] {
  const name = hostLookupName(set.host, set.port);
  return set.keys.map((k) => `${hash ? hashHostName(name, randomBytes(20)) : name} ${k}`);
}

/** The endpoints whose entries `--check` judges, with what is right for each. */
export function pinnedEndpoints(
  sandboxSets: HostKeySet[],
  keyFingerprint: (k: string) => string,
): PinnedEndpoint[] {
  const endpoints: PinnedEndpoint[] = [
    { host: 'github.com', pins: GITHUB },
    { host: 'gitlab.com', pins: GITLAB },
  ];
  for (const s of sandboxSets) {
    const ep: PinnedEndpoint = {
      host: s.host,
      pins: { fingerprints: s.keys.map(keyFingerprint), retired: [] },
    };
    if (s.port !== undefined) ep.port = s.port;
    endpoints.push(ep);
  }
  return endpoints;
}
