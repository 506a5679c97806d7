/**
 * GitHub's key endpoints (API-CONTRACTS.md §1.2): user keys, public keys of any user, deploy
 * keys, `/meta`, and the `/user` and `/repos/{o}/{r}` lookups adapters use to tell "no
 * permission" from "gone".
 */
import type { EmuResponse, Router } from '../http.js';
import { Reply, bodyObject } from '../reply.js';
import type { GhCaller, GhContext, GithubEmulator } from './emulator.js';
import { GithubRateLimiter } from './rate-limit.js';
import type { GhKey, GhRepo, GhUser } from './state.js';
import { fullName } from './store.js';

const USER_KEYS_DOC = 'https://docs.github.com/rest/users/keys';
const DEPLOY_KEYS_DOC = 'https://docs.github.com/rest/deploy-keys';
const DOC = {
  listUserKeys: `${USER_KEYS_DOC}#list-public-ssh-keys-for-the-authenticated-user`,
  createUserKey: `${USER_KEYS_DOC}#create-a-public-ssh-key-for-the-authenticated-user`,
  getUserKey: `${USER_KEYS_DOC}#get-a-public-ssh-key-for-the-authenticated-user`,
  deleteUserKey: `${USER_KEYS_DOC}#delete-a-public-ssh-key-for-the-authenticated-user`,
  listPublicKeys: `${USER_KEYS_DOC}#list-public-keys-for-a-user`,
  listDeployKeys: `${DEPLOY_KEYS_DOC}#list-deploy-keys`,
  createDeployKey: `${DEPLOY_KEYS_DOC}#create-a-deploy-key`,
  getDeployKey: `${DEPLOY_KEYS_DOC}#get-a-deploy-key`,
  deleteDeployKey: `${DEPLOY_KEYS_DOC}#delete-a-deploy-key`,
  meta: 'https://docs.github.com/rest/meta/meta#get-github-meta-information',
  user: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
  userByName: 'https://docs.github.com/rest/users/users#get-a-user',
  repo: 'https://docs.github.com/rest/repos/repos#get-a-repository',
  rateLimit:
    'https://docs.github.com/rest/rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user',
};

const READ_KEYS = 'admin:public_key, read:public_key, write:public_key';
const WRITE_KEYS = 'admin:public_key, write:public_key';

