/**
 * Turns every failed Google API call (Compute through gaxios, OS Login through fetch) into one
 * PlatformError: status, method, URL, Google's own message and a hint that says what to do.
 * Tokens never get through: the request headers are not copied and PlatformError redacts.
 */
import { PlatformError } from '../errors.js';

/** What the hints need to know about the call. */
export interface CallContext {
  /** e.g. "project ml-prod", "instance ml-prod/us-central1-a/trainer-1", "OS Login profile of a@b.c". */
  resource: string;
  /** The IAM permission the call needs, e.g. `compute.projects.setCommonInstanceMetadata`. */
  permission: string;
  /** `compute` or `oslogin`: which 404 message fits. */
  api: 'compute' | 'oslogin';
}

interface GoogleErrorBody {
  error?: {
    code?: number;
    message?: string;
    status?: string;
    errors?: { message?: string; reason?: string }[];
  };
}

/** The `reason` of a Compute error (`conditionNotMet`, `notFound`, `forbidden`…), if any. */
export function googleReason(body: unknown): string | undefined {
  return (body as GoogleErrorBody | undefined)?.error?.errors?.[0]?.reason;
}

export function googleMessage(body: unknown, fallback: string): string {
  const e = (body as GoogleErrorBody | undefined)?.error;
  if (e?.message) return e.message;
  if (typeof body === 'string' && body.trim() !== '') return body.trim().slice(0, 300);
  return fallback;
}

function hintFor(status: number | undefined, ctx: CallContext, message: string): string | undefined {
  switch (status) {
    case 400:
      return /too large|maximum/i.test(message)
        ? "the metadata is over Google's size limits: remove unused keys (`keyfleet prune` removes expired ones) or use OS Login"
        : undefined;
    case 401:
      return 'the credentials were refused: run `gcloud auth application-default login` (or check GOOGLE_APPLICATION_CREDENTIALS); with --sandbox, check the token in the connection file';
    case 403:
      return `the credentials lack ${ctx.permission} on ${ctx.resource}; grant a role that has it (e.g. roles/compute.instanceAdmin.v1${ctx.api === 'oslogin' ? ', or roles/compute.osAdminLogin for your own OS Login profile' : ''}) or use other credentials`;
    case 404:
      return ctx.api === 'compute'
        ? `check the names: ${ctx.resource} does not exist or the credentials cannot see it (\`gcloud compute instances list --project PROJECT\` lists instances and zones)`
        : `check the email and fingerprint: ${ctx.resource} does not exist or the credentials cannot see it`;
    case 412:
      return 'another writer changed the metadata at the same time; keyfleet retries this on its own';
    case 429:
      return 'Google is rate limiting these calls; wait a minute and try again';
    default:
      return status !== undefined && status >= 500
        ? 'Google answered with a server error; try again later'
        : undefined;
  }
}

/** A PlatformError from an HTTP answer. */
export function httpError(
  ctx: CallContext,
  fields: { status?: number; method?: string; url?: string; body?: unknown; fallback?: string },
): PlatformError {
  const message = googleMessage(fields.body, fields.fallback ?? `HTTP ${fields.status ?? 'error'}`);
  const reason = googleReason(fields.body);
  const hint = hintFor(fields.status, ctx, message);
  return new PlatformError({
    platform: 'gcp',
    ...(fields.status !== undefined ? { status: fields.status } : {}),
    ...(fields.method ? { method: fields.method } : {}),
    ...(fields.url ? { url: fields.url } : {}),
    platformMessage: message,
    ...(hint ? { hint } : {}),
    code: fields.status === 412 || reason === 'conditionNotMet' ? 'GCP_CONFLICT' : 'PLATFORM',
  });
}

interface GaxiosLike {
  message?: string;
  code?: string | number;
  status?: number;
  config?: { url?: string | URL; method?: string };
  response?: { status?: number; data?: unknown };
}

/** Maps a thrown gaxios error (or a network error) to a PlatformError; other values pass through unchanged. */
export function fromGaxios(err: unknown, ctx: CallContext): unknown {
  if (err instanceof PlatformError) return err;
  if (!(err instanceof Error)) return err;
  const g = err as GaxiosLike;
  const url = g.config?.url === undefined ? undefined : String(g.config.url);
  const method = g.config?.method?.toUpperCase();
  const status = g.response?.status ?? g.status;
  if (status === undefined) {
    // No answer at all: connection refused, DNS, TLS, timeout.
    return new PlatformError({
      platform: 'gcp',
      ...(method ? { method } : {}),
      ...(url ? { url } : {}),
      platformMessage: `cannot reach the Google API for ${ctx.resource}: ${g.code ? `${g.code} ` : ''}${err.message}`,
      hint: 'check the network (or, with --sandbox, that `keyfleet sandbox` is still running)',
    });
  }
  return httpError(ctx, {
    status,
    ...(method ? { method } : {}),
    ...(url ? { url } : {}),
    body: g.response?.data,
    fallback: err.message,
  });
}
