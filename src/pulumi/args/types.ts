/**
 * The arguments of `SshKeyDistribution`. Fields that decide *which* resources exist (target
 * lists, repository and project names, rotation) are plain values: Pulumi cannot create
 * resources from values it does not know yet. Everything else is a `pulumi.Input`.
 */
import type * as pulumi from '@pulumi/pulumi';
import type { Policy } from '../../keys/policy.js';

/** Key generation with `@pulumi/tls`. The private half is kept in the stack as a secret. */
export interface GenerateKeyArgs {
  /**
   * The algorithm of the generated key.
   * @default "ED25519"
   */
  readonly algorithm?: 'ED25519' | 'ECDSA' | 'RSA';
  /**
   * The curve when `algorithm` is `ECDSA` (P224 is not an SSH curve and is refused).
   * @default "P256"
   */
  readonly ecdsaCurve?: 'P256' | 'P384' | 'P521';
  /**
   * The modulus size when `algorithm` is `RSA`; at least the key policy's `minRsaBits` (3072).
   * @default 4096
   */
  readonly rsaBits?: number;
}

/** The key as an authentication key of the GitHub account behind the `github` provider's token. */
export interface GithubUserKeyArgs {
  /**
   * The title shown in GitHub's SSH key settings.
   * @default the component's `title`
   */
  readonly title?: pulumi.Input<string>;
}

/** The key as a deploy key of one repository (GitHub allows a key on one repository only). */
export interface GithubDeployKeyArgs {
  /**
   * The repository name, without the owner: the owner is the `github` provider's `owner`
   * (`pulumi config set github:owner ORG`). Plain: it names the child resource.
   */
  readonly repository: string;
  /**
   * Whether the key may push. Write access is refused by the keyfleet policy pack unless allowed there.
   * @default false (read-only)
   */
  readonly allowWrite?: pulumi.Input<boolean>;
  /**
   * The deploy key's title.
   * @default the component's `title`
   */
  readonly title?: pulumi.Input<string>;
}

export interface GithubTargetsArgs {
  /** Register the key on the token's own GitHub account (`true` or options). */
  readonly userKey?: boolean | GithubUserKeyArgs;
  /** Deploy keys, one per repository. One key can serve one repository only (GitHub refuses a second registration). */
  readonly deployKeys?: readonly GithubDeployKeyArgs[];
}

/** A GitLab user key. */
export interface GitlabUserKeyTargetArgs {
  /**
   * The title shown in GitLab's SSH key settings.
   * @default the component's `title`
   */
  readonly title?: pulumi.Input<string>;
  /**
   * When GitLab stops accepting the key (RFC 3339).
   * @default the component's `expiresAt`, or the generation's retirement when rotating
   */
  readonly expiresAt?: pulumi.Input<string>;
}

/** A key of another GitLab user (needs an administrator token). */
export interface GitlabOtherUserKeyArgs extends GitlabUserKeyTargetArgs {
  /** The numeric user id (or username). Plain: it names the child resource. */
  readonly userId: number | string;
}

/** A GitLab project deploy key. */
export interface GitlabDeployKeyArgs {
  /** The project path (`group/subgroup/project`) or numeric id. Plain: it names the child resource. */
  readonly project: string;
  /**
   * Whether the key may push. Refused by the keyfleet policy pack unless allowed there.
   * @default false
   */
  readonly canPush?: pulumi.Input<boolean>;
  /**
   * The deploy key's title.
   * @default the component's `title`
   */
  readonly title?: pulumi.Input<string>;
  /**
   * When GitLab stops accepting the key (RFC 3339).
   * @default the component's `expiresAt`, or the generation's retirement when rotating
   */
  readonly expiresAt?: pulumi.Input<string>;
}

export interface GitlabTargetsArgs {
  /** The key on the GitLab token's own account (`true` or options). */
  readonly ownKey?: boolean | GitlabUserKeyTargetArgs;
  /** The key on other users' accounts. GitLab holds a key once per instance, so at most one user key in all. */
  readonly userKeys?: readonly GitlabOtherUserKeyArgs[];
  /** Deploy keys: the same key may serve several projects (GitLab shares one deploy key between them). */
  readonly deployKeys?: readonly GitlabDeployKeyArgs[];
}