export function registerGithubRoutes(router: Router, emu: GithubEmulator): void {
  const store = emu.store;
  const ok = (body: unknown, headers: Record<string, string> = {}): EmuResponse => ({
    status: 200,
    body,
    headers,
  });
  const listed = (ctx: GhContext, all: unknown[]): EmuResponse => {
    const page = emu.paginate(ctx, all);
    return ok(page.items, page.headers);
  };

  // ---- the token's own keys --------------------------------------------------------------------
  router.add(
    'GET',
    '/user/keys',
    emu.route({ doc: DOC.listUserKeys, accepted: READ_KEYS }, (ctx) => {
      const caller = emu.requireScope(ctx, 'read:public_key');
      return listed(
        ctx,
        store.userKeys(caller.user.login).map((k) => userKeyJson(emu, k)),
      );
    }),
  );

  router.add(
    'POST',
    '/user/keys',
    emu.route({ doc: DOC.createUserKey, accepted: WRITE_KEYS }, (ctx) => {
      const caller = emu.requireScope(ctx, 'write:public_key');
      const { key, title } = keyBody(emu, ctx, false);
      const out = store.addKey({ kind: 'user', login: caller.user.login, text: key, title });
      if (!out.ok) throw new Reply(keyRefused(emu, out.code, ctx.spec.doc));
      return { status: 201, body: userKeyJson(emu, out.key) };
    }),
  );

  router.add(
    'GET',
    '/user/keys/:id',
    emu.route({ doc: DOC.getUserKey, accepted: READ_KEYS }, (ctx) => {
      const caller = emu.requireScope(ctx, 'read:public_key');
      return ok(userKeyJson(emu, ownKey(emu, ctx, caller)));
    }),
  );

  router.add(
    'DELETE',
    '/user/keys/:id',
    emu.route({ doc: DOC.deleteUserKey, accepted: 'admin:public_key' }, (ctx) => {
      const caller = emu.requireScope(ctx, 'admin:public_key');
      store.removeKey(ownKey(emu, ctx, caller).id);
      return { status: 204 };
    }),
  );

  // ---- anyone's public keys (no auth needed) -------------------------------------------------
  router.add(
    'GET',
    '/users/:username/keys',
    emu.route({ doc: DOC.listPublicKeys }, (ctx) => {
      const user = store.user(ctx.req.params.username ?? '');
      if (!user) throw new Reply(emu.notFound(ctx.spec.doc));
      return listed(
        ctx,
        store
          .userKeys(user.login)
          .map((k) => ({ id: k.id, key: `${k.type} ${k.blob}`, created_at: k.createdAt })),
      );
    }),
  );

  router.add(
    'GET',
    '/users/:username',
    emu.route({ doc: DOC.userByName }, (ctx) => {
      const user = store.user(ctx.req.params.username ?? '');
      if (!user) throw new Reply(emu.notFound(ctx.spec.doc));
      return ok(userJson(emu, user));
    }),
  );

  router.add(
    'GET',
    '/user',
    emu.route({ doc: DOC.user }, (ctx) => ok(userJson(emu, emu.requireCaller(ctx).user))),
  );

  // ---- repositories and their deploy keys ----------------------------------------------------
  router.add(
    'GET',
    '/repos/:owner/:repo',
    emu.route({ doc: DOC.repo, accepted: 'repo' }, (ctx) => {
      const repo = visibleRepo(emu, ctx);
      return ok(repoJson(emu, repo, ctx.caller));
    }),
  );

  router.add(
    'GET',
    '/repos/:owner/:repo/keys',
    emu.route({ doc: DOC.listDeployKeys, accepted: 'repo' }, (ctx) => {
      const repo = adminRepo(emu, ctx);
      return listed(
        ctx,
        store.deployKeys(repo).map((k) => deployKeyJson(emu, k)),
      );
    }),
  );

  router.add(
    'POST',
    '/repos/:owner/:repo/keys',
    emu.route({ doc: DOC.createDeployKey, accepted: 'repo' }, (ctx) => {
      const repo = adminRepo(emu, ctx);
      const { key, title, readOnly } = keyBody(emu, ctx, true);
      const out = store.addKey({
        kind: 'deploy',
        repo: fullName(repo),
        text: key,
        title,
        readOnly: readOnly ?? false,
        addedBy: ctx.caller?.user.login ?? null,
        addedByToken: ctx.caller?.name,
      });
      if (!out.ok) throw new Reply(keyRefused(emu, out.code, ctx.spec.doc));
      return {
        status: 201,
        body: deployKeyJson(emu, out.key),
        headers: { location: `${emu.url}/repos/${fullName(repo)}/keys/${out.key.id}` },
      };
    }),
  );

  router.add(
    'GET',
    '/repos/:owner/:repo/keys/:id',
    emu.route({ doc: DOC.getDeployKey, accepted: 'repo' }, (ctx) =>
      ok(deployKeyJson(emu, repoKey(emu, ctx))),
    ),
  );

  router.add(
    'DELETE',
    '/repos/:owner/:repo/keys/:id',
    emu.route({ doc: DOC.deleteDeployKey, accepted: 'repo' }, (ctx) => {
      store.removeKey(repoKey(emu, ctx).id);
      return { status: 204 };
    }),
  );

  // ---- meta and rate limit -------------------------------------------------------------------
  router.add(
    'GET',
    '/meta',
    emu.route({ doc: DOC.meta }, () => ok(metaJson(emu))),
  );

  router.add(
    'GET',
    '/rate_limit',
    emu.route({ doc: DOC.rateLimit, counted: false }, (ctx) => {
      const b = emu.limiter.bucket(ctx.caller?.user.login ?? '');
      const h = GithubRateLimiter.headers(b);
      const core = {
        limit: b.limit,
        remaining: Number(h['x-ratelimit-remaining']),
        reset: b.reset,
        used: b.used,
        resource: 'core',
      };
      return ok({ resources: { core }, rate: core });
    }),
  );
}

