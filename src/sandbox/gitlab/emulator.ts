/**
 * The GitLab REST API v4 emulator: the key endpoints of API-CONTRACTS.md §2 with GitLab's token
 * scopes, admin and role checks, Grape/ActiveRecord error bodies, offset pagination headers and
 * a throttling knob, plus `/_sandbox/` control endpoints and an in-process API.
 */
import type { AccessAnswer, KeyIdentity } from '../access.js';
import { registerCommonControl } from '../control.js';
import { jsonClone, type Emulator, type EmulatorStartOptions } from '../emulator.js';
import { Router, serve, type EmuRequest, type EmuResponse, type EmulatorServer } from '../http.js';
import { pageOf, pageParams, pageUrl } from '../paging.js';
import { Reply, answer } from '../reply.js';
import { forbidden, insufficientScope, tooManyRequests, unauthorized } from './errors.js';
import { registerGitlabRoutes } from './routes.js';
import {
  defaultGitlabSettings,
  emptyGitlabState,
  importGitlabState,
  seedGitlabState,
  type GlDeployLink,
  type GlKey,
  type GlSettings,
  type GlState,
  type GlToken,
  type GlUser,
} from './state.js';
import { GitlabStore, bareSha256 } from './store.js';

/** Its section of the connection file: the contract in ../connection.ts. */
export type { GitlabConnection as GitlabConnectionInfo } from '../connection.js';
import type { GitlabConnection as GitlabConnectionInfo } from '../connection.js';

export interface GlRouteSpec {
  /** Part of the Users API: `read_user` tokens may GET it. */
  usersApi?: boolean;
  /** Answers without a token (a bad token is still 401). */
  anonymous?: boolean;
  /** Administrators only: 403 `{"message":"403 Forbidden"}` for others. */
  admin?: boolean;
}

export interface GlCaller {
  name: string;
  token: GlToken;
  /** The user the request acts as (the `Sudo` target when one was given). */
  user: GlUser;
}

export interface GlContext {
  req: EmuRequest;
  spec: GlRouteSpec;
  caller: GlCaller | undefined;
  /** Grape merges query and body parameters. */
  params: Record<string, unknown>;
}

export type GlHandler = (ctx: GlContext) => EmuResponse | Promise<EmuResponse>;

export interface ThrottleUpdate {
  /** Answer the next `count` API requests with 429. */
  count?: number;
  /** Seconds in `Retry-After` (default 1). */
  retryAfter?: number;
  /** A real budget: at most `limit` requests per `periodSeconds` per user (0 or omitted: unlimited). */
  limit?: number;
  periodSeconds?: number;
  /** Forget counts and pending 429s. */
  reset?: boolean;
}

const API = '/api/v4';

export class GitlabEmulator implements Emulator {
  readonly name = 'gitlab';
  readonly store: GitlabStore;
  private server_: EmulatorServer | undefined;
  private throttle = { pending: 0, retryAfter: 1, limit: 0, periodSeconds: 60 };
  private windows = new Map<string, { count: number; reset: number }>();

  private constructor(state: GlState) {
    this.store = new GitlabStore(state);
  }

  static async start(opts: EmulatorStartOptions = {}): Promise<GitlabEmulator> {
    const state =
      opts.state !== undefined
        ? importGitlabState(opts.state)
        : opts.seed === false
          ? emptyGitlabState()
          : seedGitlabState();
    const emu = new GitlabEmulator(state);
    const router = new Router();
    registerCommonControl(router, emu, {
      settings: (b) => {
        const s = emu.settings;
        if (typeof b.fingerprintSha256Prefix === 'boolean')
          s.fingerprintSha256Prefix = b.fingerprintSha256Prefix;
        if (typeof b.publicHost === 'string' || b.publicHost === null) s.publicHost = b.publicHost;
        return s;
      },
    });
    router.add('GET', '/_sandbox/rate-limit', () => ({ status: 200, body: emu.throttleStatus() }));
    router.add('POST', '/_sandbox/rate-limit', (req) => {
      emu.setRateLimit((req.body ?? {}) as ThrottleUpdate);
      return { status: 200, body: emu.throttleStatus() };
    });
    registerGitlabRoutes(router, emu, API);
    emu.server_ = await serve({
      router,
      notFound: () => ({ status: 404, body: { error: '404 Not Found' } }),
      methodNotAllowed: (_req, allowed) => ({
        status: 405,
        body: { error: '405 Not Allowed' },
        headers: { allow: [...allowed, 'OPTIONS'].join(', ') },
      }),
    });
    return emu;
  }

  get server(): EmulatorServer {
    if (!this.server_) throw new Error('the GitLab emulator is not started');
    return this.server_;
  }

  /** The instance URL (gitbeaker's `host`). */
  get url(): string {
    return this.server.url;
  }

  get apiUrl(): string {
    return `${this.url}${API}`;
  }

  get state(): GlState {
    return this.store.state;
  }

  get settings(): GlSettings {
    return this.store.state.settings;
  }

  /** The host written into rewritten user-key comments. */
  get publicHost(): string {
    return this.settings.publicHost ?? new URL(this.url).hostname;
  }

