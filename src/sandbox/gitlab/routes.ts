/**
 * GitLab's key endpoints (API-CONTRACTS.md §2.2): the Users API keys, admin key lookup,
 * instance deploy keys, project deploy keys with the §2.6 create/link semantics, and the deploy
 * keys of projects two users both maintain.
 */
import type { EmuResponse, Router } from '../http.js';
import { Reply } from '../reply.js';
import type { GlCaller, GlContext, GlRouteSpec, GitlabEmulator } from './emulator.js';
import { failedToReturnKey, forbidden, grapeError, modelError, notFound, notFoundRecord } from './errors.js';
import { ACCESS, type GlDeployLink, type GlKey, type GlProject, type GlUser } from './state.js';
import type { KeyInput, ModelErrors } from './store.js';

const USAGE_TYPES = ['auth', 'signing', 'auth_and_signing'] as const;

export function registerGitlabRoutes(router: Router, emu: GitlabEmulator, api: string): void {
  const store = emu.store;
  const def = (method: string, path: string, spec: GlRouteSpec, handler: (ctx: GlContext) => EmuResponse) =>
    router.add(method, `${api}${path}`, emu.route(spec, handler));
  const ok = (body: unknown, status = 200): EmuResponse => ({ status, body });

  // ---- the token's own user and keys ---------------------------------------------------------
  def('GET', '/user', { usersApi: true }, (ctx) => ok(currentUserJson(emu, emu.requireCaller(ctx).user)));

  def('GET', '/user/keys', { usersApi: true }, (ctx) => {
    const me = emu.requireCaller(ctx).user;
    return emu.paginate(
      ctx,
      store.userKeys(me.id).map((k) => sshKeyJson(emu, k)),
    );
  });

  def('GET', '/user/keys/:key_id', { usersApi: true }, (ctx) => {
    const me = emu.requireCaller(ctx).user;
    return ok(sshKeyJson(emu, userKeyOf(emu, me, ctx.req.params.key_id)));
  });

  def('POST', '/user/keys', { usersApi: true }, (ctx) => {
    const me = emu.requireCaller(ctx).user;
    return ok(sshKeyJson(emu, createUserKey(emu, ctx, me)), 201);
  });

  def('DELETE', '/user/keys/:key_id', { usersApi: true }, (ctx) => {
    const me = emu.requireCaller(ctx).user;
    store.removeKey(userKeyOf(emu, me, ctx.req.params.key_id).id);
    return { status: 204 };
  });

  // ---- other users -----------------------------------------------------------------------------
  def('GET', '/users', { usersApi: true, anonymous: true }, (ctx) => {
    const username = ctx.params.username;
    const users =
      typeof username === 'string'
        ? store.state.users.filter((u) => u.username.toLowerCase() === username.toLowerCase())
        : store.state.users;
    return emu.paginate(
      ctx,
      users.map((u) => userBasicJson(emu, u)),
    );
  });

  def('GET', '/users/:id', { usersApi: true, anonymous: true }, (ctx) =>
    ok(userBasicJson(emu, userParam(store.user(ctx.req.params.id ?? '')))),
  );

  def('GET', '/users/:id/keys', { usersApi: true, anonymous: true }, (ctx) => {
    const user = userParam(store.user(ctx.req.params.id ?? ''));
    return emu.paginate(
      ctx,
      store.userKeys(user.id).map((k) => sshKeyJson(emu, k)),
    );
  });

  def('GET', '/users/:id/keys/:key_id', { usersApi: true, anonymous: true }, (ctx) => {
    const user = userParam(store.user(ctx.req.params.id ?? ''));
    return ok(sshKeyJson(emu, userKeyOf(emu, user, ctx.req.params.key_id)));
  });

  // GitLab 15.1+: the deploy keys of the projects where both the caller and that user are
  // Maintainer or more (by role, not admin rights: GitLab uses the project authorizations).
  def('GET', '/users/:id/project_deploy_keys', { usersApi: true, anonymous: true }, (ctx) => {
    const user = userParam(store.user(ctx.req.params.id ?? ''));
    const me = ctx.caller?.user;
    const maintains = (u: GlUser, p: GlProject) => store.accessLevel(u, p) >= ACCESS.maintainer;
    const common = new Set(
      store.state.projects
        .filter((p) => me && maintains(me, p) && (user.id === me.id || maintains(user, p)))
        .map((p) => p.id),
    );
    if (common.size === 0) throw new Reply(forbidden('No common authorized project found'));
    const linked = new Set(
      store.state.links.filter((l) => common.has(l.projectId)).map((l) => l.deployKeyId),
    );
    return emu.paginate(
      ctx,
      store.state.keys
        .filter((k) => k.kind === 'deploy' && linked.has(k.id))
        .sort((a, b) => a.id - b.id)
        .map((k) => deployKeyJson(emu, k)),
    );
  });

  def('POST', '/users/:id/keys', { usersApi: true, admin: true }, (ctx) => {
    const user = userParam(store.user(ctx.req.params.id ?? ''));
    return ok(sshKeyJson(emu, createUserKey(emu, ctx, user)), 201);
  });

  def('DELETE', '/users/:id/keys/:key_id', { usersApi: true, admin: true }, (ctx) => {
    const user = userParam(store.user(ctx.req.params.id ?? ''));
    store.removeKey(userKeyOf(emu, user, ctx.req.params.key_id).id);
    return { status: 204 };
  });

  // ---- admin: any key by id or fingerprint, every deploy key ----------------------------------
  def('GET', '/keys/:id', { admin: true }, (ctx) => {
    const id = ctx.req.params.id ?? '';
    const key = /^\d+$/.test(id) ? store.key(Number(id)) : undefined;
    if (!key) throw new Reply(notFoundRecord());
    return ok(sshKeyWithUserJson(emu, key));
  });

  def('GET', '/keys', { admin: true }, (ctx) => {
    const raw = ctx.params.fingerprint;
    if (raw === undefined || raw === '') throw new Reply(grapeError(['fingerprint is missing']));
    const fp = String(raw);
    let key: GlKey | undefined;
    if (/^sha256:/i.test(fp)) {
      const bare = fp.slice(7);
      if (Buffer.from(bare, 'base64').length !== 32) throw new Reply(failedToReturnKey());
      key = store.keyBySha256(bare);
    } else if (/^([0-9a-fA-F]{2}:){15}[0-9a-fA-F]{2}/.test(fp)) {
      key = store.state.keys.find((k) => k.fingerprint === fp);
    } else {
      throw new Reply(failedToReturnKey());
    }
    if (!key) throw new Reply(notFound('Key'));
    return ok(key.kind === 'deploy' ? deployKeyWithUserJson(emu, key) : sshKeyWithUserJson(emu, key));
  });

  def('GET', '/deploy_keys', { admin: true }, (ctx) => {
    const onlyPublic = boolParam(ctx.params.public, 'public') === true;
    const keys = store.state.keys
      .filter((k) => k.kind === 'deploy' && (!onlyPublic || k.public))
      .sort((a, b) => a.id - b.id);
    return emu.paginate(
      ctx,
      keys.map((k) => {
        const links = store.linksOfKey(k.id);
        const projects = (push: boolean) =>
          links
            .filter((l) => l.canPush === push)
            .map((l) => store.state.projects.find((p) => p.id === l.projectId))
            .filter((p): p is GlProject => p !== undefined)
            .map((p) => projectIdentityJson(emu, p));
        return {
          ...deployKeyJson(emu, k),
          projects_with_write_access: projects(true),
          projects_with_readonly_access: projects(false),
        };
      }),
    );
  });

  // ---- projects and their deploy keys ---------------------------------------------------------
  def('GET', '/projects/:id', { anonymous: true }, (ctx) => {
    const p = visibleProject(emu, ctx);
    return ok(projectJson(emu, p, ctx.caller?.user));
  });

  def('GET', '/projects/:id/deploy_keys', {}, (ctx) => {
    const p = maintainedProject(emu, ctx);
    return emu.paginate(
      ctx,
      store.linksOfProject(p).flatMap((l) => {
        const k = store.key(l.deployKeyId);
        return k ? [deployKeysProjectJson(emu, k, l)] : [];
      }),
    );
  });

  def('GET', '/projects/:id/deploy_keys/:key_id', {}, (ctx) => {
    const p = maintainedProject(emu, ctx);
    const { key, link } = linkOf(emu, p, ctx.req.params.key_id, notFoundRecord);
    return ok(deployKeysProjectJson(emu, key, link));
  });

  def('POST', '/projects/:id/deploy_keys', {}, (ctx) => {
    const p = maintainedProject(emu, ctx);
    const me = emu.requireCaller(ctx).user;
    const errors: string[] = [];
    const input = keyParams(ctx, errors);
    const canPush = boolParam(ctx.params.can_push, 'can_push', errors) ?? false;
    if (errors.length) throw new Reply(grapeError(errors));
    const text = input.key.trim();
    const sameText = (k: GlKey) => k.key === text.split(/\s+/).join(' ');
    // §2.6: the identical key already on this project is returned as is.
    for (const l of store.linksOfProject(p)) {
      const k = store.key(l.deployKeyId);
      if (k && sameText(k)) return ok(deployKeysProjectJson(emu, k, l), 201);
    }
    // An identical key the user can reach elsewhere (or a public one) is linked, not re-created.
    const shared = store.accessibleDeployKeys(me).find(sameText);
    if (shared) return ok(deployKeysProjectJson(emu, shared, store.addLink(p, shared.id, canPush)), 201);
    const { errors: model, material } = store.validate(input, (a) => `deploy_key.${a}`);
    if (!material || Object.keys(model).length) throw new Reply(modelError(model));
    const key = store.insertKey('deploy', me.id, input, material, 'auth');
    return ok(deployKeysProjectJson(emu, key, store.addLink(p, key.id, canPush)), 201);
  });

  def('PUT', '/projects/:id/deploy_keys/:key_id', {}, (ctx) => {
    const p = maintainedProject(emu, ctx);
    const me = emu.requireCaller(ctx).user;
    const { key, link } = linkOf(emu, p, ctx.req.params.key_id, notFoundRecord);
    const errors: string[] = [];
    const title = ctx.params.title;
    const canPush = boolParam(ctx.params.can_push, 'can_push', errors);
    if (title === undefined && canPush === undefined) {
      errors.push('title, can_push are missing, at least one parameter must be provided');
    }
    if (errors.length) throw new Reply(grapeError(errors));
    // The title belongs to the key, shared by projects: only its owner or an admin may change it.
    if (typeof title === 'string' && (me.admin || key.userId === me.id)) {
      const model: ModelErrors = {};
      if (title.trim() === '') model['deploy_key.title'] = ["can't be blank"];
      else if (title.length > 255) model['deploy_key.title'] = ['is too long (maximum is 255 characters)'];
      if (Object.keys(model).length) throw new Reply(modelError(model));
      key.title = title;
      key.updatedAt = new Date().toISOString();
    }
    if (canPush !== undefined) {
      link.canPush = canPush;
      link.updatedAt = new Date().toISOString();
    }
    return ok(deployKeysProjectJson(emu, key, link));
  });

  def('DELETE', '/projects/:id/deploy_keys/:key_id', {}, (ctx) => {
    const p = maintainedProject(emu, ctx);
    const { link } = linkOf(emu, p, ctx.req.params.key_id, () => notFound('Deploy key'));
    store.removeLink(link);
    return { status: 204 };
  });

  def('POST', '/projects/:id/deploy_keys/:key_id/enable', {}, (ctx) => {
    const p = maintainedProject(emu, ctx);
    const me = emu.requireCaller(ctx).user;
    const id = ctx.req.params.key_id ?? '';
    const key = /^\d+$/.test(id)
      ? store.accessibleDeployKeys(me).find((k) => k.id === Number(id))
      : undefined;
    if (!key) throw new Reply(notFound('Deploy key'));
    store.addLink(p, key.id, false);
    return ok(deployKeyJson(emu, key), 201);
  });
}

