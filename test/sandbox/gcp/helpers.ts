import { compute, type compute_v1 } from '@googleapis/compute';
import { OAuth2Client } from 'google-auth-library';
import { startGcpEmulator, type GcpEmulator } from '../../../src/sandbox/gcp/index.js';

/**
 * The official Compute client pointed at the emulator: `rootUrl` is the server origin, the
 * client appends `/compute/v1/projects/...` itself. Auth is an OAuth2Client holding a sandbox
 * access token, exactly what Application Default Credentials would hand the client.
 */
export function computeClient(emu: GcpEmulator, tokenName = 'owner'): compute_v1.Compute {
  return computeClientWithToken(emu, emu.token(tokenName));
}

export function computeClientWithToken(emu: GcpEmulator, accessToken: string): compute_v1.Compute {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: accessToken });
  return compute({
    version: 'v1',
    rootUrl: `${emu.server.url}/`,
    // googleapis-common bundles its own google-auth-library release: same class at run time,
    // distinct declarations for TypeScript (private fields), hence the cast.
    auth: auth as unknown as NonNullable<compute_v1.Options['auth']>,
    // No retries: a test must see the first answer.
    retry: false,
  });
}

/** What the tests read from a GaxiosError (the class is not imported: googleapis bundles its own gaxios). */
export interface ClientError extends Error {
  code?: number | string;
  status?: number;
  cause?: unknown;
  response: { status: number; data: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Awaits a rejected client call and returns its GaxiosError. */
export async function gaxiosError(p: Promise<unknown>): Promise<ClientError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Error && err.constructor.name === 'GaxiosError' && 'response' in err && err.response) {
      return err as ClientError;
    }
    throw err;
  }
  throw new Error('expected the call to fail');
}

export async function fresh(opts: { seed?: boolean; state?: unknown } = {}): Promise<GcpEmulator> {
  const emu = await startGcpEmulator(opts);
  // Operations finish at once unless a test asks otherwise; waits never need to block.
  emu.setKnobs({ operationDelayMs: 0 });
  return emu;
}

export interface JsonResponse {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
}

export async function call(
  emu: GcpEmulator,
  method: string,
  path: string,
  opts: { token?: string | null; body?: unknown } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? emu.token('owner') : opts.token;
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${emu.server.url}${path}`, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}
