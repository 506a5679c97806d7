/**
 * Octokit errors to PlatformErrors: the status, request and GitHub's own message, plus a hint
 * that says what the status most likely means for keys and what to do.
 */
import { PlatformError } from '../errors.js';

interface OctokitLikeError {
  status?: number;
  message?: string;
  name?: string;
  cause?: unknown;
  request?: { method?: string; url?: string };
  response?: { data?: unknown; headers?: Record<string, string | number | undefined> };
}

/** What the adapter was doing, for the hint ("add a deploy key to github:repo/o/r"). */
export interface GithubErrorContext {
  action: string;
  target: string;
  /** The scope or permission this call needs, for 401/403/404 hints. */
  needs?: string;
  /** Overrides the hint for 404 (e.g. remove: "not gone, maybe not visible"). */
  notFoundHint?: string;
  timeoutMs?: number;
}

function isOctokitError(err: unknown): err is OctokitLikeError {
  return typeof err === 'object' && err !== null && ('status' in err || 'request' in err);
}

function header(e: OctokitLikeError, name: string): string | undefined {
  const v = e.response?.headers?.[name];
  return v === undefined ? undefined : String(v);
}

/** GitHub's message: `message` plus the `errors[].message` of a 422. */
export function githubMessage(e: OctokitLikeError): string {
  const data = e.response?.data as { message?: unknown; errors?: unknown } | undefined;
  const base = typeof data?.message === 'string' ? data.message : (e.message ?? 'request failed');
  const details = Array.isArray(data?.errors)
    ? (data.errors as { message?: unknown; code?: unknown; field?: unknown }[])
        .map((x) =>
          typeof x?.message === 'string' ? x.message : [x?.field, x?.code].filter(Boolean).join(' '),
        )
        .filter((s) => s !== '')
    : [];
  return details.length ? `${base}: ${details.join('; ')}` : base;
}

/** True for GitHub's 422 "key is already in use" (matched on the error object, not only text). */
export function isKeyInUse(err: unknown): boolean {
  if (!isOctokitError(err) || err.status !== 422) return false;
  const data = err.response?.data as
    { errors?: { message?: string; field?: string; code?: string }[] } | undefined;
  return (data?.errors ?? []).some(
    (x) => /already in use/i.test(x?.message ?? '') || x?.code === 'already_exists',
  );
}

function isTimeout(e: OctokitLikeError): boolean {
  const cause = e.cause as { name?: string } | undefined;
  return (
    e.name === 'TimeoutError' ||
    cause?.name === 'TimeoutError' ||
    /aborted due to timeout/i.test(e.message ?? '')
  );
}

export function statusOf(err: unknown): number | undefined {
  return isOctokitError(err) ? err.status : undefined;
}

/** True for a primary or secondary rate-limit answer (never a permission problem). */
export function isRateLimited(err: unknown): boolean {
  if (!isOctokitError(err) || (err.status !== 403 && err.status !== 429)) return false;
  return header(err, 'x-ratelimit-remaining') === '0' || /rate limit/i.test(githubMessage(err));
}

export function toGithubError(err: unknown, ctx: GithubErrorContext): PlatformError {
  if (err instanceof PlatformError) return err;
  if (!isOctokitError(err)) {
    const message = err instanceof Error ? err.message : String(err);
    return new PlatformError({ platform: 'github', platformMessage: `${ctx.action} failed: ${message}` });
  }
  const status = err.status;
  const method = err.request?.method;
  const url = err.request?.url;
  const fields = {
    platform: 'github' as const,
    ...(status !== undefined && err.response ? { status } : {}),
    ...(method ? { method } : {}),
    ...(url ? { url } : {}),
  };

  if (isTimeout(err)) {
    const secs = ctx.timeoutMs ? ` within ${ctx.timeoutMs / 1000}s` : '';
    return new PlatformError({
      ...fields,
      code: 'TIMEOUT',
      platformMessage: `no answer from GitHub${secs} while trying to ${ctx.action} (after retries)`,
      hint: 'GitHub or the network is slow or down; try again later. Nothing is known to have changed.',
    });
  }
  if (status === 500 && !err.response) {
    return new PlatformError({
      ...fields,
      code: 'NETWORK',
      platformMessage: `cannot reach GitHub to ${ctx.action}: ${err.message ?? 'network error'}`,
      hint: 'check the API URL (--github-url, GH_HOST) and the network',
    });
  }

  const message = githubMessage(err);
  if (isRateLimited(err)) {
    const reset = Number(header(err, 'x-ratelimit-reset'));
    const retryAfter = Number(header(err, 'retry-after'));
    const when =
      header(err, 'x-ratelimit-remaining') === '0' && Number.isFinite(reset) && reset > 0
        ? `the limit resets at ${new Date(reset * 1000).toISOString()}`
        : Number.isFinite(retryAfter) && retryAfter > 0
          ? `GitHub asks to wait ${retryAfter}s`
          : 'GitHub did not say when it resets';
    return new PlatformError({
      ...fields,
      code: 'RATE_LIMIT',
      platformMessage: `rate limit exceeded while trying to ${ctx.action}: ${message}`,
      hint: `${when}; keyfleet waits for resets only when they are near. Run again after the reset.`,
    });
  }

  const scopes = header(err, 'x-oauth-scopes');
  const accepted = header(err, 'x-accepted-oauth-scopes');
  const scopeText =
    accepted !== undefined && accepted !== ''
      ? ` This call accepts the scopes: ${accepted}; the token has: ${scopes === undefined || scopes === '' ? '(none)' : scopes}.`
      : '';
  let hint: string | undefined;
  switch (status) {
    case 401:
      hint = 'GitHub rejected the token (missing, expired or revoked); check GH_TOKEN / GITHUB_TOKEN.';
      break;
    case 403:
      hint = `the token may not ${ctx.action}${ctx.needs ? ` (needs ${ctx.needs})` : ''}.${scopeText}`;
      break;
    case 404:
      hint =
        ctx.notFoundHint ??
        `GitHub answers 404 when the token lacks access: ${ctx.target} may exist but be invisible to this token` +
          `${ctx.needs ? ` (needs ${ctx.needs})` : ''}.${scopeText}`;
      break;
    case 422:
      hint = 'GitHub refused the key; check that it is an OpenSSH public key of a type GitHub accepts.';
      break;
    default:
      if (status !== undefined && status >= 500)
        hint = 'GitHub had a server error (retried); try again later.';
  }
  return new PlatformError({
    ...fields,
    platformMessage: `${ctx.action}: ${message}`,
    ...(hint ? { hint } : {}),
  });
}
