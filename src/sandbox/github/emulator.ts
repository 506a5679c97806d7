/**
 * The GitHub REST API emulator: the key endpoints of API-CONTRACTS.md §1 with GitHub's auth,
 * scopes, hidden-existence 404s, pagination, rate limits and conditional requests, plus the
 * `/_sandbox/` control endpoints and an in-process API for tests and the SSH git host.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AccessAnswer, KeyIdentity } from '../access.js';
import { jsonClone, type Emulator, type EmulatorStartOptions } from '../emulator.js';
import { Router, serve, type EmuRequest, type EmuResponse, type EmulatorServer } from '../http.js';
import { parseKeyMaterial } from '../keys.js';
import { pageOf, pageParams, pageUrl } from '../paging.js';
import { registerCommonControl } from '../control.js';
import { Reply, answer } from '../reply.js';
import { ANONYMOUS, GithubRateLimiter, type RateLimitUpdate } from './rate-limit.js';
import { registerGithubRoutes } from './routes.js';
import {
  defaultGithubSettings,
  importGithubState,
  emptyGithubState,
  seedGithubState,
  type GhKey,
  type GhSettings,
  type GhState,
  type GhToken,
  type GhUser,
} from './state.js';
import { GithubStore, fullName } from './store.js';

/** Its section of the connection file: the contract in ../connection.ts. */
export type { GithubConnection as GithubConnectionInfo } from '../connection.js';
import type { GithubConnection as GithubConnectionInfo } from '../connection.js';

/** What a route declares about itself; the pipeline applies it. */
export interface GhRouteSpec {
  /** `documentation_url` of this endpoint's errors. */
  doc: string;
  /** `X-Accepted-OAuth-Scopes` of this endpoint. */
  accepted?: string;
  /** False for requests that do not count against the primary rate limit (`/rate_limit`). */
  counted?: boolean;
}

export interface GhCaller {
  name: string;
  token: GhToken;
  user: GhUser;
}

export interface GhContext {
  req: EmuRequest;
  spec: GhRouteSpec;
  /** Set when the request carried a valid token. */
  caller: GhCaller | undefined;
}

export type GhHandler = (ctx: GhContext) => EmuResponse | Promise<EmuResponse>;

export const GITHUB_DOCS = 'https://docs.github.com/rest';
const RATE_LIMIT_DOC = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';

/** Classic scopes that imply others (`admin:public_key` ⊃ `write:public_key` ⊃ `read:public_key`). */
const IMPLIED: Record<string, string[]> = {
  'admin:public_key': ['write:public_key', 'read:public_key'],
  'write:public_key': ['read:public_key'],
  repo: ['public_repo', 'repo:status', 'repo_deployment', 'repo:invite', 'security_events'],
};

export class GithubEmulator implements Emulator {
  readonly name = 'github';
  readonly store: GithubStore;
  readonly limiter: GithubRateLimiter;
  private server_: EmulatorServer | undefined;

  private constructor(state: GhState) {
    this.store = new GithubStore(state);
    this.limiter = new GithubRateLimiter(() => ({
      user: this.store.state.settings.rateLimit,
      anonymous: this.store.state.settings.anonymousRateLimit,
    }));
  }

