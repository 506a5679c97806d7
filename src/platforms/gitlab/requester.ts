/**
 * The HTTP layer under `@gitbeaker/rest`, plugged in through its `requesterFn` option.
 * Hand-written because gitbeaker's default requester retries 429 and 502 after sub-millisecond
 * delays without reading `Retry-After`, drops a query that is part of the endpoint (`keys?fingerprint=`),
 * and has one timeout for all pages together. This one: a timeout per attempt, `Retry-After` /
 * `RateLimit-Reset` honoured up to a bound, exponential back-off with jitter on 5xx and timeouts,
 * and errors that carry status, method, URL and GitLab's message (never the token).
 */
import { redact } from '../redact.js';

export interface GitlabRequesterOptions {
  /** Retries after a 5xx, a timeout or a network error (default 3). */
  retries?: number;
  /** First back-off in ms, doubled on each retry, with jitter (default 500). */
  retryBaseMs?: number;
  /** Time limit of one HTTP attempt, in ms (default 30 s). */
  timeoutMs?: number;
  /** The longest `Retry-After` keyfleet waits for, in seconds (default 300). */
  maxRateLimitWaitSeconds?: number;
  /** How many 429s one request may wait out (default 3). */
  maxRateLimitRetries?: number;
  onWait?: (message: string) => void;
}

/** A failed GitLab request, before the adapter turns it into a PlatformError with a hint. */
export class GitlabHttpError extends Error {
  constructor(
    readonly kind: 'http' | 'timeout' | 'network' | 'rate-limit',
    readonly method: string,
    readonly url: string,
    readonly status: number | undefined,
    /** GitLab's `message` / `error` text (400 validation maps flattened to `attr msg`). */
    readonly gitlabMessage: string,
    readonly body: unknown,
    /** For rate limits: seconds GitLab asked to wait, when it said. */
    readonly retryAfterSeconds?: number,
  ) {
    super(redact(`${method} ${url}${status ? ` -> ${status}` : ''}: ${gitlabMessage}`));
    this.name = 'GitlabHttpError';
  }
}

/** GitLab's message: `message` (string, or a map of attribute → messages) or `error`. */
export function gitlabMessage(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 500);
  if (typeof body !== 'object' || body === null) return '';
  const b = body as { message?: unknown; error?: unknown; error_description?: unknown };
  const parts: string[] = [];
  if (typeof b.message === 'string') parts.push(b.message);
  else if (typeof b.message === 'object' && b.message !== null) {
    for (const [attr, msgs] of Object.entries(b.message as Record<string, unknown>)) {
      const list = Array.isArray(msgs) ? msgs.map(String) : [String(msgs)];
      for (const m of list) parts.push(`${attr} ${m}`);
    }
  }
  if (typeof b.error === 'string') parts.push(b.error);
  if (typeof b.error_description === 'string') parts.push(b.error_description);
  return parts.join('; ');
}

interface ServiceOptions {
  url: string;
  headers: Record<string, string>;
  authHeaders: Record<string, () => Promise<string>>;
}

interface RequestOptions {
  searchParams?: Record<string, unknown>;
  body?: unknown;
  sudo?: string | number;
  signal?: AbortSignal;
  asStream?: boolean;
}

interface RawResponse {
  body: unknown;
  headers: Record<string, string>;
  status: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const decamelize = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function decamelizeKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [decamelize(k), v]));
}

function buildUrl(base: string, endpoint: string, searchParams: Record<string, unknown> | undefined): URL {
  const url = new URL(endpoint, base.endsWith('/') ? base : `${base}/`);
  for (const [k, v] of Object.entries(searchParams ?? {})) {
    if (v === undefined || v === null) continue;
    url.searchParams.set(decamelize(k), String(v));
  }
  return url;
}

/** Seconds to wait after a 429: `Retry-After` (seconds or HTTP date), else `RateLimit-Reset` (epoch seconds). */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number | undefined {
  const ra = headers.get('retry-after');
  if (ra !== null) {
    const n = Number(ra);
    if (Number.isFinite(n)) return Math.max(0, Math.ceil(n));
    const at = Date.parse(ra);
    if (Number.isFinite(at)) return Math.max(0, Math.ceil((at - now) / 1000));
  }
  const reset = Number(headers.get('ratelimit-reset') ?? '');
  if (Number.isFinite(reset) && reset > 0) return Math.max(0, Math.ceil(reset - now / 1000));
  return undefined;
}

