/** `keyfleet known-hosts`: print pinned known_hosts lines, or check a known_hosts file against the pins. */
import { readFileSync, statSync } from 'node:fs';
import { InputError, UsageError } from '../../errors.js';
import { parsePublicKey } from '../../keys/public-key.js';
import { checkKnownHosts } from '../../hostkeys/check.js';
import {
  knownHostsLines,
  pinnedEndpoints,
  publicHostKeySets,
  sandboxHostKeySets,
  type HostKeySet,
} from '../../hostkeys/sources.js';
import type { KnownHostsFlags } from '../commands/known-hosts.js';
import { formatTable, printJson } from '../output.js';

async function sandboxSets(flags: KnownHostsFlags, hosts: string[]): Promise<HostKeySet[]> {
  const wantsSandbox =
    flags.sandbox !== undefined || hosts.some((h) => h === 'sandbox' || h.startsWith('sandbox:'));
  if (!wantsSandbox) return [];
  const { readConnectionFile } = await import('../../sandbox/connection.js');
  const conn = await readConnectionFile(typeof flags.sandbox === 'string' ? flags.sandbox : undefined);
  return sandboxHostKeySets(
    conn.ssh,
    hosts.filter((h) => h.startsWith('sandbox')),
  );
}

function readFileArg(path: string): string {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new InputError(path, 'no such file');
  }
  if (st.isDirectory()) throw new InputError(path, 'is a directory, not a known_hosts file');
  if (st.size > 64 * 1024 * 1024) throw new InputError(path, 'larger than 64 MiB; not a known_hosts file');
  return readFileSync(path, 'utf8');
}

export async function runKnownHosts(hosts: string[], flags: KnownHostsFlags): Promise<number> {
  const publicHosts = hosts.filter((h) => !h.startsWith('sandbox'));
  if (flags.check !== undefined) {
    const text = readFileArg(flags.check);
    const sets = await sandboxSets(flags, hosts);
    const { problems, checked } = checkKnownHosts(
      text,
      pinnedEndpoints(sets, (k) => parsePublicKey(k).fingerprint),
    );
    if (flags.json) {
      printJson({ file: flags.check, checked, problems });
    } else if (problems.length === 0) {
      process.stdout.write(
        `${flags.check}: ${checked} pinned-host entr${checked === 1 ? 'y' : 'ies'} checked, none stale or wrong\n`,
      );
    } else {
      process.stdout.write(
        formatTable(
          ['LINE', 'HOST', 'PROBLEM', 'FINGERPRINT', 'WHAT TO DO'],
          problems.map((p) => [String(p.line), p.host, p.problem, p.fingerprint, p.message]),
        ) + '\n',
      );
    }
    return problems.length > 0 ? 1 : 0;
  }

  if (flags.offline && flags.githubUrl)
    throw new UsageError('--offline and --github-url contradict each other: choose one');
  const onlySandbox = hosts.length > 0 && publicHosts.length === 0;
  const wanted = onlySandbox ? [] : publicHosts.length > 0 ? publicHosts : ['github.com', 'gitlab.com'];
  const options: { offline?: boolean; githubApiUrl?: string } = {};
  if (flags.offline) options.offline = true;
  if (flags.githubUrl) options.githubApiUrl = flags.githubUrl;
  const sets = [...(await publicHostKeySets(wanted, options)), ...(await sandboxSets(flags, hosts))];
  if (flags.json) {
    printJson({
      hosts: sets.map((s) => ({ ...s, lines: knownHostsLines(s, flags.hash) })),
    });
    return 0;
  }
  const out: string[] = [];
  for (const s of sets) {
    out.push(`# ${s.label}: ${s.source}`);
    out.push(...knownHostsLines(s, flags.hash));
  }
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
