/**
 * The GitLab emulator's rules over its state, without HTTP: roles inherited through groups,
 * key validation as GitLab's `Key` model does it (API-CONTRACTS.md §2.4), instance-wide
 * uniqueness by SHA256 fingerprint, deploy keys shared between projects, and SSH access.
 */
import { denied, type AccessAnswer, type KeyIdentity } from '../access.js';
import { parseKeyMaterial, type StoredKeyMaterial } from '../keys.js';
import {
  ACCESS,
  type GlDeployLink,
  type GlGroup,
  type GlKey,
  type GlProject,
  type GlState,
  type GlToken,
  type GlUser,
} from './state.js';

/** Algorithms GitLab's `Key` model accepts (`Gitlab::SSHPublicKey.supported_algorithms`). */
export const GITLAB_KEY_TYPES: readonly string[] = [
  'ssh-rsa',
  'ssh-dss',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-ed25519',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'sk-ssh-ed25519@openssh.com',
];

/** Model validation errors, attribute -> messages (rendered as `{"message":{...}}`). */
export type ModelErrors = Record<string, string[]>;

export interface KeyInput {
  title: string;
  key: string;
  expiresAt: Date | null;
}

export class GitlabStore {
  constructor(public state: GlState) {}

  // ---- lookups -------------------------------------------------------------------------------

  user(idOrUsername: string | number): GlUser | undefined {
    const s = String(idOrUsername);
    if (/^\d+$/.test(s)) return this.state.users.find((u) => u.id === Number(s));
    const l = s.toLowerCase();
    return this.state.users.find((u) => u.username.toLowerCase() === l);
  }

  token(value: string): { name: string; token: GlToken; user: GlUser } | undefined {
    for (const [name, token] of Object.entries(this.state.tokens)) {
      if (token.token === value) {
        const user = this.user(token.userId);
        return user ? { name, token, user } : undefined;
      }
    }
    return undefined;
  }

  group(id: number): GlGroup | undefined {
    return this.state.groups.find((g) => g.id === id);
  }

  /** The group and its ancestors, nearest first. */
  groupChain(id: number): GlGroup[] {
    const out: GlGroup[] = [];
    for (
      let g = this.group(id);
      g && out.length < 32;
      g = g.parentId === null ? undefined : this.group(g.parentId)
    )
      out.push(g);
    return out;
  }

  groupFullPath(id: number): string {
    return this.groupChain(id)
      .reverse()
      .map((g) => g.path)
      .join('/');
  }

  projectPath(p: GlProject): string {
    return `${this.groupFullPath(p.namespaceId)}/${p.path}`;
  }

  projectNameWithNamespace(p: GlProject): string {
    const names = this.groupChain(p.namespaceId)
      .reverse()
      .map((g) => g.name);
    return [...names, p.name].join(' / ');
  }

  /** By numeric id or full path (`ml/platform/infra`, case-insensitive). */
  project(idOrPath: string): GlProject | undefined {
    if (/^\d+$/.test(idOrPath)) return this.state.projects.find((p) => p.id === Number(idOrPath));
    const l = idOrPath.replace(/\.git$/, '').toLowerCase();
    return this.state.projects.find((p) => this.projectPath(p).toLowerCase() === l);
  }

  /** The user's role on a project: the highest of its own membership and its groups' (inherited). */
  accessLevel(user: GlUser, p: GlProject): number {
    let level = p.members[String(user.id)] ?? 0;
    for (const g of this.groupChain(p.namespaceId)) level = Math.max(level, g.members[String(user.id)] ?? 0);
    return level;
  }

  /** Whether the user may see the project at all (admins see everything). */
  canSee(user: GlUser | undefined, p: GlProject): boolean {
    if (p.visibility === 'public') return true;
    if (!user) return false;
    if (user.admin || p.visibility === 'internal') return true;
    return this.accessLevel(user, p) >= ACCESS.guest;
  }

  isMaintainer(user: GlUser, p: GlProject): boolean {
    return user.admin || this.accessLevel(user, p) >= ACCESS.maintainer;
  }

