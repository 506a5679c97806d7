/**
 * Dynamic resources for GitLab keys (no GitLab provider package is available to keyfleet).
 *
 * Pulumi serializes a dynamic provider's functions, with everything they reach, into the stack
 * (pulumi/pulumi #13960): these provider objects therefore hold nothing but the absolute URL of
 * their implementation and a loader, and each method imports the implementation when it runs.
 * Credentials come from the provider process's environment (GITLAB_TOKEN, GITLAB_URL or
 * CI_SERVER_URL; KEYFLEET_PULUMI_SANDBOX for the local sandbox), never from inputs.
 */
import * as pulumi from '@pulumi/pulumi';
import type {
  GitlabDeployKeyInputs,
  GitlabDeployKeyOutputs,
  GitlabUserKeyInputs,
  GitlabUserKeyOutputs,
} from './types.js';
import type * as ImplModule from './impl/gitlab-key.js';

type Impl = typeof ImplModule;
/** Loads a module by absolute URL. */
export type ModuleLoader = (url: string) => Promise<unknown>;

const IMPL_URL = new URL('./impl/gitlab-key.js', import.meta.url).href;
// A plain `import()` hidden from bundlers and test transformers, which would otherwise rewrite
// it into a helper that cannot be serialized.
const nativeImport = new Function('url', 'return import(url)') as ModuleLoader;

/** The provider of `GitlabUserKey`; `load` is replaceable for tests that run it in-process. */
export function gitlabUserKeyProvider(
  load: ModuleLoader = nativeImport,
): pulumi.dynamic.ResourceProvider<GitlabUserKeyInputs, GitlabUserKeyOutputs> {
  const impl = async () => ((await load(IMPL_URL)) as Impl).userKey;
  return {
    check: async (olds, news) => (await impl()).check(olds, news),
    diff: async (id, olds, news) => (await impl()).diff(id, olds, news),
    create: async (inputs) => (await impl()).create(inputs),
    read: async (id, props) => (await impl()).read(id, props),
    delete: async (id, props) => (await impl()).delete(id, props),
  };
}

/** The provider of `GitlabDeployKey`. */
export function gitlabDeployKeyProvider(
  load: ModuleLoader = nativeImport,
): pulumi.dynamic.ResourceProvider<GitlabDeployKeyInputs, GitlabDeployKeyOutputs> {
  const impl = async () => ((await load(IMPL_URL)) as Impl).deployKey;
  return {
    check: async (olds, news) => (await impl()).check(olds, news),
    diff: async (id, olds, news) => (await impl()).diff(id, olds, news),
    create: async (inputs) => (await impl()).create(inputs),
    read: async (id, props) => (await impl()).read(id, props),
    update: async (id, olds, news) => (await impl()).update(id, olds, news),
    delete: async (id, props) => (await impl()).delete(id, props),
  };
}

const userKeyProvider = gitlabUserKeyProvider();
const deployKeyProvider = gitlabDeployKeyProvider();

export interface GitlabUserKeyArgs {
  /** The OpenSSH public key. */
  readonly key: pulumi.Input<string>;
  /** The title shown in GitLab. A change replaces the key (GitLab cannot rename one): delete first, then add. */
  readonly title: pulumi.Input<string>;
  /** Another user's numeric id or username (needs an administrator token). @default the token's own account */
  readonly userId?: pulumi.Input<string>;
  /** RFC 3339 expiry. @default none */
  readonly expiresAt?: pulumi.Input<string>;
}

/** A GitLab user key (`pulumi-nodejs:dynamic/keyfleet:GitlabUserKey`); id `gitlab:user[/ID]#KEY_ID`. */
export class GitlabUserKey extends pulumi.dynamic.Resource {
  declare readonly key: pulumi.Output<string>;
  declare readonly title: pulumi.Output<string>;
  declare readonly userId: pulumi.Output<string | undefined>;
  declare readonly expiresAt: pulumi.Output<string | undefined>;
  /** Canonical target text, e.g. `gitlab:user/2`. */
  declare readonly target: pulumi.Output<string>;
  /** GitLab's key id. */
  declare readonly keyId: pulumi.Output<string>;
  /** `SHA256:…` of the key. */
  declare readonly fingerprint: pulumi.Output<string>;
  /** True when an identical key was already there and was taken over (destroying the resource removes it). */
  declare readonly adopted: pulumi.Output<boolean>;

  constructor(name: string, args: GitlabUserKeyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      userKeyProvider,
      name,
      {
        userId: undefined,
        expiresAt: undefined,
        ...args,
        target: undefined,
        keyId: undefined,
        fingerprint: undefined,
        adopted: undefined,
      },
      opts,
      'keyfleet',
      'GitlabUserKey',
    );
  }
}

export interface GitlabDeployKeyArgs {
  /** The project path (`group/project`) or numeric id. */
  readonly project: pulumi.Input<string>;
  /** The OpenSSH public key. */
  readonly key: pulumi.Input<string>;
  /** The title shown in GitLab (updated in place). */
  readonly title: pulumi.Input<string>;
  /** Write access (updated in place). @default false */
  readonly canPush?: pulumi.Input<boolean>;
  /** RFC 3339 expiry; a change replaces the key (delete first). @default none */
  readonly expiresAt?: pulumi.Input<string>;
}

/** A GitLab deploy key (`pulumi-nodejs:dynamic/keyfleet:GitlabDeployKey`); id `gitlab:project/PATH#KEY_ID`. */
export class GitlabDeployKey extends pulumi.dynamic.Resource {
  declare readonly project: pulumi.Output<string>;
  declare readonly key: pulumi.Output<string>;
  declare readonly title: pulumi.Output<string>;
  declare readonly canPush: pulumi.Output<boolean | undefined>;
  declare readonly expiresAt: pulumi.Output<string | undefined>;
  declare readonly target: pulumi.Output<string>;
  declare readonly keyId: pulumi.Output<string>;
  declare readonly fingerprint: pulumi.Output<string>;
  declare readonly adopted: pulumi.Output<boolean>;

  constructor(name: string, args: GitlabDeployKeyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      deployKeyProvider,
      name,
      {
        canPush: undefined,
        expiresAt: undefined,
        ...args,
        target: undefined,
        keyId: undefined,
        fingerprint: undefined,
        adopted: undefined,
      },
      opts,
      'keyfleet',
      'GitlabDeployKey',
    );
  }
}