// ---- parameters ------------------------------------------------------------------------------

function userParam(user: GlUser | undefined): GlUser {
  if (!user) throw new Reply(notFound('User'));
  return user;
}

function userKeyOf(emu: GitlabEmulator, user: GlUser, rawId: string | undefined): GlKey {
  const id = rawId ?? '';
  const key = /^\d+$/.test(id) ? emu.store.userKeys(user.id).find((k) => k.id === Number(id)) : undefined;
  if (!key) throw new Reply(notFound('Key'));
  return key;
}

/** Grape's Boolean coercion; pushes `<name> is invalid` for anything else. */
function boolParam(v: unknown, name: string, errors?: string[]): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === true || v === 'true' || v === 1 || v === '1') return true;
  if (v === false || v === 'false' || v === 0 || v === '0') return false;
  errors?.push(`${name} is invalid`);
  return undefined;
}

/** `expires_at` as Grape's DateTime coercion reads it (ISO 8601 date or date-time). */
function dateParam(v: unknown, errors: string[]): Date | null {
  if (v === undefined || v === null || v === '') return null;
  const s = String(v);
  const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(s);
  const d = iso ? new Date(iso[1] ? s.replace(' ', 'T') : `${s}T00:00:00Z`) : undefined;
  if (!d || Number.isNaN(d.getTime())) {
    errors.push('expires_at is invalid');
    return null;
  }
  return d;
}

