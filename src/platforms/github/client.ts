/**
 * The Octokit instance every GitHub call goes through: `@octokit/rest` with the retry plugin
 * (5xx, 429, timeouts: exponential back-off, bounded) and the throttling plugin (primary and
 * secondary rate limits: wait for the reset when it is near, give up with a clear error when
 * it is not). Each HTTP attempt has its own timeout.
 */
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { redact } from '../redact.js';

export interface GithubClientOptions {
  apiUrl: string;
  token?: string;
  /** Retries after a 5xx, a plain 429 or a timeout (default 3). */
  retries?: number;
  /** Base of the quadratic back-off between those retries, in ms (default 1000: 1 s, 4 s, 9 s). */
  retryBaseMs?: number;
  /** Time limit of one HTTP attempt, in ms (default 30 s). */
  timeoutMs?: number;
  /** The longest wait for a rate-limit reset before giving up, in seconds (default 300). */
  maxRateLimitWaitSeconds?: number;
  /** How many times one request may wait for a rate limit (default 2). */
  maxRateLimitRetries?: number;
  /**
   * Minimum spacing of writes (POST/DELETE) in ms. Default: the throttling plugin's 1 s, GitHub's
   * advice against secondary limits. Tests and the sandbox may set 0.
   */
  writeIntervalMs?: number;
  /** Told when keyfleet waits for a rate limit or retries (the CLI prints it as a warning). */
  onWait?: (message: string) => void;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RATE_LIMIT_WAIT_S = 300;

// Throttling first so it sits inside retry: a rate-limit answer is judged (wait or give up) before
// the retry plugin sees it, and giving up can stop the retry plugin (see `decide`).
const GitHubOctokit = Octokit.plugin(throttling, retry);
/** The plugins add nothing the adapter calls, so the client is typed as a plain Octokit. */
export type GithubClient = Octokit;

/** A fetch whose every call gives up after `timeoutMs` (the caller's own signal still applies). */
export function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return fetch(input, { ...init, signal });
  };
}

/**
 * A write limiter with plain spacing instead of the plugin's Bottleneck group, so the spacing
 * can be configured without another dependency. Only `key(id).schedule(opts, fn)` is used.
 */
function spacedGroup(intervalMs: number): unknown {
  let next = 0;
  const limiter = {
    schedule: async (_opts: unknown, fn: (...a: unknown[]) => unknown, ...args: unknown[]) => {
      const now = Date.now();
      const at = Math.max(now, next);
      next = at + intervalMs;
      if (at > now) await new Promise((r) => setTimeout(r, at - now));
      return fn(...args);
    },
  };
  return { key: () => limiter };
}

export function createGithubClient(options: GithubClientOptions): GithubClient {
  const maxWait = options.maxRateLimitWaitSeconds ?? DEFAULT_MAX_RATE_LIMIT_WAIT_S;
  const maxLimitRetries = options.maxRateLimitRetries ?? 2;
  const onWait = options.onWait ?? (() => undefined);

  type LimitOptions = { method: string; url: string; request: { retries?: number } };
  const decide = (kind: string) => (retryAfter: number, opts: unknown, _o: unknown, retryCount: number) => {
    const o = opts as LimitOptions;
    if (retryCount < maxLimitRetries && retryAfter <= maxWait) {
      onWait(
        `GitHub ${kind} reached on ${o.method} ${redact(o.url)}; waiting ${retryAfter}s before retrying`,
      );
      return true;
    }
    // Giving up: stop the retry plugin from retrying the same 429 behind our back.
    o.request.retries = 0;
    return false;
  };

  const throttle: Record<string, unknown> = {
    onRateLimit: decide('rate limit'),
    onSecondaryRateLimit: decide('secondary rate limit'),
  };
  if (options.writeIntervalMs !== undefined) throttle.write = spacedGroup(options.writeIntervalMs);

  return new GitHubOctokit({
    baseUrl: options.apiUrl.replace(/\/+$/, ''),
    ...(options.token ? { auth: options.token } : {}),
    userAgent: 'keyfleet',
    request: { fetch: fetchWithTimeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS) },
    retry: {
      retries: options.retries ?? 3,
      retryAfterBaseValue: options.retryBaseMs ?? 1000,
      // 403/404/422 are answers, not failures; 429 is retried (the throttling plugin handles the rate-limited kind first).
      doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451],
    },
    throttle: throttle as never,
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (m: string) => onWait(redact(String(m))),
      error: () => undefined,
    },
  });
}