  static async start(opts: EmulatorStartOptions = {}): Promise<GithubEmulator> {
    const state =
      opts.state !== undefined
        ? importGithubState(opts.state)
        : opts.seed === false
          ? emptyGithubState()
          : seedGithubState();
    const emu = new GithubEmulator(state);
    const router = new Router();
    registerGithubControlRoutes(router, emu);
    registerGithubRoutes(router, emu);
    // Anything else is GitHub's 404 (GitHub answers 404, not 405, for a wrong method too),
    // still through the pipeline so it carries rate-limit headers and rejects bad tokens.
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      for (const pattern of ['/', '/:rest*']) {
        router.add(
          method,
          pattern,
          emu.route({ doc: GITHUB_DOCS }, () => emu.notFound(GITHUB_DOCS)),
        );
      }
    }
    emu.server_ = await serve({ router, notFound: () => emu.notFound(GITHUB_DOCS) });
    return emu;
  }

  get server(): EmulatorServer {
    if (!this.server_) throw new Error('the GitHub emulator is not started');
    return this.server_;
  }

  /** The REST API root (Octokit's `baseUrl`). */
  get url(): string {
    return this.server.url;
  }

  get state(): GhState {
    return this.store.state;
  }

  get settings(): GhSettings {
    return this.store.state.settings;
  }

  // ---- Emulator interface -------------------------------------------------------------------

  connectionInfo(): GithubConnectionInfo {
    const s = this.store.state;
    const tokens = Object.fromEntries(Object.entries(s.tokens).map(([n, t]) => [n, t.token]));
    return {
      apiUrl: this.url,
      token: s.tokens['alice']?.token ?? Object.values(s.tokens)[0]?.token ?? '',
      tokens,
      users: s.users.filter((u) => u.type === 'User').map((u) => u.login),
      org: s.users.find((u) => u.type === 'Organization')?.login ?? '',
      repos: s.repos.map(fullName),
    };
  }

  exportState(): GhState {
    return jsonClone(this.store.state);
  }

  close(): Promise<void> {
    return this.server_ ? this.server_.close() : Promise.resolve();
  }

  // ---- in-process API -----------------------------------------------------------------------

  /** A token by its connection-file name (`alice`, `alice-readonly`, `bob`, `ci-bot`, `no-scopes`). */
  token(name = 'alice'): string {
    const t = this.store.state.tokens[name];
    if (!t) throw new Error(`no sandbox GitHub token named ${JSON.stringify(name)}`);
    return t.token;
  }

  /** Adds a user key as if `login` had posted it; throws when GitHub would refuse it. */
  addUserKey(login: string, keyText: string, title?: string): GhKey {
    if (!this.store.user(login)) throw new Error(`no GitHub user ${login}`);
    return this.added(this.store.addKey({ kind: 'user', login, text: keyText, title }));
  }

  /** Adds a deploy key to `OWNER/REPO` (read-only unless `readOnly: false`). */
  addDeployKey(
    repo: string,
    keyText: string,
    options: { title?: string; readOnly?: boolean; addedBy?: string } = {},
  ): GhKey {
    const r = this.store.repoByFullName(repo);
    if (!r) throw new Error(`no GitHub repository ${repo}`);
    return this.added(
      this.store.addKey({
        kind: 'deploy',
        repo: fullName(r),
        text: keyText,
        title: options.title,
        readOnly: options.readOnly ?? true,
        addedBy: options.addedBy ?? null,
      }),
    );
  }

  private added(outcome: ReturnType<GithubStore['addKey']>): GhKey {
    if (outcome.ok) return outcome.key;
    throw new Error(outcome.code === 'in-use' ? 'key is already in use' : 'key is invalid');
  }

  /** Who a key is (for the SSH git host's AuthorizedKeysCommand). */
  identify(fingerprint: string): KeyIdentity {
    return this.store.identify(fingerprint);
  }

  /** Which access a key gives to `OWNER/REPO` (also `GET /_sandbox/access`). */
  access(fingerprint: string, repo: string): AccessAnswer {
    return this.store.access(fingerprint, repo);
  }

  /** Every repository, as `OWNER/REPO`. */
  repositories(): string[] {
    return this.store.state.repos.map(fullName);
  }

  /** Turns the rate-limit knobs (also `POST /_sandbox/rate-limit`). */
  setRateLimit(update: RateLimitUpdate): void {
    if (update.limit !== undefined && update.login === undefined)
      this.store.state.settings.rateLimit = update.limit;
    this.limiter.update(update, this.logins());
  }

  rateLimits(): ReturnType<GithubRateLimiter['snapshot']> {
    return this.limiter.snapshot(this.logins());
  }

  /** Publishes SSH host keys (`type base64 [comment]` lines) in `GET /meta`. */
  setHostKeys(lines: string[]): void {
    const keys: string[] = [];
    for (const line of lines) {
      const m = parseKeyMaterial(line);
      if (!m) throw new Error(`not an SSH public key: ${line.slice(0, 40)}`);
      keys.push(`${m.type} ${m.blob}`);
    }
    this.store.state.hostKeys = keys;
  }

  /**
   * Deletes a token, and with it the deploy keys it created, as GitHub does for personal access
   * tokens (API-CONTRACTS.md §1.7). Returns the ids of the deploy keys that went with it.
   */
  revokeToken(name: string): number[] {
    const s = this.store.state;
    if (!s.tokens[name]) throw new Error(`no sandbox GitHub token named ${JSON.stringify(name)}`);
    delete s.tokens[name];
    const gone = s.keys.filter((k) => k.kind === 'deploy' && k.addedByToken === name).map((k) => k.id);
    s.keys = s.keys.filter((k) => !gone.includes(k.id));
    return gone;
  }

  /** Disables or re-enables a deploy key, as an org's deploy-key policy does (`enabled: false`). */
  setDeployKeyEnabled(id: number, enabled: boolean): GhKey {
    const k = this.store.state.keys.find((x) => x.id === id && x.kind === 'deploy');
    if (!k) throw new Error(`no GitHub deploy key ${id}`);
    k.enabled = enabled;
    return k;
  }

  /** Removes every key, refills rate limits and restores default knobs; accounts and tokens stay. */
  reset(): void {
    const s = this.store.state;
    s.keys = [];
    s.settings = defaultGithubSettings();
    this.limiter.secondary = undefined;
    this.limiter.update({ reset: true }, this.logins());
  }

  private logins(): string[] {
    return this.store.state.users.map((u) => u.login);
  }

  // ---- HTTP pipeline ------------------------------------------------------------------------

  /** An error body as GitHub writes it (`basic-error`). */
  error(status: number, message: string, doc: string, extra: Record<string, unknown> = {}): EmuResponse {
    const body: Record<string, unknown> = { message, ...extra, documentation_url: doc };
    if (this.settings.errorStatusField) body.status = String(status);
    return { status, body };
  }

  notFound(doc: string): EmuResponse {
    return this.error(404, 'Not Found', doc);
  }

  /** Wraps a handler in GitHub's pipeline: credentials, rate limits, scope headers, ETag/304. */
  route(spec: GhRouteSpec, handler: GhHandler): (req: EmuRequest) => Promise<EmuResponse> {
    return (req) => this.pipeline(req, spec, handler);
  }

  private async pipeline(req: EmuRequest, spec: GhRouteSpec, handler: GhHandler): Promise<EmuResponse> {
    const headers: Record<string, string> = {
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
      'x-accepted-oauth-scopes': spec.accepted ?? '',
      vary: 'Accept, Authorization, Cookie, X-GitHub-OTP',
    };
    let caller: GhCaller | undefined;
    const authorization = header(req, 'authorization');
    if (authorization !== undefined) {
      const m = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(authorization);
      caller = m?.[1] ? this.store.token(m[1]) : undefined;
      if (!caller) {
        const bucket = this.limiter.bucket(ANONYMOUS);
        const out = this.error(401, 'Bad credentials', GITHUB_DOCS);
        return { ...out, headers: { ...headers, ...GithubRateLimiter.headers(bucket) } };
      }
      headers['x-oauth-scopes'] = caller.token.scopes.join(', ');
    }
    const bucket = this.limiter.bucket(caller?.user.login ?? ANONYMOUS);
    const counted = spec.counted !== false;
    if (counted) {
      const secondary = this.limiter.takeSecondary();
      if (secondary) {
        const out = this.error(
          secondary.status,
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ' +
            `If you reach out to GitHub Support for help, please include the request ID ${headers['x-github-request-id']}.`,
          `${RATE_LIMIT_DOC}#about-secondary-rate-limits`,
        );
        return {
          ...out,
          headers: {
            ...headers,
            ...GithubRateLimiter.headers(bucket),
            'retry-after': String(secondary.retryAfter),
          },
        };
      }
      if (bucket.used >= bucket.limit) {
        const who = caller
          ? `user ID ${caller.user.id}.`
          : "127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)";
        const out = this.error(403, `API rate limit exceeded for ${who}`, RATE_LIMIT_DOC);
        return { ...out, headers: { ...headers, ...GithubRateLimiter.headers(bucket) } };
      }
    }
    const out = await answer(() => handler({ req, spec, caller }));
    if ((req.method === 'GET' || req.method === 'HEAD') && out.status === 200 && out.body !== undefined) {
      const etag = `W/"${createHash('sha256').update(JSON.stringify(out.body)).digest('hex')}"`;
      headers.etag = etag;
      if (etagMatches(header(req, 'if-none-match'), etag)) {
        // A 304 does not count against the primary rate limit.
        return { status: 304, headers: { ...headers, ...GithubRateLimiter.headers(bucket) } };
      }
    }
    if (counted) bucket.used++;
    return { ...out, headers: { ...headers, ...GithubRateLimiter.headers(bucket), ...(out.headers ?? {}) } };
  }

  // ---- helpers for routes -------------------------------------------------------------------

  /** 401 `Requires authentication` unless the request carried a valid token. */
  requireCaller(ctx: GhContext): GhCaller {
    if (!ctx.caller) throw new Reply(this.error(401, 'Requires authentication', ctx.spec.doc));
    return ctx.caller;
  }

  hasScope(caller: GhCaller, scope: string): boolean {
    return caller.token.scopes.some((s) => s === scope || (IMPLIED[s] ?? []).includes(scope));
  }

  /** GitHub hides what a token lacks the scope for: 404, not 403. */
  requireScope(ctx: GhContext, scope: string): GhCaller {
    const caller = this.requireCaller(ctx);
    if (!this.hasScope(caller, scope)) throw new Reply(this.notFound(ctx.spec.doc));
    return caller;
  }

  /** `per_page`/`page` and the `Link` header as GitHub writes them (absolute URLs, prev/next/last/first). */
  paginate<T>(ctx: GhContext, all: T[]): { items: T[]; headers: Record<string, string> } {
    const { page, perPage } = pageParams(ctx.req.query, 30, 100);
    const { items, lastPage: last } = pageOf(all, page, perPage);
    const url = (p: number) => `<${pageUrl(this.url, ctx.req.path, ctx.req.query, { page: String(p) })}>`;
    const parts: string[] = [];
    if (page > 1) parts.push(`${url(page - 1)}; rel="prev"`);
    if (page < last) parts.push(`${url(page + 1)}; rel="next"`, `${url(last)}; rel="last"`);
    if (page > 1) parts.push(`${url(1)}; rel="first"`);
    return { items, headers: parts.length ? { link: parts.join(', ') } : {} };
  }
}