/** `key` and `title` (required) and `expires_at`, with Grape's messages in declaration order. */
function keyParams(ctx: GlContext, errors: string[]): KeyInput {
  const { key, title } = ctx.params;
  if (key === undefined || key === null) errors.push('key is missing');
  if (title === undefined || title === null) errors.push('title is missing');
  const expiresAt = dateParam(ctx.params.expires_at, errors);
  return { key: key == null ? '' : String(key), title: title == null ? '' : String(title), expiresAt };
}

function createUserKey(emu: GitlabEmulator, ctx: GlContext, owner: GlUser): GlKey {
  const errors: string[] = [];
  const input = keyParams(ctx, errors);
  const usage = ctx.params.usage_type ?? 'auth_and_signing';
  if (!USAGE_TYPES.includes(usage as (typeof USAGE_TYPES)[number]))
    errors.push('usage_type does not have a valid value');
  if (errors.length) throw new Reply(grapeError(errors));
  const { errors: model, material } = emu.store.validate(input);
  if (!material || Object.keys(model).length) throw new Reply(modelError(model));
  return emu.store.insertKey('user', owner.id, input, material, usage as GlKey['usageType']);
}

/** A project the caller may see; `404 Project Not Found` hides the rest. */
function visibleProject(emu: GitlabEmulator, ctx: GlContext): GlProject {
  const p = emu.store.project(ctx.req.params.id ?? '');
  if (!p || !emu.store.canSee(ctx.caller?.user, p)) throw new Reply(notFound('Project'));
  return p;
}

