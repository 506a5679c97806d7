import { parsePublicKey } from '../../keys/public-key.js';
import type { EmuRequest, EmuResponse, Router } from '../http.js';
import type { GcpEmulator } from './emulator.js';
import {
  ALREADY_EXISTS,
  ENTITY_NOT_FOUND,
  INVALID_ARGUMENT,
  PERMISSION_DENIED,
  rpcError,
  isResponse,
} from './errors.js';
import { defaultPosixAccount } from './posix.js';
import { osLoginFingerprint } from './seed.js';
import type { LoginProfileJson, OsLoginKeyState, OsLoginUserState, SshPublicKeyJson } from './types.js';

/**
 * Cloud OS Login v1: login profiles and SSH public keys of Google identities (API-CONTRACTS.md
 * section 4). Errors are google.rpc.Status JSON. Permission model of the sandbox: an `owner`
 * token manages every identity, a `viewer` token reads every identity, a `user` token reads and
 * writes only its own identity (`users/me` is accepted for it).
 */

export function renderSshPublicKey(email: string, fingerprint: string, k: OsLoginKeyState): SshPublicKeyJson {
  const out: SshPublicKeyJson = {
    key: k.key,
    fingerprint,
    name: `users/${email}/sshPublicKeys/${fingerprint}`,
  };
  if (k.expirationTimeUsec !== undefined) out.expirationTimeUsec = k.expirationTimeUsec;
  return out;
}

/** proto3 JSON: empty lists and maps are left out. */
export function renderLoginProfile(u: OsLoginUserState, projectId?: string): LoginProfileJson {
  const out: LoginProfileJson = { name: u.email };
  const accounts = Object.entries(u.posixAccounts)
    .filter(([p]) => projectId === undefined || p === projectId)
    .map(([p, a]) => ({
      primary: true,
      username: a.username,
      uid: a.uid,
      gid: a.gid,
      homeDirectory: a.homeDirectory,
      shell: a.shell,
      accountId: p,
      operatingSystemType: 'LINUX' as const,
      name: `users/${u.email}/projects/${p}`,
    }));
  if (accounts.length) out.posixAccounts = accounts;
  const fps = Object.keys(u.keys);
  if (fps.length) {
    out.sshPublicKeys = Object.fromEntries(
      fps.map((fp) => [fp, renderSshPublicKey(u.email, fp, u.keys[fp]!)]),
    );
  }
  return out;
}

type Access = 'read' | 'write';

type ParsedKey =
  { ok: true; key: string; fingerprint: string; expiration: string | undefined | null } | { ok: false };

/**
 * An `SshPublicKey` body. `expiration` is undefined when the field is absent, null when it is
 * explicitly null. Certificates and unsupported key types are refused like malformed keys.
 */
function parseKeyBody(
  body: unknown,
  keyRequired: boolean,
): ParsedKey | { ok: true; key: undefined; expiration: string | undefined | null } {
  if (body === undefined) body = {};
  if (body === null || typeof body !== 'object' || Array.isArray(body) || '__invalidJson' in body)
    return { ok: false };
  const b = body as Record<string, unknown>;
  const exp = parseExpiration(b['expirationTimeUsec']);
  if (exp === false) return { ok: false };
  if (b['key'] === undefined && !keyRequired) return { ok: true, key: undefined, expiration: exp };
  if (typeof b['key'] !== 'string') return { ok: false };
  try {
    const k = parsePublicKey(b['key']);
    if (k.certificate || k.unsupported) return { ok: false };
    return { ok: true, key: b['key'].trim(), fingerprint: osLoginFingerprint(k.blob), expiration: exp };
  } catch {
    return { ok: false };
  }
}

/** int64 as a string (or a JSON number): the proto3 JSON forms. false = invalid. */
function parseExpiration(v: unknown): string | undefined | null | false {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? String(v) : false;
  if (typeof v === 'string' && /^\d{1,19}$/.test(v))
    return BigInt(v) <= 2n ** 63n - 1n ? String(BigInt(v)) : false;
  return false;
}