  // ---- Emulator interface -------------------------------------------------------------------

  connectionInfo(): GitlabConnectionInfo {
    const s = this.store.state;
    const root = s.groups.find((g) => g.parentId === null);
    return {
      url: this.url,
      apiUrl: this.apiUrl,
      token: s.tokens['root']?.token ?? Object.values(s.tokens)[0]?.token ?? '',
      tokens: Object.fromEntries(Object.entries(s.tokens).map(([n, t]) => [n, t.token])),
      users: s.users.map((u) =>
        u.admin ? { id: u.id, username: u.username, admin: true } : { id: u.id, username: u.username },
      ),
      group: root?.path ?? '',
      projects: s.projects.map((p) => this.store.projectPath(p)),
    };
  }

  exportState(): GlState {
    return jsonClone(this.store.state);
  }

  close(): Promise<void> {
    return this.server_ ? this.server_.close() : Promise.resolve();
  }

  // ---- in-process API -----------------------------------------------------------------------

  /** A token by its connection-file name (`root`, `alice`, `alice-read`, `bob`, `carol`). */
  token(name = 'root'): string {
    const t = this.store.state.tokens[name];
    if (!t) throw new Error(`no sandbox GitLab token named ${JSON.stringify(name)}`);
    return t.token;
  }

  /** Adds a user key for `user` (id or username); throws with GitLab's validation messages. */
  addUserKey(
    user: string | number,
    keyText: string,
    options: { title?: string; expiresAt?: Date | null } = {},
  ): GlKey {
    const u = this.store.user(user);
    if (!u) throw new Error(`no GitLab user ${user}`);
    const input = { title: options.title ?? 'key', key: keyText, expiresAt: options.expiresAt ?? null };
    const { errors, material } = this.store.validate(input);
    if (!material || Object.keys(errors).length) throw new Error(JSON.stringify(errors));
    return this.store.insertKey('user', u.id, input, material, 'auth_and_signing');
  }

  /** Adds a deploy key to a project (id or path), or links the existing key with that fingerprint. */
  addDeployKey(
    project: string,
    keyText: string,
    options: {
      title?: string;
      canPush?: boolean;
      expiresAt?: Date | null;
      public?: boolean;
      userId?: number;
    } = {},
  ): { key: GlKey; link: GlDeployLink } {
    const p = this.store.project(project);
    if (!p) throw new Error(`no GitLab project ${project}`);
    const input = {
      title: options.title ?? 'deploy key',
      key: keyText,
      expiresAt: options.expiresAt ?? null,
    };
    const { errors, material } = this.store.validate(input);
    let key: GlKey | undefined;
    if (
      material &&
      Object.keys(errors).length === 1 &&
      errors.fingerprint_sha256?.[0] === 'has already been taken'
    ) {
      key = this.store.keyBySha256(bareSha256(material.fingerprint));
      if (key?.kind !== 'deploy') throw new Error(JSON.stringify(errors));
    } else if (!material || Object.keys(errors).length) {
      throw new Error(JSON.stringify(errors));
    } else {
      key = this.store.insertKey('deploy', options.userId ?? 1, input, material, 'auth');
      key.public = options.public ?? false;
    }
    return { key, link: this.store.addLink(p, key.id, options.canPush ?? false) };
  }

  identify(fingerprint: string): KeyIdentity {
    return this.store.identify(fingerprint);
  }

  /** Which access a key gives to `GROUP/.../PROJECT` (also `GET /_sandbox/access`). */
  access(fingerprint: string, project: string): AccessAnswer {
    return this.store.access(fingerprint, project);
  }

  /** Every project, as its full path. */
  repositories(): string[] {
    return this.store.state.projects.map((p) => this.store.projectPath(p));
  }

  /** Throttling knobs (also `POST /_sandbox/rate-limit`). */
  setRateLimit(u: ThrottleUpdate): void {
    if (u.reset) {
      this.throttle.pending = 0;
      this.windows.clear();
    }
    if (typeof u.count === 'number') this.throttle.pending = u.count;
    if (typeof u.retryAfter === 'number') this.throttle.retryAfter = u.retryAfter;
    if (typeof u.limit === 'number') this.throttle.limit = u.limit;
    if (typeof u.periodSeconds === 'number') this.throttle.periodSeconds = u.periodSeconds;
  }

  throttleStatus(): Record<string, unknown> {
    return { ...this.throttle, windows: Object.fromEntries(this.windows) };
  }

  /** Removes every key and link and restores default knobs; users, groups and projects stay. */
  reset(): void {
    const s = this.store.state;
    s.keys = [];
    s.links = [];
    s.settings = defaultGitlabSettings();
    this.setRateLimit({ reset: true, limit: 0, retryAfter: 1 });
  }

  // ---- HTTP pipeline ------------------------------------------------------------------------

  route(spec: GlRouteSpec, handler: GlHandler): (req: EmuRequest) => Promise<EmuResponse> {
    return (req) => answer(() => this.pipeline(req, spec, handler));
  }