/** Deploy keys need Maintainer or more: 404 when invisible, 403 when visible but not maintained. */
function maintainedProject(emu: GitlabEmulator, ctx: GlContext): GlProject {
  const p = visibleProject(emu, ctx);
  const caller: GlCaller = emu.requireCaller(ctx);
  if (!emu.store.isMaintainer(caller.user, p)) throw new Reply(forbidden());
  return p;
}

function linkOf(
  emu: GitlabEmulator,
  p: GlProject,
  rawId: string | undefined,
  missing: () => EmuResponse,
): { key: GlKey; link: GlDeployLink } {
  const id = rawId ?? '';
  const link = /^\d+$/.test(id) ? emu.store.link(p, Number(id)) : undefined;
  const key = link ? emu.store.key(link.deployKeyId) : undefined;
  if (!link || !key) throw new Reply(missing());
  return { key, link };
}

// ---- entities --------------------------------------------------------------------------------

/** `Entities::SSHKey`: `key` is the publishable key, its comment rewritten to `<name> (<host>)`. */
function sshKeyJson(emu: GitlabEmulator, k: GlKey): Record<string, unknown> {
  const owner = emu.store.user(k.userId);
  return {
    id: k.id,
    title: k.title,
    created_at: k.createdAt,
    expires_at: k.expiresAt,
    last_used_at: k.lastUsedAt,
    key: `${k.type} ${k.blob} ${owner?.name ?? ''} (${emu.publicHost})`,
    usage_type: k.usageType,
  };
}

