/**
 * A dynamic resource for one `USER:KEY` line in Google Cloud project or instance `ssh-keys`
 * metadata, merged with the lines already there. (`gcp.compute.ProjectMetadata` owns all project
 * metadata and `ProjectMetadataItem` the whole `ssh-keys` value: both delete other people's keys.)
 *
 * Tiny on purpose: Pulumi serializes the provider with everything it reaches (pulumi/pulumi
 * #13960), so the methods import the implementation by absolute URL when they run. Credentials:
 * Application Default Credentials of the provider process, or KEYFLEET_PULUMI_SANDBOX.
 */
import * as pulumi from '@pulumi/pulumi';
import type { GcpMetadataSshKeyInputs, GcpMetadataSshKeyOutputs } from './types.js';
import type { ModuleLoader } from './gitlab-key.js';
import type * as ImplModule from './impl/gcp-metadata-key.js';

type Impl = typeof ImplModule;

const IMPL_URL = new URL('./impl/gcp-metadata-key.js', import.meta.url).href;
// A plain `import()` hidden from bundlers and test transformers (see gitlab-key.ts).
const nativeImport = new Function('url', 'return import(url)') as ModuleLoader;

/** The provider of `GcpMetadataSshKey`; `load` is replaceable for tests that run it in-process. */
export function gcpMetadataSshKeyProvider(
  load: ModuleLoader = nativeImport,
): pulumi.dynamic.ResourceProvider<GcpMetadataSshKeyInputs, GcpMetadataSshKeyOutputs> {
  const impl = async () => ((await load(IMPL_URL)) as Impl).metadataKey;
  return {
    check: async (olds, news) => (await impl()).check(olds, news),
    diff: async (id, olds, news) => (await impl()).diff(id, olds, news),
    create: async (inputs) => (await impl()).create(inputs),
    read: async (id, props) => (await impl()).read(id, props),
    update: async (id, olds, news) => (await impl()).update(id, olds, news),
    delete: async (id, props) => (await impl()).delete(id, props),
  };
}

const provider = gcpMetadataSshKeyProvider();

export interface GcpMetadataSshKeyArgs {
  /** The project id. */
  readonly project: pulumi.Input<string>;
  /** The zone, for an instance entry (with `instance`). @default project metadata */
  readonly zone?: pulumi.Input<string>;
  /** The instance name, for an instance entry (with `zone`). @default project metadata */
  readonly instance?: pulumi.Input<string>;
  /** The login name on the VMs. */
  readonly user: pulumi.Input<string>;
  /** The OpenSSH public key. */
  readonly key: pulumi.Input<string>;
  /** RFC 3339; written as `google-ssh {"userName":…,"expireOn":…}` and updated in place. @default never expires */
  readonly expiresAt?: pulumi.Input<string>;
}

/**
 * One line of `ssh-keys` metadata (`pulumi-nodejs:dynamic/keyfleet:GcpMetadataSshKey`); id
 * `gcp:project/P?user=U#SHA256:…` or `gcp:instance/P/Z/I?user=U#SHA256:…`.
 */
export class GcpMetadataSshKey extends pulumi.dynamic.Resource {
  declare readonly project: pulumi.Output<string>;
  declare readonly zone: pulumi.Output<string | undefined>;
  declare readonly instance: pulumi.Output<string | undefined>;
  declare readonly user: pulumi.Output<string>;
  declare readonly key: pulumi.Output<string>;
  declare readonly expiresAt: pulumi.Output<string | undefined>;
  /** Canonical target text. */
  declare readonly target: pulumi.Output<string>;
  /** `SHA256:…` of the key. */
  declare readonly fingerprint: pulumi.Output<string>;
  /** True when the same user already had this key and the line was taken over. */
  declare readonly adopted: pulumi.Output<boolean>;

  constructor(name: string, args: GcpMetadataSshKeyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        zone: undefined,
        instance: undefined,
        expiresAt: undefined,
        ...args,
        target: undefined,
        fingerprint: undefined,
        adopted: undefined,
      },
      opts,
      'keyfleet',
      'GcpMetadataSshKey',
    );
  }
}