  private async pipeline(req: EmuRequest, spec: GlRouteSpec, handler: GlHandler): Promise<EmuResponse> {
    const value =
      header(req, 'private-token') ??
      req.query.get('private_token') ??
      /^bearer\s+(\S+)\s*$/i.exec(header(req, 'authorization') ?? '')?.[1] ??
      req.query.get('access_token') ??
      undefined;
    let caller: GlCaller | undefined;
    if (value !== undefined) {
      const found = this.store.token(value);
      if (!found || found.user.state !== 'active') throw new Reply(unauthorized());
      caller = found;
    }
    this.checkThrottle(caller?.user.username ?? `ip:127.0.0.1`);
    if (!caller && !spec.anonymous) throw new Reply(unauthorized());
    if (caller) {
      const read = req.method === 'GET' || req.method === 'HEAD';
      const allowed = read
        ? spec.usersApi
          ? ['api', 'read_api', 'read_user']
          : ['api', 'read_api']
        : ['api'];
      if (!caller.token.scopes.some((s) => allowed.includes(s))) throw new Reply(insufficientScope(allowed));
      caller = this.sudo(req, caller);
      if (spec.admin && !caller.user.admin) throw new Reply(forbidden());
    }
    const params: Record<string, unknown> = Object.fromEntries(req.query);
    delete params.private_token;
    delete params.access_token;
    const body = req.body;
    if (body !== undefined) {
      if (typeof body !== 'object' || body === null || Array.isArray(body) || '__invalidJson' in body) {
        throw new Reply({
          status: 400,
          body: { error: 'The provided content-type is invalid or the body is malformed' },
        });
      }
      Object.assign(params, body);
    }
    return handler({ req, spec, caller, params });
  }

  /** `Sudo: <id or username>`: an administrator's token with the `sudo` scope acts as another user. */
  private sudo(req: EmuRequest, caller: GlCaller): GlCaller {
    const who = header(req, 'sudo') ?? req.query.get('sudo') ?? undefined;
    if (who === undefined) return caller;
    if (!caller.token.scopes.includes('sudo')) throw new Reply(insufficientScope(['sudo']));
    if (!caller.user.admin) throw new Reply(forbidden('Must be admin to use sudo'));
    const target = this.store.user(who);
    if (!target)
      throw new Reply({ status: 404, body: { message: `404 User with ID or username '${who}' Not Found` } });
    return { ...caller, user: target };
  }

  private checkThrottle(who: string): void {
    const t = this.throttle;
    const now = Math.floor(Date.now() / 1000);
    if (t.pending > 0) {
      t.pending--;
      throw new Reply(tooManyRequests(t.retryAfter, now + t.retryAfter, t.limit || 1, 0));
    }
    if (t.limit > 0) {
      let w = this.windows.get(who);
      if (!w || now >= w.reset) {
        w = { count: 0, reset: now + t.periodSeconds };
        this.windows.set(who, w);
      }
      w.count++;
      if (w.count > t.limit)
        throw new Reply(tooManyRequests(Math.max(1, w.reset - now), w.reset, t.limit, w.count));
    }
  }

  // ---- helpers for routes -------------------------------------------------------------------

  /** The caller; routes marked `anonymous` that still need a user call this. */
  requireCaller(ctx: GlContext): GlCaller {
    if (!ctx.caller) throw new Reply(unauthorized());
    return ctx.caller;
  }

  /** GitLab's offset pagination: `Link` plus the `x-*` headers (API-CONTRACTS.md §2.1). */
  paginate<T>(ctx: GlContext, all: T[]): EmuResponse {
    const { page, perPage } = pageParams(ctx.req.query, 20, 100);
    const pg = pageOf(all, page, perPage);
    const link = (p: number) =>
      `<${pageUrl(this.url, ctx.req.path, ctx.req.query, { page: String(p), per_page: String(perPage) })}>`;
    const rels: string[] = [];
    if (page > 1) rels.push(`${link(page - 1)}; rel="prev"`);
    if (page < pg.lastPage) rels.push(`${link(page + 1)}; rel="next"`);
    rels.push(`${link(1)}; rel="first"`, `${link(pg.lastPage)}; rel="last"`);
    return {
      status: 200,
      body: pg.items,
      headers: {
        link: rels.join(', '),
        'x-page': String(page),
        'x-per-page': String(perPage),
        'x-next-page': page < pg.lastPage ? String(page + 1) : '',
        'x-prev-page': page > 1 ? String(page - 1) : '',
        'x-total': String(pg.total),
        'x-total-pages': String(pg.lastPage),
      },
    };
  }

  /** `fingerprint_sha256` as written in responses (prefix per the knob). */
  sha256Field(k: GlKey): string {
    return this.settings.fingerprintSha256Prefix ? `SHA256:${k.fingerprintSha256}` : k.fingerprintSha256;
  }
}

function header(req: EmuRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Starts a GitLab emulator on 127.0.0.1 (port chosen by the OS). */
export function startGitlabEmulator(opts: EmulatorStartOptions = {}): Promise<GitlabEmulator> {
  return GitlabEmulator.start(opts);
}
