/**
 * The Google Cloud emulator's persisted state and its run-time knobs. State is plain JSON so
 * that `keyfleet sandbox --state FILE` can save and restore it; knobs are not persisted (they are
 * test switches, reset on every start).
 */

export interface MetadataItem {
  key: string;
  value?: string;
}

/** Compute `Metadata` as stored: the opaque fingerprint and the whole item list. */
export interface MetadataState {
  fingerprint: string;
  items: MetadataItem[];
}

export interface ProjectState {
  name: string;
  /** Project number, uint64 as a decimal string. */
  id: string;
  /** Milliseconds since epoch. */
  created: number;
  metadata: MetadataState;
}

export interface InstanceState {
  project: string;
  zone: string;
  name: string;
  id: string;
  created: number;
  machineType: string;
  networkIP: string;
  /** The instance's own fingerprint (changes with any instance update, as in the real API). */
  fingerprint: string;
  metadata: MetadataState;
}

export interface OperationState {
  name: string;
  id: string;
  project: string;
  /** Set for zonal operations. */
  zone?: string;
  operationType: 'setMetadata';
  /** Path under the Compute root, e.g. `projects/P` or `projects/P/zones/Z/instances/I`. */
  targetPath: string;
  targetId: string;
  user: string;
  clientOperationId?: string;
  /** Milliseconds since epoch. */
  insertTime: number;
  doneAt: number;
  /** Set when the operation ends with the asynchronous fingerprint failure (the change was not applied). */
  failed?: boolean;
}

export interface OsLoginKeyState {
  key: string;
  expirationTimeUsec?: string;
}

export interface PosixAccountState {
  username: string;
  uid: string;
  gid: string;
  homeDirectory: string;
  shell: string;
}

export interface OsLoginUserState {
  email: string;
  /** Google's numeric user id (21 digits). */
  uniqueId: string;
  /** fingerprint (64 lowercase hex) -> key */
  keys: Record<string, OsLoginKeyState>;
  /** projectId -> POSIX account */
  posixAccounts: Record<string, PosixAccountState>;
}

export type TokenRole = 'owner' | 'viewer' | 'user';

export interface TokenState {
  token: string;
  /** The identity the token stands for (operations' `user`, OS Login "self"). */
  principal: string;
  /**
   * owner: every Compute and OS Login permission; viewer: read only everywhere; user: Compute read
   * only, OS Login read and write on its own profile only.
   */
  role: TokenRole;
}

export interface GcpState {
  version: 1;
  /** token name (as in the connection file) -> token */
  tokens: Record<string, TokenState>;
  projects: Record<string, ProjectState>;
  /** `project/zone/instance` -> instance */
  instances: Record<string, InstanceState>;
  /** `project/global/NAME` or `project/zones/ZONE/NAME` -> operation */
  operations: Record<string, OperationState>;
  /** `project|requestId` -> operation key, for idempotent replays */
  requestIds: Record<string, string>;
  /** email -> OS Login user */
  osloginUsers: Record<string, OsLoginUserState>;
}

/** Switches for tests and demonstrations; `[U]` behaviours of the real API have a knob each. */
export interface GcpKnobs {
  /** Enforce the metadata fingerprint precondition at all (off = last writer wins, for the lost-update demo). */
  preconditionEnabled: boolean;
  /** With the precondition on: a setter without `fingerprint` is rejected with 412 (docs say it is required) [U]. */
  requireFingerprint: boolean;
  /** How long a metadata operation stays PENDING/RUNNING before DONE. */
  operationDelayMs: number;
  /** How long `operations/wait` blocks at most before answering a not-yet-DONE operation (real: about 2 minutes). */
  waitDeadlineMs: number;
  /** The next N metadata setters return an operation that ends DONE with the fingerprint error and change nothing. */
  failNextOperations: number;
  /** Largest metadata value in bytes. */
  maxValueBytes: number;
  /** Largest total of all metadata keys and values in bytes. */
  maxTotalBytes: number;
  /** Add a top-level `status` (e.g. `FAILED_PRECONDITION`) to Compute error bodies [U]. */
  computeErrorStatus: boolean;
  /** Largest OS Login profile (its JSON) in bytes. */
  profileSizeLimit: number;
  /** The canonical status of the 400 answered when a profile would exceed the limit [U]. */
  profileSizeStatus: 'FAILED_PRECONDITION' | 'INVALID_ARGUMENT';
  /** Base of `selfLink`/`targetLink`/`zone` URLs; default: the emulator's own Compute URL (never the internet). */
  selfLinkBase: string | undefined;
  /** Users outside this domain get the `ext_` prefix on their POSIX username. */
  orgDomain: string;
}

export function defaultKnobs(): GcpKnobs {
  return {
    preconditionEnabled: true,
    requireFingerprint: true,
    operationDelayMs: 50,
    waitDeadlineMs: 5000,
    failNextOperations: 0,
    maxValueBytes: 262144,
    maxTotalBytes: 524288,
    computeErrorStatus: false,
    profileSizeLimit: 32768,
    profileSizeStatus: 'FAILED_PRECONDITION',
    selfLinkBase: undefined,
    orgDomain: 'example.com',
  };
}

/** Compute `Metadata` as the API renders it. */
export interface MetadataJson {
  kind: 'compute#metadata';
  fingerprint: string;
  items?: MetadataItem[];
}

export interface SshPublicKeyJson {
  key: string;
  expirationTimeUsec?: string;
  fingerprint: string;
  name: string;
}

export interface PosixAccountJson {
  primary: boolean;
  username: string;
  uid: string;
  gid: string;
  homeDirectory: string;
  shell: string;
  accountId: string;
  operatingSystemType: 'LINUX';
  name: string;
}

export interface LoginProfileJson {
  name: string;
  posixAccounts?: PosixAccountJson[];
  sshPublicKeys?: Record<string, SshPublicKeyJson>;
}

/** The `gcp` section of the sandbox connection file (SANDBOX-CONTRACT.md). */
export type { GcpConnection as GcpConnectionInfo } from '../connection.js';
