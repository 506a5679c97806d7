/**
 * The GitHub emulator's whole world as plain JSON: accounts, tokens, repositories and keys.
 * `exportState()` returns it, `--state` files hold it, `importGithubState` takes it back.
 */
import { SandboxError } from '../errors.js';
import { randomToken } from '../emulator.js';

/** A collaborator's role on a repository, as GitHub names them. */
export type RepoPermission = 'admin' | 'maintain' | 'write' | 'triage' | 'read';

export interface GhUser {
  id: number;
  login: string;
  name: string;
  type: 'User' | 'Organization';
}

export interface GhToken {
  token: string;
  login: string;
  /** Classic OAuth scopes, e.g. `admin:public_key`, `repo` (implied scopes are not listed, as on GitHub). */
  scopes: string[];
}

export interface GhRepo {
  id: number;
  owner: string;
  name: string;
  private: boolean;
  defaultBranch: string;
  /** login -> role; the owner org's members have no implicit access. */
  collaborators: Record<string, RepoPermission>;
}

export interface GhKey {
  id: number;
  kind: 'user' | 'deploy';
  /** Owner of a user key. */
  login?: string;
  /** `OWNER/REPO` of a deploy key. */
  repo?: string;
  type: string;
  /** Base64 wire blob; GitHub keeps `type blob` only, the comment is dropped. */
  blob: string;
  /** `SHA256:…`, computed by the key core when the key was added. */
  fingerprint: string;
  title: string;
  createdAt: string;
  readOnly: boolean;
  verified: boolean;
  addedBy: string | null;
  /** Name of the token that created a deploy key: deleting that token deletes the key (§1.7). */
  addedByToken?: string;
  lastUsed: string | null;
  enabled: boolean;
}

export interface GhSettings {
  /** `errors[].message` for an invalid key (GitHub's current API wording is not documented). */
  invalidKeyMessage: string;
  /** Add `"status": "404"` (the code as a string) to error bodies, as newer GitHub responses do. */
  errorStatusField: boolean;
  /** Primary rate limit per hour for authenticated users. */
  rateLimit: number;
  /** Primary rate limit per hour for unauthenticated callers. */
  anonymousRateLimit: number;
}

export interface GhState {
  version: 1;
  nextKeyId: number;
  users: GhUser[];
  /** By name (`alice`, `alice-readonly`, ...), as the connection file lists them. */
  tokens: Record<string, GhToken>;
  repos: GhRepo[];
  keys: GhKey[];
  /** The sandbox git host's SSH host keys (`type base64`), published by `GET /meta`. */
  hostKeys: string[];
  settings: GhSettings;
}

export const DEFAULT_INVALID_KEY_MESSAGE =
  "key is invalid. It must begin with 'ssh-ed25519', 'ssh-rsa', 'ssh-dss', 'ecdsa-sha2-nistp256', " +
  "'ecdsa-sha2-nistp384', or 'ecdsa-sha2-nistp521'. Check that you're copying the public half of the key";

export function defaultGithubSettings(): GhSettings {
  return {
    invalidKeyMessage: DEFAULT_INVALID_KEY_MESSAGE,
    errorStatusField: false,
    rateLimit: 5000,
    anonymousRateLimit: 60,
  };
}

export function emptyGithubState(): GhState {
  return {
    version: 1,
    nextKeyId: 1,
    users: [],
    tokens: {},
    repos: [],
    keys: [],
    hostKeys: [],
    settings: defaultGithubSettings(),
  };
}

export const GITHUB_TOKEN_PREFIX = 'kfgh_';

/**
 * The seeded world (the sandbox contract): users alice, bob and ci-bot; org mlops with private
 * repos trainer, datasets and infra; alice administers all three, bob can push to trainer, the
 * ci-bot machine user can read trainer and datasets. Tokens are new random values every time.
 */
export function seedGithubState(): GhState {
  const s = emptyGithubState();
  s.users = [
    { id: 1001, login: 'alice', name: 'Alice Liddell', type: 'User' },
    { id: 1002, login: 'bob', name: 'Bob Baker', type: 'User' },
    { id: 1003, login: 'ci-bot', name: 'CI machine user', type: 'User' },
    { id: 2001, login: 'mlops', name: 'MLOps', type: 'Organization' },
  ];
  const token = (login: string, scopes: string[]): GhToken => ({
    token: randomToken(GITHUB_TOKEN_PREFIX),
    login,
    scopes,
  });
  s.tokens = {
    alice: token('alice', ['admin:public_key', 'repo']),
    'alice-readonly': token('alice', ['read:public_key']),
    bob: token('bob', ['admin:public_key', 'repo']),
    'ci-bot': token('ci-bot', ['admin:public_key', 'repo']),
    'no-scopes': token('alice', []),
  };
  s.repos = [
    {
      id: 3001,
      owner: 'mlops',
      name: 'trainer',
      private: true,
      defaultBranch: 'main',
      collaborators: { alice: 'admin', bob: 'write', 'ci-bot': 'read' },
    },
    {
      id: 3002,
      owner: 'mlops',
      name: 'datasets',
      private: true,
      defaultBranch: 'main',
      collaborators: { alice: 'admin', 'ci-bot': 'read' },
    },
    {
      id: 3003,
      owner: 'mlops',
      name: 'infra',
      private: true,
      defaultBranch: 'main',
      collaborators: { alice: 'admin' },
    },
  ];
  return s;
}

/** Takes back a state written by `exportState()`; throws SandboxError when it is not one. */
export function importGithubState(raw: unknown): GhState {
  const r = raw as Partial<GhState> | null;
  if (
    !r ||
    typeof r !== 'object' ||
    r.version !== 1 ||
    !Array.isArray(r.users) ||
    !Array.isArray(r.repos) ||
    !Array.isArray(r.keys) ||
    typeof r.tokens !== 'object' ||
    r.tokens === null
  ) {
    throw new SandboxError(
      'the saved GitHub emulator state is not one this version of keyfleet wrote (expected version 1)',
    );
  }
  const state = structuredClone(r) as GhState;
  state.settings = { ...defaultGithubSettings(), ...(r.settings ?? {}) };
  state.hostKeys = Array.isArray(r.hostKeys) ? [...r.hostKeys] : [];
  state.nextKeyId = Math.max(
    typeof r.nextKeyId === 'number' ? r.nextKeyId : 1,
    ...state.keys.map((k) => k.id + 1),
  );
  return state;
}