// ---- request checks --------------------------------------------------------------------------

function keyId(emu: GithubEmulator, ctx: GhContext): number {
  const raw = ctx.req.params.id ?? '';
  if (!/^\d+$/.test(raw)) throw new Reply(emu.notFound(ctx.spec.doc));
  return Number(raw);
}

function ownKey(emu: GithubEmulator, ctx: GhContext, caller: GhCaller): GhKey {
  const id = keyId(emu, ctx);
  const key = emu.store.userKeys(caller.user.login).find((k) => k.id === id);
  if (!key) throw new Reply(emu.notFound(ctx.spec.doc));
  return key;
}

/** A repository the caller may see: public, or private with the `repo` scope and any role. Else 404. */
function visibleRepo(emu: GithubEmulator, ctx: GhContext): GhRepo {
  const repo = emu.store.repo(ctx.req.params.owner ?? '', ctx.req.params.repo ?? '');
  if (!repo) throw new Reply(emu.notFound(ctx.spec.doc));
  if (!repo.private) return repo;
  const caller = ctx.caller;
  if (!caller || !emu.hasScope(caller, 'repo') || !emu.store.permission(caller.user.login, repo)) {
    throw new Reply(emu.notFound(ctx.spec.doc));
  }
  return repo;
}

/** Deploy keys need an admin of the repository and the `repo` scope; GitHub hides the rest as 404. */
function adminRepo(emu: GithubEmulator, ctx: GhContext): GhRepo {
  const caller = emu.requireCaller(ctx);
  const repo = emu.store.repo(ctx.req.params.owner ?? '', ctx.req.params.repo ?? '');
  const scope = repo && !repo.private ? emu.hasScope(caller, 'public_repo') : emu.hasScope(caller, 'repo');
  if (!repo || !scope || !emu.store.atLeast(emu.store.permission(caller.user.login, repo), 'admin')) {
    throw new Reply(emu.notFound(ctx.spec.doc));
  }
  return repo;
}

function repoKey(emu: GithubEmulator, ctx: GhContext): GhKey {
  const repo = adminRepo(emu, ctx);
  const id = keyId(emu, ctx);
  const key = emu.store.deployKeys(repo).find((k) => k.id === id);
  if (!key) throw new Reply(emu.notFound(ctx.spec.doc));
  return key;
}

/** The JSON body of a key POST, checked the way GitHub's schema validation answers. */
function keyBody(
  emu: GithubEmulator,
  ctx: GhContext,
  deploy: boolean,
): { key: string; title: string | undefined; readOnly: boolean | undefined } {
  const body = bodyObject(ctx.req.body);
  if (body === null) throw new Reply(emu.error(400, 'Problems parsing JSON', ctx.spec.doc));
  const b = body ?? {};
  const invalid = (detail: string) =>
    new Reply(emu.error(422, `Invalid request.\n\n${detail}`, ctx.spec.doc));
  if (b.key === undefined) throw invalid('"key" wasn\'t supplied.');
  if (typeof b.key !== 'string')
    throw invalid(`For 'properties/key', ${JSON.stringify(b.key)} is not a string.`);
  if (b.title !== undefined && typeof b.title !== 'string') {
    throw invalid(`For 'properties/title', ${JSON.stringify(b.title)} is not a string.`);
  }
  if (deploy && b.read_only !== undefined && typeof b.read_only !== 'boolean') {
    throw invalid(`For 'properties/read_only', ${JSON.stringify(b.read_only)} is not a boolean.`);
  }
  return {
    key: b.key,
    title: b.title as string | undefined,
    readOnly: deploy ? (b.read_only as boolean | undefined) : undefined,
  };
}

/** 422 `Validation Failed`: an invalid key, or a key already registered anywhere (§1.5). */
function keyRefused(emu: GithubEmulator, code: 'invalid' | 'in-use', doc: string): EmuResponse {
  const message = code === 'in-use' ? 'key is already in use' : emu.settings.invalidKeyMessage;
  return emu.error(422, 'Validation Failed', doc, {
    errors: [{ resource: 'PublicKey', code: 'custom', field: 'key', message }],
  });
}