  key(id: number): GlKey | undefined {
    return this.state.keys.find((k) => k.id === id);
  }

  userKeys(userId: number): GlKey[] {
    return this.state.keys
      .filter((k) => k.kind === 'user' && k.userId === userId)
      .sort((a, b) => a.id - b.id);
  }

  linksOfProject(p: GlProject): GlDeployLink[] {
    return this.state.links.filter((l) => l.projectId === p.id).sort((a, b) => a.deployKeyId - b.deployKeyId);
  }

  linksOfKey(keyId: number): GlDeployLink[] {
    return this.state.links.filter((l) => l.deployKeyId === keyId);
  }

  link(p: GlProject, keyId: number): GlDeployLink | undefined {
    return this.state.links.find((l) => l.projectId === p.id && l.deployKeyId === keyId);
  }

  keyBySha256(bare: string): GlKey | undefined {
    return this.state.keys.find((k) => k.fingerprintSha256 === bare);
  }

  /** Deploy keys the user may attach to a project: those of projects they maintain, and public ones. */
  accessibleDeployKeys(user: GlUser): GlKey[] {
    const maintained = new Set(
      this.state.projects.filter((p) => this.isMaintainer(user, p)).map((p) => p.id),
    );
    const ids = new Set(
      this.state.links.filter((l) => maintained.has(l.projectId)).map((l) => l.deployKeyId),
    );
    return this.state.keys.filter((k) => k.kind === 'deploy' && (k.public || ids.has(k.id)));
  }

  isExpired(k: GlKey, now = Date.now()): boolean {
    return k.expiresAt !== null && Date.parse(k.expiresAt) <= now;
  }

  // ---- writes --------------------------------------------------------------------------------

