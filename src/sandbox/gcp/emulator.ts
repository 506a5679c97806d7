import type { Emulator } from '../emulator.js';
import { SandboxError } from '../errors.js';
import { Router, serve, type EmuRequest, type EmuResponse, type EmulatorServer } from '../http.js';
import { registerComputeRoutes } from './compute.js';
import { registerControlRoutes } from './control.js';
import { computeUnauthenticated, rpcError, rpcUnauthenticated } from './errors.js';
import { renderMetadata } from './metadata.js';
import { registerOsLoginRoutes, renderLoginProfile } from './oslogin.js';
import { defaultPosixAccount } from './posix.js';
import { baseState, seedState } from './seed.js';
import { importState } from './state.js';
import {
  defaultKnobs,
  type GcpConnectionInfo,
  type GcpKnobs,
  type GcpState,
  type LoginProfileJson,
  type MetadataJson,
  type OsLoginUserState,
  type TokenState,
} from './types.js';
import { numericId } from './util.js';

/** What the sandbox's SSH "VM" needs to decide which keys it accepts (`GET /_sandbox/gcp/vm`). */
export interface VmView {
  /** Shaped like the metadata server's `?recursive=true` JSON, which the guest agent reads. */
  project: { projectId: string; numericProjectId: number; attributes: Record<string, string> };
  instance: { name: string; id: string; zone: string; attributes: Record<string, string> };
  projectMetadata: MetadataJson;
  instanceMetadata: MetadataJson;
  /**
   * Every OS Login identity's profile, its POSIX accounts limited to this VM's project (the
   * default account OS Login would provision on first login when there is none yet).
   */
  osLoginProfiles: LoginProfileJson[];
}

/**
 * The emulated Compute v1 metadata API and OS Login v1 API on one loopback server
 * (API-CONTRACTS.md sections 3 and 4). Implements the sandbox `Emulator` interface and offers an
 * in-process API for tests and the sandbox VM.
 */
export class GcpEmulator implements Emulator {
  readonly name = 'gcp';
  knobs: GcpKnobs = defaultKnobs();
  private callers = new WeakMap<EmuRequest, TokenState>();
  /** Aborted on close, so pending `operations/wait` calls do not keep the process alive. */
  readonly closing = new AbortController();

  private constructor(
    readonly server: EmulatorServer,
    readonly state: GcpState,
  ) {}

  static async start(opts: { state?: unknown; seed?: boolean } = {}): Promise<GcpEmulator> {
    const state =
      opts.state !== undefined ? importState(opts.state) : opts.seed === false ? baseState() : seedState();
    const router = new Router();
    // Routes are registered before the server (and so the emulator) exists; they look it up late.
    const ref: { emu?: GcpEmulator } = {};
    const self = () => ref.emu!;
    registerControlRoutes(router, self);
    registerComputeRoutes(router, self);
    registerOsLoginRoutes(router, self);
    const server = await serve({
      router,
      notFound: (req) =>
        rpcError(404, `The requested URL ${req.path} was not found on this server.`, 'NOT_FOUND'),
      methodNotAllowed: (req, allowed) => ({
        ...rpcError(
          405,
          `The requested method ${req.method} is not allowed for ${req.path}.`,
          'METHOD_NOT_ALLOWED',
        ),
        headers: { allow: allowed.join(', ') },
      }),
      around: (req, next) => self().authenticate(req, next),
    });
    ref.emu = new GcpEmulator(server, state);
    return ref.emu;
  }

  // ---- Emulator interface -------------------------------------------------------------------

  connectionInfo(): GcpConnectionInfo {
    const tokens: Record<string, string> = {};
    for (const [name, t] of Object.entries(this.state.tokens)) tokens[name] = t.token;
    return {
      computeUrl: this.computeUrl,
      osloginUrl: this.server.url,
      token: this.state.tokens['owner']?.token ?? '',
      tokens,
      projects: Object.keys(this.state.projects),
      instances: Object.keys(this.state.instances),
      osloginUsers: Object.keys(this.state.osloginUsers),
    };
  }

  /** A deep copy of the whole state (JSON); `start({ state })` restores it. */
  exportState(): GcpState {
    return structuredClone(this.state);
  }

  close(): Promise<void> {
    this.closing.abort();
    return this.server.close();
  }

  // ---- in-process API -----------------------------------------------------------------------

  get computeUrl(): string {
    return `${this.server.url}/compute/v1`;
  }

  /** A token by its connection-file name (`owner`, `viewer`, `alice`, `ci-runner`). */
  token(name = 'owner'): string {
    const t = this.state.tokens[name];
    if (!t) {
      throw new SandboxError(
        `no sandbox gcp token named ${JSON.stringify(name)}; known: ${Object.keys(this.state.tokens).join(', ')}`,
      );
    }
    return t.token;
  }

  getProjectMetadata(project: string): MetadataJson | undefined {
    const p = this.state.projects[project];
    return p ? renderMetadata(p.metadata) : undefined;
  }

