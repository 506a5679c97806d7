/**
 * Turns a target into the SSH endpoints that prove access to it, the way a pipeline would use
 * the key: `git ls-remote` for repositories, `ssh -T` for account keys, `ssh USER@VM true` for
 * VMs. Each endpoint carries the host keys to pin.
 */
import { UsageError } from '../errors.js';
import { GITHUB, GITLAB } from '../hostkeys/pinned.js';
import { hostLookupName } from '../keys/known-hosts.js';
import { parseTarget } from '../platforms/target.js';
import type { SshHostsInfo, SshEndpoint } from '../sandbox/sshd/ssh-hosts.js';

export interface AccessEndpoint {
  target: string;
  /** What is tried, for the report: `git ls-remote ssh://git@127.0.0.1:4022/mlops/trainer.git`. */
  description: string;
  kind: 'git' | 'auth' | 'login';
  host: string;
  port: number;
  user: string;
  /** Repository path for `git`. */
  path?: string;
  /** known_hosts lines that are the only trusted host keys. */
  knownHosts: string[];
  /** `auth` endpoints succeed when the server greets the user (GitHub and GitLab answer `ssh -T` with exit 1). */
  greeting?: RegExp;
}

/** Which sandbox VMs a `gcp:` target reaches, and as which login user. */
export interface VmResolver {
  vmsFor(target: {
    kind: 'project' | 'instance' | 'oslogin';
    project?: string;
    zone?: string;
    instance?: string;
    user?: string;
    email?: string;
  }): Promise<{ vm: string; user: string }[]>;
}

export interface EndpointContext {
  /** The sandbox's SSH hosts; when absent, the public hosts github.com and gitlab.com. */
  sandbox?: SshHostsInfo;
  vms?: VmResolver;
  /** Extra pins for `ssh://` targets, as known_hosts lines. */
  knownHosts?: string[];
}

function pins(host: string, port: number, keys: string[]): string[] {
  const name = hostLookupName(host, port);
  return keys.map((k) => `${name} ${k}`);
}

/** Where a git platform's SSH endpoint is: the sandbox's host when given, else the public host with its published keys. */
function gitHost(ep: SshEndpoint | undefined, platform: 'github' | 'gitlab') {
  const host = ep?.host ?? (platform === 'github' ? 'github.com' : 'gitlab.com');
  const port = ep?.port ?? 22;
  const keys = ep ? ep.hostKeys.map((k) => k.publicKey) : (platform === 'github' ? GITHUB : GITLAB).keys;
  return { host, port, user: ep?.user ?? 'git', knownHosts: pins(host, port, keys) };
}

function gitEndpoint(
  target: string,
  ep: SshEndpoint | undefined,
  platform: 'github' | 'gitlab',
  path: string,
): AccessEndpoint {
  const h = gitHost(ep, platform);
  return {
    ...h,
    target,
    description: `git ls-remote ssh://${h.user}@${h.host}${h.port === 22 ? '' : `:${h.port}`}/${path}.git`,
    kind: 'git',
    path: `${path}.git`,
  };
}

function authEndpoint(
  target: string,
  ep: SshEndpoint | undefined,
  platform: 'github' | 'gitlab',
): AccessEndpoint {
  const h = gitHost(ep, platform);
  return {
    ...h,
    target,
    description: `ssh -T ${h.user}@${h.host}${h.port === 22 ? '' : ` -p ${h.port}`}`,
    kind: 'auth',
    greeting: platform === 'github' ? /successfully authenticated/ : /Welcome to/,
  };
}

/** `ssh://USER@HOST[:PORT][/PATH]`: a host keyfleet does not know; its pins must come from --known-hosts. */
function rawEndpoint(text: string, ctx: EndpointContext): AccessEndpoint {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`invalid target "${text}": expected ssh://USER@HOST[:PORT][/REPO.git]`);
  }
  if (!url.username || !url.hostname)
    throw new UsageError(`invalid target "${text}": expected ssh://USER@HOST[:PORT][/REPO.git]`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : 22;
  if (!ctx.knownHosts || ctx.knownHosts.length === 0) {
    throw new UsageError(
      `target "${text}": give the host's pinned keys with --known-hosts FILE (strict host checking is not optional)`,
    );
  }
  const path = url.pathname.replace(/^\/+/, '');
  const base = {
    target: text,
    host,
    port,
    user: decodeURIComponent(url.username),
    knownHosts: ctx.knownHosts,
  };
  return path
    ? { ...base, kind: 'git', path, description: `git ls-remote ${text}` }
    : {
        ...base,
        kind: 'login',
        description: `ssh ${base.user}@${host}${port === 22 ? '' : ` -p ${port}`} true`,
      };
}

export async function endpointsFor(text: string, ctx: EndpointContext): Promise<AccessEndpoint[]> {
  if (text.startsWith('ssh://')) return [rawEndpoint(text, ctx)];
  const t = parseTarget(text);
  const sb = ctx.sandbox;
  switch (t.platform) {
    case 'github':
      if (t.kind === 'repo') return [gitEndpoint(text, sb?.github, 'github', `${t.owner}/${t.repo}`)];
      if (t.kind === 'user') return [authEndpoint(text, sb?.github, 'github')];
      throw new UsageError(
        `target "${text}": another account's public keys cannot be verified with your key; use github:user`,
      );
    case 'gitlab':
      if (t.kind === 'project') return [gitEndpoint(text, sb?.gitlab, 'gitlab', t.path)];
      if (t.kind === 'user') return [authEndpoint(text, sb?.gitlab, 'gitlab')];
      return [authEndpoint(text, sb?.gitlab, 'gitlab')];
    case 'gcp': {
      if (!sb || !ctx.vms) {
        throw new UsageError(
          `target "${text}": keyfleet verifies Google Cloud access on the sandbox's VMs (--sandbox); ` +
            'for a real VM use ssh://USER@HOST with --known-hosts FILE',
        );
      }
      const selector =
        t.kind === 'oslogin'
          ? { kind: t.kind, email: t.email }
          : t.kind === 'project'
            ? { kind: t.kind, project: t.project, user: t.user }
            : { kind: t.kind, project: t.project, zone: t.zone, instance: t.instance, user: t.user };
      const found = await ctx.vms.vmsFor(selector);
      if (found.length === 0)
        throw new UsageError(
          `target "${text}": no sandbox VM matches (sandbox VMs: ${Object.keys(sb.vms).join(', ') || 'none'})`,
        );
      return found.map(({ vm, user }) => {
        const ep = sb.vms[vm];
        if (!ep) throw new UsageError(`target "${text}": the sandbox runs no SSH server for VM ${vm}`);
        return {
          target: text,
          description: `ssh ${user}@${vm} (127.0.0.1:${ep.port}) true`,
          kind: 'login' as const,
          host: ep.host,
          port: ep.port,
          user,
          knownHosts: pins(
            ep.host,
            ep.port,
            ep.hostKeys.map((k) => k.publicKey),
          ),
        };
      });
    }
  }
}
