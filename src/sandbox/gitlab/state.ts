/**
 * The GitLab emulator's world as plain JSON: users, tokens, groups, projects, keys and the links
 * between deploy keys and projects. `exportState()` returns it; `importGitlabState` takes it back.
 */
import { SandboxError } from '../errors.js';
import { randomToken } from '../emulator.js';

/** GitLab's role levels. */
export const ACCESS = { guest: 10, reporter: 20, developer: 30, maintainer: 40, owner: 50 } as const;

export interface GlUser {
  id: number;
  username: string;
  name: string;
  email: string;
  admin: boolean;
  state: 'active' | 'blocked';
  createdAt: string;
}

export interface GlToken {
  token: string;
  userId: number;
  /** `api`, `read_api`, `read_user`, `sudo`, ... */
  scopes: string[];
}

export interface GlGroup {
  id: number;
  name: string;
  path: string;
  parentId: number | null;
  /** user id -> access level; inherited by subgroups and projects. */
  members: Record<string, number>;
}

export interface GlProject {
  id: number;
  name: string;
  path: string;
  namespaceId: number;
  description: string;
  visibility: 'private' | 'internal' | 'public';
  defaultBranch: string;
  createdAt: string;
  members: Record<string, number>;
}

export interface GlKey {
  id: number;
  kind: 'user' | 'deploy';
  /** Owner of a user key; creator of a deploy key. */
  userId: number;
  title: string;
  /** As stored after GitLab's sanitising: `type base64 [comment]`. */
  key: string;
  type: string;
  blob: string;
  /** MD5, lowercase colon-separated hex, no prefix. */
  fingerprint: string;
  /** Base64 SHA256 without the `SHA256:` prefix, as GitLab stores it. */
  fingerprintSha256: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  usageType: 'auth' | 'signing' | 'auth_and_signing';
  /** Deploy keys only: public (instance-wide) keys survive losing their last project. */
  public: boolean;
  lastUsedAt: string | null;
}

export interface GlDeployLink {
  id: number;
  deployKeyId: number;
  projectId: number;
  canPush: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface GlSettings {
  /** Write `fingerprint_sha256` with a `SHA256:` prefix (GitLab's docs show one; its code stores none). */
  fingerprintSha256Prefix: boolean;
  /** The host in rewritten user-key comments, `<name> (<host>)`; default: the emulator's hostname. */
  publicHost: string | null;
}

export interface GlState {
  version: 1;
  nextKeyId: number;
  nextLinkId: number;
  users: GlUser[];
  /** By name (`root`, `alice`, `alice-read`, `bob`, `carol`), as the connection file lists them. */
  tokens: Record<string, GlToken>;
  groups: GlGroup[];
  projects: GlProject[];
  keys: GlKey[];
  links: GlDeployLink[];
  settings: GlSettings;
}

export const GITLAB_TOKEN_PREFIX = 'kfgl_';

export function defaultGitlabSettings(): GlSettings {
  return { fingerprintSha256Prefix: false, publicHost: null };
}

export function emptyGitlabState(): GlState {
  return {
    version: 1,
    nextKeyId: 1,
    nextLinkId: 1,
    users: [],
    tokens: {},
    groups: [],
    projects: [],
    keys: [],
    links: [],
    settings: defaultGitlabSettings(),
  };
}

/**
 * The seeded world (the sandbox contract): root (admin), alice (Maintainer of group `ml`), bob
 * (Reporter of `ml`) and carol (no membership); group `ml` with subgroup `ml/platform`; private
 * projects ml/trainer, ml/datasets, ml/platform/infra. Tokens are new random values every time.
 */
export function seedGitlabState(now = new Date()): GlState {
  const s = emptyGitlabState();
  const at = now.toISOString();
  s.users = [
    {
      id: 1,
      username: 'root',
      name: 'Administrator',
      email: 'admin@example.com',
      admin: true,
      state: 'active',
      createdAt: at,
    },
    {
      id: 2,
      username: 'alice',
      name: 'Alice Liddell',
      email: 'alice@example.com',
      admin: false,
      state: 'active',
      createdAt: at,
    },
    {
      id: 3,
      username: 'bob',
      name: 'Bob Baker',
      email: 'bob@example.com',
      admin: false,
      state: 'active',
      createdAt: at,
    },
    {
      id: 4,
      username: 'carol',
      name: 'Carol Chen',
      email: 'carol@example.com',
      admin: false,
      state: 'active',
      createdAt: at,
    },
  ];
  const token = (userId: number, scopes: string[]): GlToken => ({
    token: randomToken(GITLAB_TOKEN_PREFIX),
    userId,
    scopes,
  });
  s.tokens = {
    root: token(1, ['api', 'sudo']),
    alice: token(2, ['api']),
    'alice-read': token(2, ['read_api', 'read_user']),
    bob: token(3, ['api']),
    carol: token(4, ['api']),
  };
  s.groups = [
    {
      id: 10,
      name: 'ml',
      path: 'ml',
      parentId: null,
      members: { '2': ACCESS.maintainer, '3': ACCESS.reporter },
    },
    { id: 11, name: 'platform', path: 'platform', parentId: 10, members: {} },
  ];
  const project = (id: number, path: string, namespaceId: number, description: string): GlProject => ({
    id,
    name: path,
    path,
    namespaceId,
    description,
    visibility: 'private',
    defaultBranch: 'main',
    createdAt: at,
    members: {},
  });
  s.projects = [
    project(101, 'trainer', 10, 'Model training pipelines'),
    project(102, 'datasets', 10, 'Dataset definitions'),
    project(103, 'infra', 11, 'Platform infrastructure'),
  ];
  return s;
}

/** Takes back a state written by `exportState()`; throws SandboxError when it is not one. */
export function importGitlabState(raw: unknown): GlState {
  const r = raw as Partial<GlState> | null;
  if (
    !r ||
    typeof r !== 'object' ||
    r.version !== 1 ||
    !Array.isArray(r.users) ||
    !Array.isArray(r.groups) ||
    !Array.isArray(r.projects) ||
    !Array.isArray(r.keys) ||
    !Array.isArray(r.links) ||
    typeof r.tokens !== 'object' ||
    r.tokens === null
  ) {
    throw new SandboxError(
      'the saved GitLab emulator state is not one this version of keyfleet wrote (expected version 1)',
    );
  }
  const state = structuredClone(r) as GlState;
  state.settings = { ...defaultGitlabSettings(), ...(r.settings ?? {}) };
  state.nextKeyId = Math.max(
    typeof r.nextKeyId === 'number' ? r.nextKeyId : 1,
    ...state.keys.map((k) => k.id + 1),
  );
  state.nextLinkId = Math.max(
    typeof r.nextLinkId === 'number' ? r.nextLinkId : 1,
    ...state.links.map((l) => l.id + 1),
  );
  return state;
}
