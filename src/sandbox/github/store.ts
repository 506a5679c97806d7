/**
 * The GitHub emulator's rules over its state, without HTTP: who may see what, global key
 * uniqueness, and which keys reach which repository.
 */
import { denied, type AccessAnswer, type KeyIdentity } from '../access.js';
import { parseKeyMaterial, type StoredKeyMaterial } from '../keys.js';
import type { GhKey, GhRepo, GhState, GhToken, GhUser, RepoPermission } from './state.js';

/** Key types GitHub accepts for authentication and deploy keys (DSA was dropped in 2022). */
export const GITHUB_KEY_TYPES: ReadonlySet<string> = new Set([
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);

const RANK: Record<RepoPermission, number> = { read: 1, triage: 2, write: 3, maintain: 4, admin: 5 };

export type NewKey =
  | { kind: 'user'; login: string; text: string; title?: string | undefined }
  | {
      kind: 'deploy';
      repo: string;
      text: string;
      title?: string | undefined;
      readOnly: boolean;
      addedBy: string | null;
      addedByToken?: string | undefined;
    };

export type AddKeyOutcome = { ok: true; key: GhKey } | { ok: false; code: 'invalid' | 'in-use' };

/** GitHub's timestamps: ISO 8601 UTC without milliseconds. */
export function githubTime(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class GithubStore {
  constructor(public state: GhState) {}

  user(login: string): GhUser | undefined {
    const l = login.toLowerCase();
    return this.state.users.find((u) => u.login.toLowerCase() === l);
  }

  token(value: string): { name: string; token: GhToken; user: GhUser } | undefined {
    for (const [name, token] of Object.entries(this.state.tokens)) {
      if (token.token === value) {
        const user = this.user(token.login);
        return user ? { name, token, user } : undefined;
      }
    }
    return undefined;
  }

  repo(owner: string, name: string): GhRepo | undefined {
    const o = owner.toLowerCase();
    const n = name.toLowerCase();
    return this.state.repos.find((r) => r.owner.toLowerCase() === o && r.name.toLowerCase() === n);
  }

  repoByFullName(full: string): GhRepo | undefined {
    const [owner, name, ...rest] = full.replace(/\.git$/, '').split('/');
    return owner && name && rest.length === 0 ? this.repo(owner, name) : undefined;
  }

  permission(login: string, repo: GhRepo): RepoPermission | undefined {
    const l = login.toLowerCase();
    for (const [who, p] of Object.entries(repo.collaborators)) if (who.toLowerCase() === l) return p;
    return undefined;
  }

  atLeast(p: RepoPermission | undefined, wanted: RepoPermission): boolean {
    return p !== undefined && RANK[p] >= RANK[wanted];
  }

  userKeys(login: string): GhKey[] {
    const l = login.toLowerCase();
    return this.state.keys
      .filter((k) => k.kind === 'user' && k.login?.toLowerCase() === l)
      .sort((a, b) => a.id - b.id);
  }

  deployKeys(repo: GhRepo): GhKey[] {
    const full = fullName(repo);
    return this.state.keys.filter((k) => k.kind === 'deploy' && k.repo === full).sort((a, b) => a.id - b.id);
  }

  keyByFingerprint(fingerprint: string): GhKey | undefined {
    return this.state.keys.find((k) => k.fingerprint === fingerprint);
  }

  /** Parses key text and checks GitHub accepts its type; undefined when it does not. */
  material(text: string): StoredKeyMaterial | undefined {
    const m = parseKeyMaterial(text);
    return m && !m.certificate && GITHUB_KEY_TYPES.has(m.type) ? m : undefined;
  }

  /** Adds a user or deploy key, enforcing that a key exists only once across all of GitHub. */
  addKey(spec: NewKey): AddKeyOutcome {
    const m = this.material(spec.text);
    if (!m) return { ok: false, code: 'invalid' };
    if (this.keyByFingerprint(m.fingerprint)) return { ok: false, code: 'in-use' };
    const key: GhKey = {
      id: this.state.nextKeyId++,
      kind: spec.kind,
      type: m.type,
      blob: m.blob,
      fingerprint: m.fingerprint,
      title: spec.title ?? m.comment,
      createdAt: githubTime(),
      readOnly: spec.kind === 'deploy' ? spec.readOnly : false,
      verified: true,
      addedBy: spec.kind === 'deploy' ? spec.addedBy : null,
      lastUsed: null,
      enabled: true,
    };
    if (spec.kind === 'user') key.login = spec.login;
    else {
      key.repo = spec.repo;
      if (spec.addedByToken) key.addedByToken = spec.addedByToken;
    }
    this.state.keys.push(key);
    return { ok: true, key };
  }

  removeKey(id: number): boolean {
    const i = this.state.keys.findIndex((k) => k.id === id);
    if (i < 0) return false;
    this.state.keys.splice(i, 1);
    return true;
  }

  identify(fingerprint: string): KeyIdentity {
    const k = this.keyByFingerprint(fingerprint);
    if (!k) return { known: false, reason: 'no GitHub key has this fingerprint' };
    if (!k.enabled) return { known: false, reason: `deploy key ${k.id} is disabled` };
    return k.kind === 'user'
      ? { known: true, principal: `user ${k.login}`, reason: `user key ${k.id} of ${k.login}` }
      : { known: true, principal: `deploy key ${k.id}`, reason: `deploy key ${k.id} of ${k.repo}` };
  }

  /** Which access a key gives to `OWNER/REPO` over SSH: a deploy key of that repo, or a user key of a collaborator. */
  access(fingerprint: string, repoName: string): AccessAnswer {
    const repo = this.repoByFullName(repoName);
    if (!repo) return denied(`no repository ${repoName}`);
    const k = this.keyByFingerprint(fingerprint);
    if (!k) return denied('no GitHub key has this fingerprint');
    if (!k.enabled) return denied(`deploy key ${k.id} is disabled`);
    if (k.kind === 'deploy') {
      if (k.repo !== fullName(repo))
        return denied(`deploy key ${k.id} belongs to ${k.repo}, not ${fullName(repo)}`);
      return {
        allowed: true,
        write: !k.readOnly,
        deployKeyId: k.id,
        reason: `deploy key ${k.id} of ${k.repo} (${k.readOnly ? 'read-only' : 'read/write'})`,
      };
    }
    const login = k.login ?? '';
    const p = this.permission(login, repo);
    if (!p) {
      if (!repo.private)
        return {
          allowed: true,
          write: false,
          user: login,
          reason: `${login} may read public ${fullName(repo)}`,
        };
      return { ...denied(`${login} has no access to ${fullName(repo)}`), user: login };
    }
    const write = this.atLeast(p, 'write');
    return {
      allowed: true,
      write,
      user: login,
      reason: `${login} is a collaborator on ${fullName(repo)} (${p})`,
    };
  }
}

export function fullName(repo: GhRepo): string {
  return `${repo.owner}/${repo.name}`;
}