  getInstanceMetadata(project: string, zone: string, instance: string): MetadataJson | undefined {
    const i = this.state.instances[`${project}/${zone}/${instance}`];
    return i ? renderMetadata(i.metadata) : undefined;
  }

  /** The LoginProfile as `GET /v1/users/EMAIL/loginProfile` renders it (optionally for one project). */
  getLoginProfile(email: string, projectId?: string): LoginProfileJson | undefined {
    const u = this.state.osloginUsers[email];
    return u ? renderLoginProfile(u, projectId) : undefined;
  }

  /** Adds an OS Login identity (unknown identities answer 404). */
  addOsLoginUser(email: string): void {
    if (!this.state.osloginUsers[email]) {
      this.state.osloginUsers[email] = { email, uniqueId: numericId(21), keys: {}, posixAccounts: {} };
    }
  }

  /** Switches the metadata fingerprint precondition (off = last writer wins). */
  setPreconditionEnabled(enabled: boolean): void {
    this.knobs.preconditionEnabled = enabled;
  }

  /** The next `count` metadata setters return operations that end DONE with the 412 error and change nothing. */
  failNextOperations(count: number): void {
    this.knobs.failNextOperations = Math.max(0, Math.floor(count));
  }

  /** Changes some knobs; checks every name and type first, so a bad request changes nothing. */
  setKnobs(partial: Partial<GcpKnobs>): GcpKnobs {
    const defaults = defaultKnobs();
    const entries = Object.entries(partial);
    for (const [k, v] of entries) {
      if (!(k in defaults)) {
        throw new SandboxError(
          `unknown gcp knob ${JSON.stringify(k)}; known: ${Object.keys(defaults).join(', ')}`,
        );
      }
      const problem =
        k === 'selfLinkBase'
          ? v !== undefined && v !== null && typeof v !== 'string' && 'a URL string or null'
          : k === 'profileSizeStatus'
            ? v !== 'FAILED_PRECONDITION' &&
              v !== 'INVALID_ARGUMENT' &&
              '"FAILED_PRECONDITION" or "INVALID_ARGUMENT"'
            : typeof v !== typeof defaults[k as keyof GcpKnobs] &&
              `a ${typeof defaults[k as keyof GcpKnobs]}`;
      if (problem) throw new SandboxError(`gcp knob ${k} must be ${problem}`);
    }
    const knobs = this.knobs as unknown as Record<string, unknown>;
    for (const [k, v] of entries) knobs[k] = v === null ? undefined : v;
    return { ...this.knobs };
  }

  resetKnobs(): GcpKnobs {
    this.knobs = defaultKnobs();
    return { ...this.knobs };
  }

  vmView(project: string, zone: string, instance: string): VmView | undefined {
    const p = this.state.projects[project];
    const i = this.state.instances[`${project}/${zone}/${instance}`];
    if (!p || !i) return undefined;
    const attrs = (items: { key: string; value?: string }[]) =>
      Object.fromEntries(items.map((it) => [it.key, it.value ?? '']));
    return {
      project: { projectId: p.name, numericProjectId: Number(p.id), attributes: attrs(p.metadata.items) },
      instance: {
        name: i.name,
        id: i.id,
        zone: `projects/${p.id}/zones/${zone}`,
        attributes: attrs(i.metadata.items),
      },
      projectMetadata: renderMetadata(p.metadata),
      instanceMetadata: renderMetadata(i.metadata),
      osLoginProfiles: Object.values(this.state.osloginUsers).map((u) => this.vmProfile(u, project)),
    };
  }

  private vmProfile(u: OsLoginUserState, project: string): LoginProfileJson {
    if (u.posixAccounts[project]) return renderLoginProfile(u, project);
    const provisional: OsLoginUserState = {
      ...u,
      posixAccounts: { [project]: defaultPosixAccount(u, this.knobs.orgDomain) },
    };
    return renderLoginProfile(provisional, project);
  }

  // ---- helpers for the route modules ---------------------------------------------------------

  /** A Compute resource URL for `selfLink`/`targetLink`/`zone`. */
  link(path: string): string {
    return `${this.knobs.selfLinkBase ?? this.computeUrl}/${path}`;
  }

  caller(req: EmuRequest): TokenState {
    const t = this.callers.get(req);
    if (!t) throw new Error('request reached a handler without authentication');
    return t;
  }

  private async authenticate(req: EmuRequest, next: () => Promise<EmuResponse>): Promise<EmuResponse> {
    if (req.path.startsWith('/_sandbox/')) return next();
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const compute = req.path.startsWith('/compute/');
    if (!m) return compute ? computeUnauthenticated(true) : rpcUnauthenticated(true);
    const token = Object.values(this.state.tokens).find((t) => t.token === m[1]);
    if (!token) return compute ? computeUnauthenticated(false) : rpcUnauthenticated(false);
    this.callers.set(req, token);
    return next();
  }
}

/** Starts the Google Cloud emulator (Compute metadata + OS Login) on 127.0.0.1, port chosen by the OS. */
export function startGcpEmulator(opts: { state?: unknown; seed?: boolean } = {}): Promise<GcpEmulator> {
  return GcpEmulator.start(opts);
}
