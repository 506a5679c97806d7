/**
 * `/_sandbox/` control endpoints that both git-platform emulators offer. They are not part of
 * any platform's API: no auth, no rate limit, no injected faults (http.ts exempts the prefix).
 */
import { normalizeFingerprint } from '../keys/fingerprint.js';
import type { AccessAnswer, KeyIdentity } from './access.js';
import type { EmuRequest, EmuResponse, Router } from './http.js';

export interface ControlTarget {
  access(fingerprint: string, repo: string): AccessAnswer;
  identify(fingerprint: string): KeyIdentity;
  reset(): void;
  exportState(): unknown;
}

/**
 * `GET /_sandbox/access?fingerprint=SHA256:…&repo=PATH`, `GET /_sandbox/identify?fingerprint=…`,
 * `GET|POST /_sandbox/settings`, `POST /_sandbox/reset`, `GET /_sandbox/state`.
 */
export function registerCommonControl(
  router: Router,
  emu: ControlTarget,
  hooks: { settings: (body: Record<string, unknown>) => unknown },
): void {
  router.add('GET', '/_sandbox/access', (req) => {
    const fp = sha256Param(req);
    if (typeof fp !== 'string') return fp;
    const repo = req.query.get('repo') ?? req.query.get('project');
    if (!repo)
      return { status: 400, body: { message: 'repo=OWNER/REPO (or GROUP/.../PROJECT) is required' } };
    return { status: 200, body: emu.access(fp, repo) };
  });
  router.add('GET', '/_sandbox/identify', (req) => {
    const fp = sha256Param(req);
    return typeof fp === 'string' ? { status: 200, body: emu.identify(fp) } : fp;
  });
  router.add('GET', '/_sandbox/settings', () => ({ status: 200, body: hooks.settings({}) }));
  router.add('POST', '/_sandbox/settings', (req) => ({
    status: 200,
    body: hooks.settings(isObject(req.body) ? req.body : {}),
  }));
  router.add('POST', '/_sandbox/reset', () => {
    emu.reset();
    return { status: 200, body: { reset: true } };
  });
  router.add('GET', '/_sandbox/state', () => ({ status: 200, body: emu.exportState() }));
}

function sha256Param(req: EmuRequest): string | EmuResponse {
  // A `+` left unencoded in a query string arrives as a space; no fingerprint contains one.
  const raw = req.query.get('fingerprint')?.replace(/ /g, '+');
  const fp = raw ? normalizeFingerprint(raw) : undefined;
  if (fp?.startsWith('SHA256:')) return fp;
  return {
    status: 400,
    body: { message: 'fingerprint=SHA256:<base64> is required (MD5 fingerprints are not accepted here)' },
  };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