async function readBody(res: Response): Promise<unknown> {
  if (res.status === 204) return null;
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const text = await res.text();
  if (type === 'application/json' || /^[[{]/.test(text.trim())) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** The `requesterFn` for gitbeaker resources. */
export function gitlabRequesterFn(options: GitlabRequesterOptions = {}) {
  const retries = options.retries ?? 3;
  const baseMs = options.retryBaseMs ?? 500;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxWait = options.maxRateLimitWaitSeconds ?? 300;
  const maxLimitRetries = options.maxRateLimitRetries ?? 3;
  const onWait = options.onWait ?? (() => undefined);

  return (service: ServiceOptions) => {
    const call = async (
      method: string,
      endpoint: string,
      opts: RequestOptions = {},
    ): Promise<RawResponse> => {
      const url = buildUrl(service.url, endpoint, opts.searchParams);
      const shownUrl = redact(url.toString());
      const headers: Record<string, string> = { ...service.headers, accept: 'application/json' };
      for (const [name, fn] of Object.entries(service.authHeaders)) headers[name] = await fn();
      if (opts.sudo !== undefined) headers.sudo = String(opts.sudo);
      let body: string | undefined;
      if (opts.body !== undefined && method !== 'GET' && method !== 'DELETE') {
        body = JSON.stringify(decamelizeKeys(opts.body as Record<string, unknown>));
        headers['content-type'] = 'application/json';
      }

      let failures = 0;
      let limitWaits = 0;
      for (;;) {
        const timeout = AbortSignal.timeout(timeoutMs);
        const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
        let res: Response;
        try {
          res = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}), signal });
        } catch (err) {
          const timedOut = timeout.aborted;
          if (failures < retries) {
            failures++;
            await sleep(backoff(baseMs, failures));
            continue;
          }
          const cause =
            err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
          throw new GitlabHttpError(
            timedOut ? 'timeout' : 'network',
            method,
            shownUrl,
            undefined,
            timedOut ? `no answer within ${timeoutMs / 1000}s (tried ${failures + 1} times)` : cause,
            undefined,
          );
        }
        if (res.ok) {
          const resHeaders = Object.fromEntries(res.headers.entries());
          return { body: await readBody(res), headers: resHeaders, status: res.status };
        }
        const resBody = await readBody(res);
        if (res.status === 429) {
          const wait = retryAfterSeconds(res.headers);
          if (limitWaits < maxLimitRetries && (wait ?? 1) <= maxWait) {
            limitWaits++;
            const secs = wait ?? Math.min(60, 2 ** limitWaits);
            onWait(`GitLab rate limit reached on ${method} ${shownUrl}; waiting ${secs}s before retrying`);
            await sleep(secs * 1000);
            continue;
          }
          throw new GitlabHttpError(
            'rate-limit',
            method,
            shownUrl,
            429,
            gitlabMessage(resBody) || 'Too Many Requests',
            resBody,
            wait,
          );
        }
        if (res.status >= 500 && failures < retries) {
          failures++;
          await sleep(backoff(baseMs, failures));
          continue;
        }
        throw new GitlabHttpError(
          'http',
          method,
          shownUrl,
          res.status,
          gitlabMessage(resBody) || res.statusText,
          resBody,
        );
      }
    };
    return {
      get: (e: string, o?: RequestOptions) => call('GET', e, o),
      post: (e: string, o?: RequestOptions) => call('POST', e, o),
      put: (e: string, o?: RequestOptions) => call('PUT', e, o),
      patch: (e: string, o?: RequestOptions) => call('PATCH', e, o),
      delete: (e: string, o?: RequestOptions) => call('DELETE', e, o),
    };
  };
}

/** Exponential back-off with full jitter in its upper half: base·2^(n-1) · [0.5, 1). */
function backoff(baseMs: number, attempt: number): number {
  const ceiling = baseMs * 2 ** (attempt - 1);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
