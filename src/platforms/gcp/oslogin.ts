/**
 * Cloud OS Login v1 over its REST API with fetch (no maintained client package is available
 * here): a Google identity's login profile and its SSH public keys. Keys are named by the
 * identity's email and OS Login's own fingerprint (64 hex characters); keyfleet matches them by
 * its SHA256 fingerprint, computed locally from the key text.
 */
import { isMissingCredentials, missingCredentials, type GcpAuth } from './auth.js';
import { httpError, type CallContext } from './errors.js';
import { PlatformError } from '../errors.js';

export const DEFAULT_OSLOGIN_URL = 'https://oslogin.googleapis.com';

/** Default lifetime of an OS Login key keyfleet imports: profiles are capped at 32 KiB, so keys must expire. */
export const DEFAULT_OSLOGIN_TTL_DAYS = 30;

export interface SshPublicKeyJson {
  key: string;
  /** Microseconds since the epoch, as a decimal string; absent = never expires. */
  expirationTimeUsec?: string;
  fingerprint?: string;
  name?: string;
}

export interface PosixAccountJson {
  primary?: boolean;
  username?: string;
  uid?: string;
  gid?: string;
  homeDirectory?: string;
  shell?: string;
  systemId?: string;
  accountId?: string;
  operatingSystemType?: string;
  name?: string;
}

export interface LoginProfileJson {
  name?: string;
  posixAccounts?: PosixAccountJson[];
  sshPublicKeys?: Record<string, SshPublicKeyJson>;
}

export function dateToUsec(date: Date): string {
  return (BigInt(date.getTime()) * 1000n).toString();
}

export function usecToDate(usec: string | number | undefined): Date | undefined {
  if (usec === undefined || usec === '') return undefined;
  try {
    return new Date(Number(BigInt(usec) / 1000n));
  } catch {
    return undefined;
  }
}

export class OsLoginClient {
  private readonly base: string;
  constructor(
    private readonly auth: GcpAuth,
    baseUrl: string = DEFAULT_OSLOGIN_URL,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  private userPath(email: string): string {
    return `/v1/users/${encodeURIComponent(email)}`;
  }

  private async request<T>(
    ctx: CallContext,
    method: string,
    path: string,
    options: { query?: Record<string, string>; body?: unknown } = {},
  ): Promise<T> {
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    let headers: Record<string, string>;
    try {
      headers = await this.auth.headers(url.toString());
    } catch (err) {
      if (isMissingCredentials(err)) throw missingCredentials(err);
      throw err;
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          ...headers,
          accept: 'application/json',
          ...(options.body ? { 'content-type': 'application/json' } : {}),
        },
        ...(options.body ? { body: JSON.stringify(options.body) } : {}),
      });
    } catch (err) {
      throw new PlatformError({
        platform: 'gcp',
        method,
        url: url.toString(),
        platformMessage: `cannot reach OS Login for ${ctx.resource}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`,
        hint: 'check the network (or, with --sandbox, that `keyfleet sandbox` is still running)',
      });
    }
    const text = await res.text();
    let body: unknown = undefined;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!res.ok)
      throw httpError(ctx, {
        status: res.status,
        method,
        url: url.toString(),
        body,
        fallback: res.statusText,
      });
    return (body ?? {}) as T;
  }

  private ctx(email: string, permission: string): CallContext {
    return { resource: `the OS Login profile of ${email}`, permission, api: 'oslogin' };
  }

  getLoginProfile(email: string, projectId?: string): Promise<LoginProfileJson> {
    return this.request(
      this.ctx(email, 'roles/compute.osLogin (read the login profile)'),
      'GET',
      `${this.userPath(email)}/loginProfile`,
      {
        ...(projectId ? { query: { projectId } } : {}),
      },
    );
  }

  async importSshPublicKey(
    email: string,
    key: string,
    expiresAt: Date | undefined,
    projectId?: string,
  ): Promise<{ loginProfile?: LoginProfileJson; details?: string }> {
    return this.request(
      this.ctx(email, 'permission to manage the SSH keys of this identity'),
      'POST',
      `${this.userPath(email)}:importSshPublicKey`,
      {
        ...(projectId ? { query: { projectId } } : {}),
        body: { key, ...(expiresAt ? { expirationTimeUsec: dateToUsec(expiresAt) } : {}) },
      },
    );
  }

  getSshPublicKey(email: string, fingerprint: string): Promise<SshPublicKeyJson> {
    return this.request(
      this.ctx(email, 'permission to read the SSH keys of this identity'),
      'GET',
      `${this.userPath(email)}/sshPublicKeys/${encodeURIComponent(fingerprint)}`,
    );
  }

  /** Changes only the expiry (`updateMask=expirationTimeUsec`); `undefined` removes it. */
  patchExpiry(email: string, fingerprint: string, expiresAt: Date | undefined): Promise<SshPublicKeyJson> {
    return this.request(
      this.ctx(email, 'permission to manage the SSH keys of this identity'),
      'PATCH',
      `${this.userPath(email)}/sshPublicKeys/${encodeURIComponent(fingerprint)}`,
      {
        query: { updateMask: 'expirationTimeUsec' },
        body: expiresAt ? { expirationTimeUsec: dateToUsec(expiresAt) } : {},
      },
    );
  }

  async deleteSshPublicKey(email: string, fingerprint: string): Promise<void> {
    await this.request(
      this.ctx(email, 'permission to manage the SSH keys of this identity'),
      'DELETE',
      `${this.userPath(email)}/sshPublicKeys/${encodeURIComponent(fingerprint)}`,
    );
  }
}
