/** GitLab request failures to PlatformErrors with a hint that says what the status means for keys. */
import { PlatformError } from '../errors.js';
import { GitlabHttpError } from './requester.js';

export interface GitlabErrorContext {
  action: string;
  target: string;
  /** What this call needs (role, admin, scope), for 403 hints. */
  needs?: string;
  notFoundHint?: string;
  forbiddenHint?: string;
}

export function statusOf(err: unknown): number | undefined {
  return err instanceof GitlabHttpError ? err.status : undefined;
}

/** 400 "has already been taken" on a key's fingerprint: the key exists elsewhere on the instance. */
export function isTaken(err: unknown): boolean {
  return (
    err instanceof GitlabHttpError && err.status === 400 && /has already been taken/i.test(err.gitlabMessage)
  );
}

export function toGitlabError(err: unknown, ctx: GitlabErrorContext): PlatformError {
  if (err instanceof PlatformError) return err;
  if (!(err instanceof GitlabHttpError)) {
    const message = err instanceof Error ? err.message : String(err);
    return new PlatformError({ platform: 'gitlab', platformMessage: `${ctx.action} failed: ${message}` });
  }
  const fields = {
    platform: 'gitlab' as const,
    method: err.method,
    url: err.url,
    ...(err.status !== undefined ? { status: err.status } : {}),
  };
  switch (err.kind) {
    case 'timeout':
      return new PlatformError({
        ...fields,
        code: 'TIMEOUT',
        platformMessage: `no answer from GitLab while trying to ${ctx.action}: ${err.gitlabMessage}`,
        hint: 'GitLab or the network is slow or down; try again later. Nothing is known to have changed.',
      });
    case 'network':
      return new PlatformError({
        ...fields,
        code: 'NETWORK',
        platformMessage: `cannot reach GitLab to ${ctx.action}: ${err.gitlabMessage}`,
        hint: 'check the GitLab URL (--gitlab-url, GITLAB_HOST) and the network',
      });
    case 'rate-limit':
      return new PlatformError({
        ...fields,
        code: 'RATE_LIMIT',
        platformMessage: `rate limit exceeded while trying to ${ctx.action}: ${err.gitlabMessage}`,
        hint:
          err.retryAfterSeconds !== undefined
            ? `GitLab asks to wait ${err.retryAfterSeconds}s (until ${new Date(Date.now() + err.retryAfterSeconds * 1000).toISOString()}); ` +
              'keyfleet waits only for short limits. Run again after that.'
            : 'GitLab did not say for how long; run again later.',
      });
    case 'http':
      break;
  }
  let hint: string | undefined;
  const body = err.body as { error?: unknown; scope?: unknown } | undefined;
  if (err.status === 401) {
    hint = 'GitLab rejected the token (missing, expired or revoked); check GITLAB_TOKEN.';
  } else if (err.status === 403 && body?.error === 'insufficient_scope') {
    hint = `the token's scopes are not enough to ${ctx.action}${typeof body.scope === 'string' ? ` (needs: ${body.scope})` : ''}; use a token with the api scope.`;
  } else if (err.status === 403) {
    hint = ctx.forbiddenHint ?? `the token may not ${ctx.action}${ctx.needs ? ` (needs ${ctx.needs})` : ''}.`;
  } else if (err.status === 404) {
    hint =
      ctx.notFoundHint ??
      `GitLab answers 404 when the token cannot see something: ${ctx.target} may exist but be invisible to this token` +
        `${ctx.needs ? ` (needs ${ctx.needs})` : ''}.`;
  } else if (err.status !== undefined && err.status >= 500) {
    hint = 'GitLab had a server error (retried); try again later.';
  } else if (err.status === 400) {
    hint = 'GitLab refused the request; the message above says which field was wrong.';
  }
  return new PlatformError({
    ...fields,
    platformMessage: `${ctx.action}: ${err.gitlabMessage}`,
    ...(hint ? { hint } : {}),
  });
}