export function registerOsLoginRoutes(router: Router, emu: () => GcpEmulator): void {
  /** Resolves `users/{user}` for the caller, answering 403 before revealing whether the identity exists. */
  const user = (req: EmuRequest, raw: string, access: Access): OsLoginUserState | EmuResponse => {
    const caller = emu().caller(req);
    const email = raw === 'me' ? caller.principal : raw;
    const allowed =
      caller.role === 'owner' ||
      (caller.role === 'viewer' && access === 'read') ||
      (caller.role === 'user' && email === caller.principal);
    if (!allowed) return rpcError(403, PERMISSION_DENIED);
    return emu().state.osloginUsers[email] ?? rpcError(404, ENTITY_NOT_FOUND);
  };

  /** Runs a change, rolling it back when the profile would exceed its size limit. */
  const withinLimit = (u: OsLoginUserState, change: () => void): EmuResponse | undefined => {
    const before = structuredClone({ keys: u.keys, posixAccounts: u.posixAccounts });
    change();
    const size = Buffer.byteLength(JSON.stringify(renderLoginProfile(u)));
    const { profileSizeLimit, profileSizeStatus } = emu().knobs;
    if (size <= profileSizeLimit) return undefined;
    u.keys = before.keys;
    u.posixAccounts = before.posixAccounts;
    const limit =
      profileSizeLimit % 1024 === 0 ? `${profileSizeLimit / 1024} KiB` : `${profileSizeLimit} bytes`;
    return rpcError(400, `Login profile size exceeds ${limit}`, profileSizeStatus);
  };

  router.add('GET', '/v1/users/:user/loginProfile', (req) => {
    const u = user(req, req.params['user']!, 'read');
    if (isResponse(u)) return u;
    return { status: 200, body: renderLoginProfile(u, req.query.get('projectId') ?? undefined) };
  });

  // `users/{user}:importSshPublicKey`: the custom verb is part of the last path segment.
  router.add('POST', '/v1/users/:userAction', (req) => {
    const raw = req.params['userAction']!;
    const colon = raw.lastIndexOf(':');
    const verb = colon < 0 ? '' : raw.slice(colon + 1);
    if (verb !== 'importSshPublicKey') {
      return rpcError(404, `The requested URL ${req.path} was not found on this server.`, 'NOT_FOUND');
    }
    const u = user(req, raw.slice(0, colon), 'write');
    if (isResponse(u)) return u;
    const parsed = parseKeyBody(req.body, true);
    if (!parsed.ok || parsed.key === undefined) return rpcError(400, INVALID_ARGUMENT);
    const projectId = req.query.get('projectId') || undefined;
    const tooBig = withinLimit(u, () => {
      const existing = u.keys[parsed.fingerprint];
      // Importing a key that is already there is not an error; a given expiry replaces the old one [U].
      const k: OsLoginKeyState = existing ? { ...existing } : { key: parsed.key };
      if (typeof parsed.expiration === 'string') k.expirationTimeUsec = parsed.expiration;
      u.keys[parsed.fingerprint] = k;
      if (projectId && !u.posixAccounts[projectId]) {
        u.posixAccounts[projectId] = defaultPosixAccount(u, emu().knobs.orgDomain);
      }
    });
    if (tooBig) return tooBig;
    return { status: 200, body: { loginProfile: renderLoginProfile(u) } };
  });

  router.add('POST', '/v1/users/:user/sshPublicKeys', (req) => {
    const u = user(req, req.params['user']!, 'write');
    if (isResponse(u)) return u;
    const parsed = parseKeyBody(req.body, true);
    if (!parsed.ok || parsed.key === undefined) return rpcError(400, INVALID_ARGUMENT);
    if (u.keys[parsed.fingerprint]) return rpcError(409, ALREADY_EXISTS);
    const k: OsLoginKeyState = { key: parsed.key };
    if (typeof parsed.expiration === 'string') k.expirationTimeUsec = parsed.expiration;
    const tooBig = withinLimit(u, () => {
      u.keys[parsed.fingerprint] = k;
    });
    if (tooBig) return tooBig;
    return { status: 200, body: renderSshPublicKey(u.email, parsed.fingerprint, k) };
  });

  const keyRoute = '/v1/users/:user/sshPublicKeys/:fingerprint';
  const findKey = (req: EmuRequest, access: Access) => {
    const u = user(req, req.params['user']!, access);
    if (isResponse(u)) return u;
    const fp = req.params['fingerprint']!;
    const k = u.keys[fp];
    return k ? { u, fp, k } : rpcError(404, ENTITY_NOT_FOUND);
  };

  router.add('GET', keyRoute, (req) => {
    const found = findKey(req, 'read');
    if (isResponse(found)) return found;
    return { status: 200, body: renderSshPublicKey(found.u.email, found.fp, found.k) };
  });

  router.add('PATCH', keyRoute, (req) => {
    const found = findKey(req, 'write');
    if (isResponse(found)) return found;
    const { u, fp, k } = found;
    const parsed = parseKeyBody(req.body, false);
    if (!parsed.ok) return rpcError(400, INVALID_ARGUMENT);
    // The key itself is immutable (it names the resource); only the expiry can change.
    if (parsed.key !== undefined && parsed.fingerprint !== fp) return rpcError(400, INVALID_ARGUMENT);
    const mask = req.query.get('updateMask');
    const paths =
      mask === null
        ? undefined
        : mask
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean);
    const known = new Set(['expirationTimeUsec', 'expiration_time_usec', 'key']);
    if (paths?.some((p) => !known.has(p))) return rpcError(400, INVALID_ARGUMENT);
    // No mask means "update every field" (FieldMask semantics): an absent expiry clears it.
    const touchesExpiry =
      paths === undefined || paths.includes('expirationTimeUsec') || paths.includes('expiration_time_usec');
    const next: OsLoginKeyState = { ...k };
    if (touchesExpiry) {
      if (typeof parsed.expiration === 'string') next.expirationTimeUsec = parsed.expiration;
      else delete next.expirationTimeUsec;
    }
    const tooBig = withinLimit(u, () => {
      u.keys[fp] = next;
    });
    if (tooBig) return tooBig;
    return { status: 200, body: renderSshPublicKey(u.email, fp, next) };
  });

  router.add('DELETE', keyRoute, (req) => {
    const found = findKey(req, 'write');
    if (isResponse(found)) return found;
    delete found.u.keys[found.fp];
    return { status: 200, body: {} };
  });

  router.add('DELETE', '/v1/users/:user/projects/:project', (req) => {
    const u = user(req, req.params['user']!, 'write');
    if (isResponse(u)) return u;
    const p = req.params['project']!;
    if (!u.posixAccounts[p]) return rpcError(404, ENTITY_NOT_FOUND);
    delete u.posixAccounts[p];
    return { status: 200, body: {} };
  });
}
