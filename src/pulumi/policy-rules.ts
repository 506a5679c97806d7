/**
 * keyfleet's policy rules as pure functions of a resource's type and inputs, so that they can be
 * table-tested without the policy engine. `policy/index.ts` turns them into a `@pulumi/policy`
 * PolicyPack. Each rule returns its violation messages (empty: the resource complies).
 *
 * Messages never echo key material: a private key pasted where a public key belongs is reported
 * by property name only.
 */
import { KeyParseError } from '../keys/errors.js';
import { evaluateKey, type Policy } from '../keys/policy.js';
import { isPrivateKeyMaterial, parsePublicKey } from '../keys/public-key.js';
import type { PublicKey } from '../keys/types.js';
import { parseSshKeys } from '../platforms/gcp/ssh-keys-codec.js';

export type EnforcementLevel = 'advisory' | 'mandatory' | 'remediate' | 'disabled';

export interface ResourceUnderTest {
  type: string;
  props: Record<string, unknown>;
}

export interface PolicyRule {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  severity: 'low' | 'medium' | 'high' | 'critical';
  /** JSON schema of the rule's configuration (`pulumi policy enable … --config`, or `policy-config.json`). */
  configSchema?: { properties: Record<string, Record<string, unknown>> };
  /** The resource types the rule looks at. */
  types: readonly string[];
  check(resource: ResourceUnderTest, config: Record<string, unknown>, now: Date): string[];
}

export const TYPES = {
  githubUserKey: 'github:index/userSshKey:UserSshKey',
  githubDeployKey: 'github:index/repositoryDeployKey:RepositoryDeployKey',
  gcpProjectMetadata: 'gcp:compute/projectMetadata:ProjectMetadata',
  gcpProjectMetadataItem: 'gcp:compute/projectMetadataItem:ProjectMetadataItem',
  gcpInstance: 'gcp:compute/instance:Instance',
  gcpInstanceTemplate: 'gcp:compute/instanceTemplate:InstanceTemplate',
  gcpOsLoginKey: 'gcp:oslogin/sshPublicKey:SshPublicKey',
  gitlabUserKey: 'pulumi-nodejs:dynamic/keyfleet:GitlabUserKey',
  gitlabDeployKey: 'pulumi-nodejs:dynamic/keyfleet:GitlabDeployKey',
  gcpMetadataSshKey: 'pulumi-nodejs:dynamic/keyfleet:GcpMetadataSshKey',
  // The official GitLab provider's types, for programs that use it.
  gitlabProviderUserKey: 'gitlab:index/userSshKey:UserSshKey',
  gitlabProviderDeployKey: 'gitlab:index/deployKey:DeployKey',
  tlsPrivateKey: 'tls:index/privateKey:PrivateKey',
} as const;

const SSH_KEY_ITEMS = ['ssh-keys', 'sshKeys'];

/** Resource types and the input that holds a public key. */
const KEY_PROPS: Readonly<Record<string, string>> = {
  [TYPES.githubUserKey]: 'key',
  [TYPES.githubDeployKey]: 'key',
  [TYPES.gcpOsLoginKey]: 'key',
  [TYPES.gitlabUserKey]: 'key',
  [TYPES.gitlabDeployKey]: 'key',
  [TYPES.gcpMetadataSshKey]: 'key',
  [TYPES.gitlabProviderUserKey]: 'key',
  [TYPES.gitlabProviderDeployKey]: 'key',
};

function metadataSshKeys(props: Record<string, unknown>): { item: string; value: string }[] {
  const md = props.metadata;
  if (md === null || typeof md !== 'object') return [];
  const out: { item: string; value: string }[] = [];
  for (const item of SSH_KEY_ITEMS) {
    const v = (md as Record<string, unknown>)[item];
    if (typeof v === 'string') out.push({ item, value: v });
  }
  return out;
}

