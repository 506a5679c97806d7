import type { EmuResponse } from '../http.js';

/**
 * The two error envelopes of the emulated Google APIs: Compute v1's "Google JSON error" with
 * `errors[]` (API-CONTRACTS.md 3.3) and OS Login's google.rpc.Status JSON (4.4).
 */

export const FINGERPRINT_MISMATCH = 'Supplied fingerprint does not match current metadata fingerprint.';

const CANONICAL: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  500: 'INTERNAL',
};

export interface ComputeErrorDetail {
  message?: string;
  domain?: string;
  reason: string;
  location?: string;
  locationType?: string;
}

export function computeError(
  code: number,
  message: string,
  detail: ComputeErrorDetail,
  opts: { withStatus?: boolean; headers?: Record<string, string> } = {},
): EmuResponse {
  const error: Record<string, unknown> = {
    code,
    message,
    errors: [
      { message: detail.message ?? message, domain: detail.domain ?? 'global', ...stripUndefined(detail) },
    ],
  };
  if (opts.withStatus) error['status'] = CANONICAL[code] ?? 'UNKNOWN';
  return { status: code, body: { error }, ...(opts.headers ? { headers: opts.headers } : {}) };
}

function stripUndefined(d: ComputeErrorDetail): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d))
    if (v !== undefined && k !== 'message' && k !== 'domain') out[k] = v;
  return out;
}

/** 412 exactly as captured from Compute (API-CONTRACTS.md 3.3). */
export function fingerprintMismatch(withStatus: boolean): EmuResponse {
  return computeError(
    412,
    FINGERPRINT_MISMATCH,
    { reason: 'conditionNotMet', location: 'If-Match', locationType: 'header' },
    { withStatus },
  );
}

export function computeNotFound(resourcePath: string, withStatus: boolean): EmuResponse {
  return computeError(
    404,
    `The resource '${resourcePath}' was not found`,
    { reason: 'notFound' },
    { withStatus },
  );
}

export function computeForbidden(permission: string, resourcePath: string, withStatus: boolean): EmuResponse {
  return computeError(
    403,
    `Required '${permission}' permission for '${resourcePath}'`,
    { reason: 'forbidden' },
    { withStatus },
  );
}

export function computeInvalid(message: string, withStatus: boolean, reason = 'invalid'): EmuResponse {
  return computeError(400, message, { reason }, { withStatus });
}

const AUTH_HINT =
  'Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';
export const MISSING_CREDENTIALS = `Request is missing required authentication credential. ${AUTH_HINT}`;
export const INVALID_CREDENTIALS = `Request had invalid authentication credentials. ${AUTH_HINT}`;

/** Google's front end answers 401 the same way for every API; Compute adds its `errors[]`. */
export function computeUnauthenticated(missing: boolean): EmuResponse {
  return computeError(
    401,
    missing ? MISSING_CREDENTIALS : INVALID_CREDENTIALS,
    {
      message: missing ? 'Login Required.' : 'Invalid Credentials',
      reason: missing ? 'required' : 'authError',
      location: 'Authorization',
      locationType: 'header',
    },
    { withStatus: true, headers: wwwAuthenticate(missing) },
  );
}

function wwwAuthenticate(missing: boolean): Record<string, string> {
  return {
    'www-authenticate': missing
      ? 'Bearer realm="https://accounts.google.com/"'
      : 'Bearer realm="https://accounts.google.com/", error="invalid_token"',
  };
}

/** google.rpc.Status JSON: `{"error":{"code","message","status"}}`. */
export function rpcError(code: number, message: string, status?: string): EmuResponse {
  return { status: code, body: { error: { code, message, status: status ?? CANONICAL[code] ?? 'UNKNOWN' } } };
}

export function rpcUnauthenticated(missing: boolean): EmuResponse {
  return {
    ...rpcError(401, missing ? MISSING_CREDENTIALS : INVALID_CREDENTIALS),
    headers: wwwAuthenticate(missing),
  };
}

export const INVALID_ARGUMENT = 'Request contains an invalid argument.';
export const PERMISSION_DENIED = 'The caller does not have permission';
export const ENTITY_NOT_FOUND = 'Requested entity was not found.';
export const ALREADY_EXISTS = 'Requested entity already exists';

/** Lookups return the found object or the error response to send; this tells them apart. */
export function isResponse(x: object): x is EmuResponse {
  return 'status' in x && typeof (x as { status: unknown }).status === 'number';
}