function header(req: EmuRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || strip(t) === strip(etag));
}

/** The `/_sandbox/` control endpoints (not part of GitHub's API; no auth, no rate limit). */
function registerGithubControlRoutes(router: Router, emu: GithubEmulator): void {
  registerCommonControl(router, emu, {
    settings: (b) => {
      const s = emu.settings;
      if (typeof b.invalidKeyMessage === 'string') s.invalidKeyMessage = b.invalidKeyMessage;
      if (typeof b.errorStatusField === 'boolean') s.errorStatusField = b.errorStatusField;
      if (typeof b.anonymousRateLimit === 'number') s.anonymousRateLimit = b.anonymousRateLimit;
      if (typeof b.rateLimit === 'number') emu.setRateLimit({ limit: b.rateLimit });
      return s;
    },
  });
  router.add('GET', '/_sandbox/rate-limit', () => ({ status: 200, body: emu.rateLimits() }));
  router.add('POST', '/_sandbox/rate-limit', (req) => {
    const b = (req.body ?? {}) as RateLimitUpdate;
    emu.setRateLimit(b);
    return { status: 200, body: emu.rateLimits() };
  });
  router.add('DELETE', '/_sandbox/tokens/:name', (req) => {
    try {
      return { status: 200, body: { deletedDeployKeys: emu.revokeToken(req.params.name ?? '') } };
    } catch (err) {
      return { status: 404, body: { message: (err as Error).message } };
    }
  });
  router.add('POST', '/_sandbox/deploy-keys/:id', (req) => {
    const enabled = (req.body as { enabled?: unknown } | undefined)?.enabled;
    if (typeof enabled !== 'boolean')
      return { status: 400, body: { message: 'expected {"enabled": true|false}' } };
    try {
      return {
        status: 200,
        body: { id: emu.setDeployKeyEnabled(Number(req.params.id), enabled).id, enabled },
      };
    } catch (err) {
      return { status: 404, body: { message: (err as Error).message } };
    }
  });
  router.add('GET', '/_sandbox/host-keys', () => ({ status: 200, body: { ssh_keys: emu.state.hostKeys } }));
  router.add('PUT', '/_sandbox/host-keys', (req) => {
    const keys = (req.body as { keys?: unknown } | undefined)?.keys;
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
      return { status: 400, body: { message: 'expected {"keys": ["ssh-ed25519 AAAA…", …]}' } };
    }
    try {
      emu.setHostKeys(keys);
    } catch (err) {
      return { status: 400, body: { message: (err as Error).message } };
    }
    return { status: 200, body: { ssh_keys: emu.state.hostKeys } };
  });
}

/** Starts a GitHub emulator on 127.0.0.1 (port chosen by the OS). */
export function startGithubEmulator(opts: EmulatorStartOptions = {}): Promise<GithubEmulator> {
  return GithubEmulator.start(opts);
}
