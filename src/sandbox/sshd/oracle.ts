/**
 * What the sandbox's SSH hosts ask at connection time. The git hosts ask the GitHub and GitLab
 * emulators who owns a key and what it may reach; the VMs ask the Google Cloud emulator which
 * keys a user may log in with, by the guest agent's rules.
 */
export type GitHostName = 'github' | 'gitlab';

export interface GitKeyIdentity {
  /** False when no user or deploy key with this fingerprint exists (or it has expired): sshd denies. */
  known: boolean;
  /** e.g. `user alice` or `deploy key 12` (for logs and messages). */
  principal?: string;
  reason?: string;
}

export interface GitRepoAccess {
  allowed: boolean;
  write: boolean;
  reason?: string;
}

export interface GitAccessOracle {
  identify(host: GitHostName, fingerprint: string): Promise<GitKeyIdentity> | GitKeyIdentity;
  access(host: GitHostName, fingerprint: string, repo: string): Promise<GitRepoAccess> | GitRepoAccess;
  /** Repositories the host serves, as `OWNER/REPO` or `GROUP/.../PROJECT`. */
  repositories(host: GitHostName): string[];
}

export interface VmOracle {
  /** `PROJECT/ZONE/INSTANCE` of every VM the sandbox runs. */
  vms(): string[];
  /** Usernames that exist on the VM now (metadata users and OS Login POSIX accounts), as the guest agent would create them. */
  users(vm: string): string[];
  /** `type base64` of every key the VM accepts for `user` right now. */
  acceptedKeys(vm: string, user: string): string[];
}
