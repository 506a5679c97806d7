/**
 * Inputs and outputs of keyfleet's dynamic resources, as the provider functions see them (plain
 * values). Outputs repeat the inputs because Pulumi diffs old *outputs* against new inputs.
 * No credential is ever an input or an output: providers read them from the environment.
 */

/** A key of a GitLab user: the token's own (`userId` absent) or another user's (admin token). */
export interface GitlabUserKeyInputs {
  /** OpenSSH public key text. */
  key: string;
  title: string;
  /** Numeric id or username; absent = the token's own account (`/user/keys`). */
  userId?: string;
  /** RFC 3339. */
  expiresAt?: string;
}

export interface GitlabUserKeyOutputs extends GitlabUserKeyInputs {
  /** Canonical target text, e.g. `gitlab:user/2`. */
  target: string;
  /** GitLab's key id. */
  keyId: string;
  /** `SHA256:…`, computed locally from the key material. */
  fingerprint: string;
  /** True when an identical key (same fingerprint) was already there and was taken over. */
  adopted: boolean;
}

/** A GitLab project deploy key. */
export interface GitlabDeployKeyInputs {
  /** Project path or numeric id. */
  project: string;
  key: string;
  title: string;
  canPush?: boolean;
  expiresAt?: string;
}

export interface GitlabDeployKeyOutputs extends GitlabDeployKeyInputs {
  target: string;
  keyId: string;
  fingerprint: string;
  adopted: boolean;
}

/** One `USER:KEY` line in project (no `zone`/`instance`) or instance `ssh-keys` metadata. */
export interface GcpMetadataSshKeyInputs {
  project: string;
  zone?: string;
  instance?: string;
  /** The login name on the VM. */
  user: string;
  key: string;
  /** RFC 3339; written as `google-ssh {"userName":…,"expireOn":…}`. */
  expiresAt?: string;
}

export interface GcpMetadataSshKeyOutputs extends GcpMetadataSshKeyInputs {
  /** e.g. `gcp:project/ml-prod?user=alice`. */
  target: string;
  fingerprint: string;
  adopted: boolean;
}