  /** GitLab's `Key` validations, in the model's order; `material` is set when the key parsed. */
  validate(
    input: KeyInput,
    attr: (a: string) => string = (a) => a,
  ): { errors: ModelErrors; material?: StoredKeyMaterial } {
    const errors: ModelErrors = {};
    const add = (a: string, m: string) => (errors[attr(a)] ??= []).push(m);
    if (input.title.trim() === '') add('title', "can't be blank");
    else if (input.title.length > 255) add('title', 'is too long (maximum is 255 characters)');
    const text = input.key.trim();
    if (text === '') add('key', "can't be blank");
    if (text.length > 5000) add('key', 'is too long (maximum is 5000 characters)');
    if (!GITLAB_KEY_TYPES.some((t) => text.startsWith(t))) add('key', 'is invalid');
    const parsed = text === '' ? undefined : parseKeyMaterial(text);
    const material =
      parsed && !parsed.certificate && GITLAB_KEY_TYPES.includes(parsed.type) ? parsed : undefined;
    if (!material) {
      if (parsed && !errors[attr('key')]) add('key', 'is invalid');
      add('fingerprint_sha256', 'cannot be generated');
    } else if (this.keyBySha256(bareSha256(material.fingerprint))) {
      add('fingerprint_sha256', 'has already been taken');
    }
    if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) add('expires_at', 'has expired');
    return material ? { errors, material } : { errors };
  }

  /** Stores a validated key. */
  insertKey(
    kind: GlKey['kind'],
    userId: number,
    input: KeyInput,
    material: StoredKeyMaterial,
    usageType: GlKey['usageType'],
  ): GlKey {
    const now = new Date().toISOString();
    const key: GlKey = {
      id: this.state.nextKeyId++,
      kind,
      userId,
      title: input.title,
      key: sanitizedKey(material),
      type: material.type,
      blob: material.blob,
      fingerprint: material.md5,
      fingerprintSha256: bareSha256(material.fingerprint),
      createdAt: now,
      updatedAt: now,
      expiresAt: input.expiresAt ? input.expiresAt.toISOString() : null,
      usageType,
      public: false,
      lastUsedAt: null,
    };
    this.state.keys.push(key);
    return key;
  }

  addLink(p: GlProject, keyId: number, canPush: boolean): GlDeployLink {
    const existing = this.link(p, keyId);
    if (existing) return existing;
    const now = new Date().toISOString();
    const l: GlDeployLink = {
      id: this.state.nextLinkId++,
      deployKeyId: keyId,
      projectId: p.id,
      canPush,
      createdAt: now,
      updatedAt: now,
    };
    this.state.links.push(l);
    return l;
  }

  /** Removes a project's link; the key itself goes too when no project uses it and it is not public. */
  removeLink(l: GlDeployLink): { keyDeleted: boolean } {
    this.state.links = this.state.links.filter((x) => x.id !== l.id);
    const key = this.key(l.deployKeyId);
    if (key && !key.public && this.linksOfKey(key.id).length === 0) {
      this.removeKey(key.id);
      return { keyDeleted: true };
    }
    return { keyDeleted: false };
  }

  removeKey(id: number): boolean {
    const before = this.state.keys.length;
    this.state.keys = this.state.keys.filter((k) => k.id !== id);
    this.state.links = this.state.links.filter((l) => l.deployKeyId !== id);
    return this.state.keys.length < before;
  }

  // ---- SSH access ----------------------------------------------------------------------------

  identify(fingerprint: string): KeyIdentity {
    const k = this.keyBySha256(bareSha256(fingerprint));
    if (!k) return { known: false, reason: 'no GitLab key has this fingerprint' };
    if (this.isExpired(k)) return { known: false, reason: `key ${k.id} expired at ${k.expiresAt}` };
    if (k.usageType === 'signing') return { known: false, reason: `key ${k.id} is for signing only` };
    if (k.kind === 'deploy')
      return { known: true, principal: `deploy key ${k.id}`, reason: `deploy key ${k.id}` };
    const u = this.user(k.userId);
    return {
      known: true,
      principal: `user ${u?.username ?? k.userId}`,
      reason: `user key ${k.id} of ${u?.username ?? k.userId}`,
    };
  }

  /** Which access a key gives to a project over SSH. */
  access(fingerprint: string, projectPath: string): AccessAnswer {
    const p = this.project(projectPath);
    if (!p) return denied(`no project ${projectPath}`);
    const k = this.keyBySha256(bareSha256(fingerprint));
    if (!k) return denied('no GitLab key has this fingerprint');
    if (this.isExpired(k)) return denied(`key ${k.id} expired at ${k.expiresAt}`);
    if (k.usageType === 'signing') return denied(`key ${k.id} is for signing only`);
    const path = this.projectPath(p);
    if (k.kind === 'deploy') {
      const l = this.link(p, k.id);
      if (!l) return { ...denied(`deploy key ${k.id} is not enabled on ${path}`), deployKeyId: k.id };
      return {
        allowed: true,
        write: l.canPush,
        deployKeyId: k.id,
        reason: `deploy key ${k.id} on ${path} (${l.canPush ? 'can push' : 'read-only'})`,
      };
    }
    const user = this.user(k.userId);
    if (!user || user.state !== 'active') return denied(`the key's user is not active`);
    if (user.admin)
      return {
        allowed: true,
        write: true,
        user: user.username,
        reason: `${user.username} is an administrator`,
      };
    const level = this.accessLevel(user, p);
    if (level >= ACCESS.developer) {
      return {
        allowed: true,
        write: true,
        user: user.username,
        reason: `${user.username} has role ${level} on ${path}`,
      };
    }
    if (level >= ACCESS.reporter || p.visibility !== 'private') {
      return {
        allowed: true,
        write: false,
        user: user.username,
        reason: `${user.username} may read ${path}`,
      };
    }
    return { ...denied(`${user.username} cannot read ${path}`), user: user.username };
  }
}

/** GitLab stores SHA256 fingerprints without the `SHA256:` prefix. */
export function bareSha256(fingerprint: string): string {
  return fingerprint.replace(/^SHA256:/i, '');
}

/** What GitLab keeps after sanitising: `type base64` and the comment, single-spaced. */
function sanitizedKey(m: StoredKeyMaterial): string {
  const comment = m.comment.trim().split(/\s+/).join(' ');
  return comment ? `${m.type} ${m.blob} ${comment}` : `${m.type} ${m.blob}`;
}
