/** GitLab's error bodies (API-CONTRACTS.md §2.1): Grape, ActiveRecord, auth and Rack::Attack shapes. */
import type { EmuResponse } from '../http.js';
import type { ModelErrors } from './store.js';

export function unauthorized(): EmuResponse {
  return { status: 401, body: { message: '401 Unauthorized' } };
}

export function forbidden(reason?: string): EmuResponse {
  return { status: 403, body: { message: reason ? `403 Forbidden - ${reason}` : '403 Forbidden' } };
}

export function insufficientScope(scopes: string[]): EmuResponse {
  const description = 'The request requires higher privileges than provided by the access token.';
  return {
    status: 403,
    body: { error: 'insufficient_scope', error_description: description, scope: scopes.join(' ') },
    headers: {
      'www-authenticate': `Bearer realm="GitLab", error="insufficient_scope", error_description="${description}", scope="${scopes.join(' ')}"`,
    },
  };
}

/** Rack::Attack's answer: plain text `Retry later` with `Retry-After` and `RateLimit-*` headers. */
export function tooManyRequests(
  retryAfter: number,
  reset: number,
  limit: number,
  observed: number,
): EmuResponse {
  return {
    status: 429,
    body: 'Retry later\n',
    headers: {
      'content-type': 'text/plain',
      'retry-after': String(retryAfter),
      'ratelimit-name': 'throttle_authenticated_api',
      'ratelimit-limit': String(limit),
      'ratelimit-observed': String(observed),
      'ratelimit-remaining': '0',
      'ratelimit-reset': String(reset),
      'ratelimit-resettime': new Date(reset * 1000).toUTCString(),
    },
  };
}

/** `not_found!('Thing')`: `{"message":"404 Thing Not Found"}`. */
export function notFound(resource: string): EmuResponse {
  return { status: 404, body: { message: `404 ${resource} Not Found` } };
}

/** ActiveRecord::RecordNotFound: `{"message":"404 Not found"}` (lower-case f). */
export function notFoundRecord(): EmuResponse {
  return { status: 404, body: { message: '404 Not found' } };
}

export function grapeError(messages: string[]): EmuResponse {
  return { status: 400, body: { error: messages.join(', ') } };
}

export function modelError(errors: ModelErrors): EmuResponse {
  return { status: 400, body: { message: errors } };
}

export function failedToReturnKey(): EmuResponse {
  return { status: 400, body: { message: 'Failed to return the key' } };
}