function sshKeyWithUserJson(emu: GitlabEmulator, k: GlKey): Record<string, unknown> {
  const owner = emu.store.user(k.userId);
  return { ...sshKeyJson(emu, k), user: owner ? currentUserJson(emu, owner) : null };
}

/** `Entities::DeployKey`: the raw stored key (comment kept) and both fingerprints. */
function deployKeyJson(emu: GitlabEmulator, k: GlKey): Record<string, unknown> {
  return {
    id: k.id,
    title: k.title,
    created_at: k.createdAt,
    expires_at: k.expiresAt,
    last_used_at: k.lastUsedAt,
    key: k.key,
    usage_type: k.usageType,
    fingerprint: k.fingerprint,
    fingerprint_sha256: emu.sha256Field(k),
  };
}

function deployKeysProjectJson(emu: GitlabEmulator, k: GlKey, l: GlDeployLink): Record<string, unknown> {
  return { ...deployKeyJson(emu, k), can_push: l.canPush };
}

function deployKeyWithUserJson(emu: GitlabEmulator, k: GlKey): Record<string, unknown> {
  const owner = emu.store.user(k.userId);
  return {
    ...deployKeyJson(emu, k),
    user: owner ? currentUserJson(emu, owner) : null,
    deploy_keys_projects: emu.store.linksOfKey(k.id).map((l) => ({
      id: l.id,
      deploy_key_id: l.deployKeyId,
      project_id: l.projectId,
      created_at: l.createdAt,
      updated_at: l.updatedAt,
      can_push: l.canPush,
    })),
  };
}

function userBasicJson(emu: GitlabEmulator, u: GlUser): Record<string, unknown> {
  return {
    id: u.id,
    username: u.username,
    name: u.name,
    state: u.state,
    locked: false,
    avatar_url: `${emu.url}/uploads/-/system/user/avatar/${u.id}/avatar.png`,
    web_url: `${emu.url}/${u.username}`,
  };
}

function currentUserJson(emu: GitlabEmulator, u: GlUser): Record<string, unknown> {
  return { ...userBasicJson(emu, u), created_at: u.createdAt, bio: '', email: u.email, is_admin: u.admin };
}

function projectIdentityJson(emu: GitlabEmulator, p: GlProject): Record<string, unknown> {
  return {
    id: p.id,
    description: p.description,
    name: p.name,
    name_with_namespace: emu.store.projectNameWithNamespace(p),
    path: p.path,
    path_with_namespace: emu.store.projectPath(p),
    created_at: p.createdAt,
  };
}

function projectJson(emu: GitlabEmulator, p: GlProject, viewer: GlUser | undefined): Record<string, unknown> {
  const ns = emu.store.group(p.namespaceId);
  const path = emu.store.projectPath(p);
  const body: Record<string, unknown> = {
    ...projectIdentityJson(emu, p),
    default_branch: p.defaultBranch,
    visibility: p.visibility,
    web_url: `${emu.url}/${path}`,
    ssh_url_to_repo: `git@${emu.publicHost}:${path}.git`,
    http_url_to_repo: `${emu.url}/${path}.git`,
    namespace: ns
      ? {
          id: ns.id,
          name: ns.name,
          path: ns.path,
          kind: 'group',
          full_path: emu.store.groupFullPath(ns.id),
          parent_id: ns.parentId,
        }
      : null,
  };
  if (viewer) {
    const own = p.members[String(viewer.id)];
    const inherited = Math.max(
      0,
      ...emu.store.groupChain(p.namespaceId).map((g) => g.members[String(viewer.id)] ?? 0),
    );
    body.permissions = {
      project_access: own ? { access_level: own, notification_level: 3 } : null,
      group_access: inherited ? { access_level: inherited, notification_level: 3 } : null,
    };
  }
  return body;
}