// ---- response bodies -------------------------------------------------------------------------

function userKeyJson(emu: GithubEmulator, k: GhKey): Record<string, unknown> {
  return {
    id: k.id,
    key: `${k.type} ${k.blob}`,
    url: `${emu.url}/user/keys/${k.id}`,
    title: k.title,
    verified: k.verified,
    created_at: k.createdAt,
    read_only: k.readOnly,
    last_used: k.lastUsed,
  };
}

function deployKeyJson(emu: GithubEmulator, k: GhKey): Record<string, unknown> {
  return {
    id: k.id,
    key: `${k.type} ${k.blob}`,
    url: `${emu.url}/repos/${k.repo}/keys/${k.id}`,
    title: k.title,
    verified: k.verified,
    created_at: k.createdAt,
    read_only: k.readOnly,
    added_by: k.addedBy,
    last_used: k.lastUsed,
    enabled: k.enabled,
  };
}

function userJson(emu: GithubEmulator, u: GhUser): Record<string, unknown> {
  return {
    login: u.login,
    id: u.id,
    node_id: Buffer.from(`04:${u.type}${u.id}`).toString('base64'),
    avatar_url: `${emu.url}/avatars/${u.login}`,
    url: `${emu.url}/users/${u.login}`,
    html_url: `${emu.url}/${u.login}`,
    type: u.type,
    site_admin: false,
    name: u.name,
  };
}

function repoJson(emu: GithubEmulator, r: GhRepo, caller: GhCaller | undefined): Record<string, unknown> {
  const owner = emu.store.user(r.owner);
  const body: Record<string, unknown> = {
    id: r.id,
    node_id: Buffer.from(`010:Repository${r.id}`).toString('base64'),
    name: r.name,
    full_name: fullName(r),
    private: r.private,
    owner: owner ? userJson(emu, owner) : { login: r.owner },
    html_url: `${emu.url}/${fullName(r)}`,
    description: null,
    fork: false,
    url: `${emu.url}/repos/${fullName(r)}`,
    keys_url: `${emu.url}/repos/${fullName(r)}/keys{/key_id}`,
    default_branch: r.defaultBranch,
    visibility: r.private ? 'private' : 'public',
  };
  if (caller) {
    const p = emu.store.permission(caller.user.login, r);
    const at = (w: Parameters<typeof emu.store.atLeast>[1]) =>
      emu.store.atLeast(p, w) || (!r.private && w === 'read');
    body.permissions = {
      admin: at('admin'),
      maintain: at('maintain'),
      push: at('write'),
      triage: at('triage'),
      pull: at('read'),
    };
  }
  return body;
}

const FINGERPRINT_KEYS: Record<string, string> = {
  RSA: 'SHA256_RSA',
  DSA: 'SHA256_DSA',
  ECDSA: 'SHA256_ECDSA',
  ED25519: 'SHA256_ED25519',
};

function metaJson(emu: GithubEmulator): Record<string, unknown> {
  const fingerprints: Record<string, string> = {};
  for (const line of emu.state.hostKeys) {
    const m = emu.store.material(line);
    const name = m ? FINGERPRINT_KEYS[m.family] : undefined;
    // GitHub writes these without the `SHA256:` prefix.
    if (m && name) fingerprints[name] = m.fingerprint.slice('SHA256:'.length);
  }
  return {
    verifiable_password_authentication: false,
    ssh_key_fingerprints: fingerprints,
    ssh_keys: [...emu.state.hostKeys],
    hooks: [],
    web: [],
    api: [],
    git: [],
    github_enterprise_importer: [],
    packages: [],
    pages: [],
    importer: [],
    actions: [],
    actions_macos: [],
    codespaces: [],
    dependabot: [],
    copilot: [],
    domains: { website: [], codespaces: [], copilot: [], packages: [], actions: [] },
  };
}
