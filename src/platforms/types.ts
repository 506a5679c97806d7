/**
 * One interface for every platform that holds SSH keys. The CLI, the Pulumi dynamic providers
 * and the audit all go through it; each platform has one adapter (github/, gitlab/, gcp/).
 */
import type { PublicKey } from '../keys/types.js';

export type Platform = 'github' | 'gitlab' | 'gcp';

/** Where keys live. Parsed from and formatted to text such as `github:repo/OWNER/REPO?write`. */
export type Target =
  /** The authentication keys of the token's own GitHub account. */
  | { platform: 'github'; kind: 'user' }
  /** Another GitHub account's public keys (read only). */
  | { platform: 'github'; kind: 'user-public'; login: string }
  /** A repository's deploy keys; `write` grants push. */
  | { platform: 'github'; kind: 'repo'; owner: string; repo: string; write: boolean }
  /** The GitLab token's own keys. */
  | { platform: 'gitlab'; kind: 'user' }
  /** A GitLab user's keys by numeric id or username (writes need an admin token). */
  | { platform: 'gitlab'; kind: 'user-admin'; user: string }
  /** A GitLab project's deploy keys; `push` grants write access. */
  | { platform: 'gitlab'; kind: 'project'; path: string; push: boolean }
  /** A line for `user` in a Google Cloud project's `ssh-keys` metadata. */
  | { platform: 'gcp'; kind: 'project'; project: string; user: string }
  /** A line for `user` in one VM's `ssh-keys` metadata. */
  | { platform: 'gcp'; kind: 'instance'; project: string; zone: string; instance: string; user: string }
  /** An OS Login key of a Google identity. */
  | { platform: 'gcp'; kind: 'oslogin'; email: string };

/** A key as it sits on a platform. `fingerprint` is always computed locally from the key material. */
export interface PlacedKey {
  /** Canonical target text this key was listed from. */
  target: string;
  /** The platform's id for the key (GitHub/GitLab numeric id as text; GCP: the fingerprint). */
  id: string;
  /** `type base64 [comment]` as the platform returned it (comments may be stripped or rewritten). */
  publicKey: string;
  fingerprint: string;
  type: string;
  bits: number;
  title?: string;
  /** ISO 8601 */
  createdAt?: string;
  /** ISO 8601, when the platform records an expiry. */
  expiresAt?: string;
  /** Deploy keys: true when the key cannot push. */
  readOnly?: boolean;
  /** GCP metadata: the username of the line. */
  user?: string;
  /** Who added it, where the platform says. */
  addedBy?: string;
}

export interface AddOptions {
  title?: string;
  expiresAt?: Date;
  dryRun?: boolean;
}

export interface AddResult {
  status: 'added' | 'present' | 'would-add';
  key: PlacedKey;
  /** Things the user should know (e.g. "enable-oslogin is TRUE: the VM ignores metadata keys"). */
  warnings: string[];
  /** What was done beyond a plain add (e.g. "enabled the existing deploy key 12 on this project"). */
  notes?: string[];
}

export interface RemoveResult {
  status: 'removed' | 'absent' | 'would-remove';
  /** e.g. "this was the deploy key's last project: GitLab deleted the key". */
  notes: string[];
}

export interface KeyPlatform {
  readonly platform: Platform;
  list(target: Target): Promise<PlacedKey[]>;
  add(target: Target, key: PublicKey, options?: AddOptions): Promise<AddResult>;
  remove(target: Target, id: string, options?: { dryRun?: boolean }): Promise<RemoveResult>;
  findByFingerprint(target: Target, fingerprint: string): Promise<PlacedKey[]>;
}