/** Every public key a resource's inputs hold, with where it is; unparsable or private text as a problem. */
export function keysIn(resource: ResourceUnderTest): { where: string; key?: PublicKey; problem?: string }[] {
  const out: { where: string; key?: PublicKey; problem?: string }[] = [];
  const prop = KEY_PROPS[resource.type];
  if (prop !== undefined) {
    const text = resource.props[prop];
    if (typeof text === 'string') out.push({ where: prop, ...parseOne(text) });
  }
  if (
    resource.type === TYPES.gcpInstance ||
    resource.type === TYPES.gcpInstanceTemplate ||
    resource.type === TYPES.gcpProjectMetadataItem
  ) {
    const values =
      resource.type === TYPES.gcpProjectMetadataItem
        ? SSH_KEY_ITEMS.includes(String(resource.props.key)) && typeof resource.props.value === 'string'
          ? [{ item: String(resource.props.key), value: resource.props.value }]
          : []
        : metadataSshKeys(resource.props);
    for (const { item, value } of values) {
      const where = resource.type === TYPES.gcpProjectMetadataItem ? 'value' : `metadata["${item}"]`;
      if (isPrivateKeyMaterial(value)) {
        out.push({ where, problem: 'holds private key material' });
        continue;
      }
      parseSshKeys(value).forEach((line, i) => {
        if (line.kind === 'key' && line.key) out.push({ where: `${where} line ${i + 1}`, key: line.key });
      });
    }
  }
  return out;
}

function parseOne(text: string): { key?: PublicKey; problem?: string } {
  if (isPrivateKeyMaterial(text))
    return { problem: 'holds private key material, where a public key belongs' };
  try {
    return { key: parsePublicKey(text) };
  } catch (err) {
    if (err instanceof KeyParseError) return { problem: `is not a valid public key: ${err.reason}` };
    throw err;
  }
}

function keyPolicy(config: Record<string, unknown>, now: Date): Partial<Policy> {
  const p: Partial<Policy> = { now };
  if (typeof config.minRsaBits === 'number') p.minRsaBits = config.minRsaBits;
  if (typeof config.forbiddenRsaBits === 'number') p.forbiddenRsaBits = config.forbiddenRsaBits;
  if (Array.isArray(config.allowedTypes)) p.allowedTypes = config.allowedTypes.map(String);
  return p;
}

const KEY_POLICY_SCHEMA = {
  properties: {
    minRsaBits: { type: 'integer', description: 'RSA keys below this are weak (default 3072)' },
    forbiddenRsaBits: { type: 'integer', description: 'RSA keys below this are forbidden (default 2048)' },
    allowedTypes: {
      type: 'array',
      items: { type: 'string' },
      description: 'only these key types or families pass',
    },
  },
};

/** True when `name` (a repository or project) is in the allow list (`*` allows all). */
function allowed(list: unknown, names: string[]): boolean {
  if (!Array.isArray(list)) return false;
  return list.some((entry) => entry === '*' || names.includes(String(entry)));
}

