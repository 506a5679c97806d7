/**
 * Credentials for both Google APIs: an explicit OAuth access token (the sandbox, or a token the
 * caller minted), else Application Default Credentials (`gcloud auth application-default login`,
 * GOOGLE_APPLICATION_CREDENTIALS, or the metadata server on GCE). Loaded lazily so the CLI's
 * start-up never pays for google-auth-library.
 */
import type { compute_v1 } from '@googleapis/compute';
import { PlatformError } from '../errors.js';
import { registerSecret } from '../redact.js';

export const COMPUTE_SCOPE = 'https://www.googleapis.com/auth/compute';

/** The auth client type @googleapis/compute accepts (googleapis-common's own google-auth-library copy). */
export type GcpAuthClient = compute_v1.Options['auth'] & object;

export interface GcpAuth {
  client: GcpAuthClient;
  /** `Authorization` (and quota-project) headers for a plain fetch to OS Login. */
  headers(url: string): Promise<Record<string, string>>;
}

function adcError(err: unknown): PlatformError {
  return new PlatformError({
    platform: 'gcp',
    code: 'NO_TOKEN',
    platformMessage: `no Google Cloud credentials: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    hint: 'run `gcloud auth application-default login` (Application Default Credentials) or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file; or use the local sandbox with --sandbox [FILE]',
  });
}

/**
 * The auth of googleapis-common (re-exported by @googleapis/compute as `auth`) is used rather than
 * the top-level google-auth-library: the two are different copies, and only googleapis-common's
 * own client type-checks as the Compute client's `auth`. It is the same library either way.
 */
export async function createGcpAuth(token: string | undefined): Promise<GcpAuth> {
  const { auth } = await import('@googleapis/compute');
  if (token) {
    registerSecret(token);
    const client = new auth.OAuth2();
    client.setCredentials({ access_token: token });
    return { client, headers: async () => ({ authorization: `Bearer ${token}` }) };
  }
  const client = new auth.GoogleAuth({ scopes: [COMPUTE_SCOPE] });
  return {
    client,
    headers: async (url) => {
      try {
        const h = await client.getRequestHeaders(url);
        const out: Record<string, string> = {};
        h.forEach((v, k) => {
          out[k] = v;
          if (k.toLowerCase() === 'authorization') registerSecret(v.replace(/^Bearer\s+/i, ''));
        });
        return out;
      } catch (err) {
        throw adcError(err);
      }
    },
  };
}

/** True for google-auth-library's "no credentials found" failure. */
/** True for google-auth-library's failures to find or use credentials (raised before any API call). */
export function isMissingCredentials(err: unknown): boolean {
  return (
    err instanceof Error &&
    !('config' in err) &&
    /credential|GOOGLE_APPLICATION_CREDENTIALS|does not exist|ENOENT|refresh token|metadata server|unable to detect a project id/i.test(
      err.message,
    )
  );
}

export function missingCredentials(err: unknown): PlatformError {
  return adcError(err);
}
