/**
 * The question the sandbox's SSH git host asks an emulator when a key connects: who is this key,
 * and may it read or write this repository? Answered from the emulator's live state, the way
 * GitHub's and GitLab's own SSH front ends consult their key tables.
 */
export interface KeyIdentity {
  /** False when no usable key has this fingerprint (unknown, expired, disabled): sshd denies. */
  known: boolean;
  /** e.g. `user alice` or `deploy key 12`. */
  principal?: string;
  reason: string;
}

export interface AccessAnswer {
  allowed: boolean;
  /** True when the key may push. */
  write: boolean;
  /** The account whose key it is (user keys). */
  user?: string;
  /** The deploy key's id (deploy keys). */
  deployKeyId?: number;
  /** Why, in a few words (for logs and test messages). */
  reason: string;
}

/** `GET /_sandbox/access?fingerprint=SHA256:…&repo=OWNER/REPO` answers this shape as JSON. */
export function denied(reason: string): AccessAnswer {
  return { allowed: false, write: false, reason };
}