export const POLICY_RULES: readonly PolicyRule[] = [
  {
    name: 'keyfleet-no-project-metadata',
    description:
      'No gcp.compute.ProjectMetadata: it owns all project metadata and deletes every item it does not list, including the ssh-keys lines of other users, gcloud and other teams.',
    enforcementLevel: 'mandatory',
    severity: 'high',
    types: [TYPES.gcpProjectMetadata],
    check: (r) => [
      `gcp.compute.ProjectMetadata replaces ALL project metadata: every item not in this program, including other people's ssh-keys lines, is deleted${
        metadataSshKeys(r.props).length ? ', and its own ssh-keys value clobbers every existing key' : ''
      } (terraform-provider-google #340). Use keyfleet's SshKeyDistribution / GcpMetadataSshKey for SSH keys (one merged line each) and ProjectMetadataItem for other items.`,
    ],
  },
  {
    name: 'keyfleet-no-ssh-keys-metadata-item',
    description:
      "No gcp.compute.ProjectMetadataItem for ssh-keys: it owns the whole value and wipes every other user's key.",
    enforcementLevel: 'mandatory',
    severity: 'high',
    types: [TYPES.gcpProjectMetadataItem],
    check: (r) =>
      SSH_KEY_ITEMS.includes(String(r.props.key))
        ? [
            `ProjectMetadataItem "${String(r.props.key)}" owns the whole value: applying it removes every SSH key other users, gcloud and OS Login tooling put there. Use keyfleet's GcpMetadataSshKey (or SshKeyDistribution gcp.projectEntries), which merges one line and keeps the rest.`,
          ]
        : [],
  },
  {
    name: 'keyfleet-no-instance-ssh-keys',
    description:
      "A VM's ssh-keys set in its metadata map is owned whole by the program and fights the keys gcloud and the console add.",
    enforcementLevel: 'advisory',
    severity: 'medium',
    types: [TYPES.gcpInstance, TYPES.gcpInstanceTemplate],
    check: (r) =>
      metadataSshKeys(r.props).map(
        ({ item }) =>
          `metadata["${item}"] makes this program own the VM's whole ${item} value: keys that gcloud compute ssh or the console inject are removed on every update. Use keyfleet's GcpMetadataSshKey with zone and instance instead.`,
      ),
  },
  {
    name: 'keyfleet-no-write-deploy-keys',
    description:
      "Deploy keys are read-only unless the repository or project is allowed in this policy's config (allowedRepositories).",
    enforcementLevel: 'mandatory',
    severity: 'high',
    configSchema: {
      properties: {
        allowedRepositories: {
          type: 'array',
          items: { type: 'string' },
          description:
            'GitHub repository names or GitLab project paths whose deploy keys may push; "*" allows all',
        },
      },
    },
    types: [TYPES.githubDeployKey, TYPES.gitlabDeployKey, TYPES.gitlabProviderDeployKey],
    check: (r, config) => {
      if (r.type === TYPES.githubDeployKey) {
        const repo = String(r.props.repository ?? '');
        if (r.props.readOnly !== false || allowed(config.allowedRepositories, [repo])) return [];
        return [
          `the deploy key on GitHub repository "${repo}" has write access (readOnly: false). A leaked deploy key with write access can push to the repository; keep readOnly (the default) or add "${repo}" to this policy's allowedRepositories.`,
        ];
      }
      const project = String(r.props.project ?? '');
      if (r.props.canPush !== true || allowed(config.allowedRepositories, [project])) return [];
      return [
        `the deploy key on GitLab project "${project}" can push (canPush: true). Keep it read-only or add "${project}" to this policy's allowedRepositories.`,
      ];
    },
  },
  {
    name: 'keyfleet-no-forbidden-keys',
    description:
      'No forbidden, expired, malformed or private key material where a resource expects an SSH public key.',
    enforcementLevel: 'mandatory',
    severity: 'critical',
    configSchema: KEY_POLICY_SCHEMA,
    types: [
      ...Object.keys(KEY_PROPS),
      TYPES.gcpInstance,
      TYPES.gcpInstanceTemplate,
      TYPES.gcpProjectMetadataItem,
      TYPES.tlsPrivateKey,
    ],
    check: (r, config, now) => {
      if (r.type === TYPES.tlsPrivateKey) {
        const algorithm = String(r.props.algorithm ?? '');
        const curve = String(r.props.ecdsaCurve ?? 'P224');
        if (algorithm === 'ECDSA' && curve === 'P224') {
          return [
            "tls.PrivateKey ECDSA with curve P224 (tls's default) has no OpenSSH form: set ecdsaCurve to P256, P384 or P521, or use ED25519",
          ];
        }
        const bits = Number(r.props.rsaBits ?? 2048);
        const forbidden = typeof config.forbiddenRsaBits === 'number' ? config.forbiddenRsaBits : 2048;
        return algorithm === 'RSA' && bits < forbidden
          ? [
              `tls.PrivateKey generates an RSA key of ${bits} bits; below ${forbidden} bits is forbidden: use ED25519 (or RSA ${forbidden}+)`,
            ]
          : [];
      }
      const policy = keyPolicy(config, now);
      const out: string[] = [];
      for (const k of keysIn(r)) {
        if (k.problem) {
          out.push(`${k.where} ${k.problem}`);
          continue;
        }
        const result = evaluateKey(k.key!, policy);
        if (result.verdict === 'forbidden' || result.verdict === 'expired') {
          out.push(
            `${k.where}: the key ${k.key!.fingerprint} is ${result.verdict}: ${result.findings.map((f) => f.message).join('; ')}`,
          );
        }
      }
      return out;
    },
  },
  {
    name: 'keyfleet-no-weak-keys',
    description:
      'SSH public keys should not be weak (e.g. RSA below 3072 bits); generated RSA keys should have at least minRsaBits.',
    enforcementLevel: 'advisory',
    severity: 'medium',
    configSchema: KEY_POLICY_SCHEMA,
    types: [
      ...Object.keys(KEY_PROPS),
      TYPES.gcpInstance,
      TYPES.gcpInstanceTemplate,
      TYPES.gcpProjectMetadataItem,
      TYPES.tlsPrivateKey,
    ],
    check: (r, config, now) => {
      const policy = keyPolicy(config, now);
      if (r.type === TYPES.tlsPrivateKey) {
        const bits = Number(r.props.rsaBits ?? 2048);
        const min = policy.minRsaBits ?? 3072;
        const forbidden = policy.forbiddenRsaBits ?? 2048;
        return r.props.algorithm === 'RSA' && bits >= forbidden && bits < min
          ? [
              `tls.PrivateKey generates an RSA key of ${bits} bits; below ${min} bits is weak: use ED25519 (or RSA ${min}+)`,
            ]
          : [];
      }
      const out: string[] = [];
      for (const k of keysIn(r)) {
        if (!k.key) continue;
        const result = evaluateKey(k.key, policy);
        if (result.verdict === 'weak') {
          out.push(
            `${k.where}: the key ${k.key.fingerprint} is weak: ${result.findings.map((f) => f.message).join('; ')}`,
          );
        }
      }
      return out;
    },
  },
  {
    name: 'keyfleet-oslogin-keys-expire',
    description:
      'OS Login keys must set expirationTimeUsec (keys without expiry fill the 32 KiB login profile and live forever).',
    enforcementLevel: 'mandatory',
    severity: 'medium',
    configSchema: {
      properties: {
        maxDays: { type: 'integer', description: 'the longest allowed lifetime from now, in days' },
      },
    },
    types: [TYPES.gcpOsLoginKey],
    check: (r, config, now) => {
      const raw = r.props.expirationTimeUsec;
      if (raw === undefined || raw === null || raw === '') {
        return [
          'the OS Login key has no expirationTimeUsec: it never expires, and keys without expiry fill the 32 KiB login profile ("Login profile size exceeds 32 KiB"). Set one (SshKeyDistribution sets it from expiresAt or the rotation schedule).',
        ];
      }
      if (!/^[0-9]+$/.test(String(raw)) || String(raw) === '0') {
        return [
          `expirationTimeUsec ${JSON.stringify(raw)} is not a time in microseconds since the epoch (and "0" counts as already expired)`,
        ];
      }
      const ms = Number(BigInt(String(raw)) / 1000n);
      if (typeof config.maxDays === 'number' && ms > now.getTime() + config.maxDays * 86_400_000) {
        return [
          `the OS Login key expires ${new Date(ms).toISOString()}, more than ${config.maxDays} days from now (maxDays)`,
        ];
      }
      return [];
    },
  },
];

/** Runs every rule that applies to `resource`; `configs` maps rule names to their configuration. */
export function checkResource(
  resource: ResourceUnderTest,
  configs: Readonly<Record<string, Record<string, unknown>>> = {},
  now: Date = new Date(),
): { rule: string; enforcementLevel: EnforcementLevel; message: string }[] {
  const out: { rule: string; enforcementLevel: EnforcementLevel; message: string }[] = [];
  for (const rule of POLICY_RULES) {
    if (!rule.types.includes(resource.type)) continue;
    for (const message of rule.check(resource, configs[rule.name] ?? {}, now)) {
      out.push({ rule: rule.name, enforcementLevel: rule.enforcementLevel, message });
    }
  }
  return out;
}