/** A line `USER:KEY` in a project's `ssh-keys` metadata, merged with the lines already there. */
export interface GcpProjectEntryArgs {
  /** The project id. Plain: it names the child resource. */
  readonly project: string;
  /** The login name on the VMs (no whitespace, `/`, `:` or leading `-`). Plain: it names the child resource. */
  readonly user: string;
  /**
   * When the guest agent stops accepting the key (written as `google-ssh {"expireOn":…}`).
   * @default the component's `expiresAt`, or the generation's retirement when rotating
   */
  readonly expiresAt?: pulumi.Input<string>;
}

/** A line `USER:KEY` in one VM's `ssh-keys` metadata. */
export interface GcpInstanceEntryArgs extends GcpProjectEntryArgs {
  /** The zone, e.g. `us-central1-a`. */
  readonly zone: string;
  /** The instance name. */
  readonly instance: string;
}

/** An OS Login key of a Google identity. */
export interface GcpOsLoginArgs {
  /** The user's or service account's email. Plain: it names the child resource. */
  readonly user: string;
  /** The project the `google` provider uses for the call. @default the provider's project */
  readonly project?: pulumi.Input<string>;
  /**
   * When the key expires (RFC 3339). OS Login keys must expire (the login profile is capped at 32 KiB).
   * @default the component's `expiresAt`, or the generation's retirement when rotating
   */
  readonly expiresAt?: pulumi.Input<string>;
}

export interface GcpTargetsArgs {
  /** Entries in project-wide `ssh-keys` metadata (every VM of the project that does not block project keys). */
  readonly projectEntries?: readonly GcpProjectEntryArgs[];
  /** Entries in single VMs' `ssh-keys` metadata. */
  readonly instanceEntries?: readonly GcpInstanceEntryArgs[];
  /** OS Login keys (for VMs with `enable-oslogin=TRUE`, which ignore metadata keys). */
  readonly osLogin?: readonly GcpOsLoginArgs[];
}

export interface SshKeyDistributionArgs {
  /**
   * The OpenSSH public key (`TYPE BASE64 [COMMENT]`) to place. Give this or `generate`.
   * A plain string is validated in the constructor; an Output when it resolves.
   */
  readonly publicKey?: pulumi.Input<string>;
  /** Generate the key instead (ED25519 by default); the private half is the secret output `privateKey`. */
  readonly generate?: GenerateKeyArgs;
  /**
   * The title given to the key on every platform that has titles.
   * @default `keyfleet/NAME` (with the generation's start when rotating)
   */
  readonly title?: pulumi.Input<string>;
  /** GitHub targets (through `@pulumi/github`; the owner and token come from its provider config). */
  readonly github?: GithubTargetsArgs;
  /** GitLab targets (keyfleet dynamic resources; `GITLAB_TOKEN` and `GITLAB_URL`/`CI_SERVER_URL` from the environment). */
  readonly gitlab?: GitlabTargetsArgs;
  /** Google Cloud targets: metadata entries (keyfleet dynamic resources, merged) and OS Login (`@pulumi/gcp`). */
  readonly gcp?: GcpTargetsArgs;
  /**
   * When every placement that records an expiry (GitLab, Google Cloud) expires (RFC 3339).
   * @default none, or each generation's retirement when rotating
   */
  readonly expiresAt?: pulumi.Input<string>;
  /**
   * Rotate the generated key this often (`30d`, `12h`, `2w`…). Needs `generate`.
   * @default no rotation
   */
  readonly rotateEvery?: string;
  /**
   * How long the previous key stays placed after a rotation, so that consumers can switch.
   * @default the shorter of 7 days and half of `rotateEvery`
   */
  readonly gracePeriod?: string;
  /**
   * When generation 0 starts (RFC 3339); generation `n` starts at `anchor + n·rotateEvery`.
   * Set it to the stack's first deployment to rotate on that rhythm.
   * @default "1970-01-01T00:00:00Z"
   */
  readonly rotationAnchor?: string;
  /**
   * The key policy the key must pass (the key core's `Policy`: `minRsaBits`, `allowedTypes`…).
   * Forbidden or expired keys are refused; weak keys are refused when `failOn` is `weak`, else warned about.
   * @default the key core's DEFAULT_POLICY
   */
  readonly keyPolicy?: Partial<Policy>;
  /**
   * The instant that decides the rotation generation.
   * @default the time the program runs (tests inject a clock here)
   */
  readonly now?: Date;
}
