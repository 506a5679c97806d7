/**
 * GitHub's SSH host keys from `GET /meta`, checked against the fingerprints GitHub documents, so
 * a tampered or intercepted answer is refused instead of pinned.
 */
import { parsePublicKey } from '../keys/public-key.js';
import { KeyfleetError } from '../errors.js';
import { redact } from '../platforms/redact.js';
import { GITHUB } from './pinned.js';

export class HostKeyError extends KeyfleetError {
  constructor(message: string) {
    super('HOST_KEYS', message, { exitCode: 1 });
  }
}

export interface MetaHostKeys {
  keys: string[];
  /** True when every key matched a documented github.com fingerprint. */
  verified: boolean;
}

/**
 * Fetches `/meta` from `apiUrl` (default api.github.com). For github.com every key must match a
 * documented fingerprint; GitHub Enterprise Server hosts have no published list, so their keys
 * are returned unverified and the caller says so.
 */
export async function fetchGithubHostKeys(
  apiUrl = 'https://api.github.com',
  options: { fetch?: typeof fetch; timeoutMs?: number; expectGithubCom?: boolean } = {},
): Promise<MetaHostKeys> {
  const url = `${apiUrl.replace(/\/+$/, '')}/meta`;
  const doFetch = options.fetch ?? fetch;
  let body: { ssh_keys?: unknown; ssh_key_fingerprints?: Record<string, unknown> };
  try {
    const res = await doFetch(url, {
      headers: { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    if (!res.ok) throw new HostKeyError(`GET ${redact(url)} answered HTTP ${res.status}`);
    body = (await res.json()) as typeof body;
  } catch (err) {
    if (err instanceof HostKeyError) throw err;
    throw new HostKeyError(
      `cannot read GitHub's host keys from ${redact(url)}: ${err instanceof Error ? err.message : String(err)}; ` +
        'use --offline to print the bundled keys (taken ' +
        GITHUB.takenOn +
        ')',
    );
  }
  if (!Array.isArray(body.ssh_keys) || body.ssh_keys.some((k) => typeof k !== 'string')) {
    throw new HostKeyError(`GET ${redact(url)}: the answer has no ssh_keys list`);
  }
  const keys = body.ssh_keys as string[];
  const expectGithubCom = options.expectGithubCom ?? /^https:\/\/api\.github\.com\/?$/.test(apiUrl);
  const documented = new Set(GITHUB.fingerprints);
  let verified = true;
  for (const text of keys) {
    const fp = parsePublicKey(text).fingerprint;
    if (!documented.has(fp)) {
      verified = false;
      if (expectGithubCom) {
        throw new HostKeyError(
          `GitHub's /meta returned a host key (${fp}) that is not among the fingerprints GitHub documents ` +
            `(bundled, taken ${GITHUB.takenOn}): refusing to pin it. If GitHub rotated a key, check ${GITHUB.source}`,
        );
      }
    }
  }
  return { keys, verified };
}
