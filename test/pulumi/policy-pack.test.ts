/**
 * policy/index.ts hands keyfleet's rules to @pulumi/policy. The engine is not available here, so
 * PolicyPack is replaced by a recorder and each policy's validateResource is called the way the
 * policy server calls it.
 */
import { describe, expect, it, vi } from 'vitest';
import type { PolicyPackArgs, ResourceValidationArgs, ResourceValidationPolicy } from '@pulumi/policy';
import { ed25519, rsaPublic } from './helpers/keys.js';

const packs: { name: string; args: PolicyPackArgs }[] = [];
vi.mock('@pulumi/policy', () => ({
  PolicyPack: class {
    constructor(name: string, args: PolicyPackArgs) {
      packs.push({ name, args });
    }
  },
}));

function validate(
  policy: ResourceValidationPolicy,
  type: string,
  props: Record<string, unknown>,
  config: Record<string, unknown> = {},
): string[] {
  const violations: string[] = [];
  const args = {
    type,
    props,
    urn: `urn:pulumi:s::p::${type}::r`,
    name: 'r',
    getConfig: () => config,
  } as unknown as ResourceValidationArgs;
  const fns = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
  for (const fn of fns) void fn(args, (message) => violations.push(message));
  return violations;
}

describe('policy/index.ts', () => {
  it('registers one pack with every rule, and each rule reports through reportViolation', async () => {
    await import('../../policy/index.js');
    expect(packs).toHaveLength(1);
    const pack = packs[0]!;
    expect(pack.name).toBe('keyfleet');
    const policies = pack.args.policies as ResourceValidationPolicy[];
    expect(policies.map((p) => [p.name, p.enforcementLevel])).toEqual([
      ['keyfleet-no-project-metadata', 'mandatory'],
      ['keyfleet-no-ssh-keys-metadata-item', 'mandatory'],
      ['keyfleet-no-instance-ssh-keys', 'advisory'],
      ['keyfleet-no-write-deploy-keys', 'mandatory'],
      ['keyfleet-no-forbidden-keys', 'mandatory'],
      ['keyfleet-no-weak-keys', 'advisory'],
      ['keyfleet-oslogin-keys-expire', 'mandatory'],
    ]);
    const byName = (n: string) => policies.find((p) => p.name === n)!;

    expect(
      validate(
        byName('keyfleet-no-ssh-keys-metadata-item'),
        'gcp:compute/projectMetadataItem:ProjectMetadataItem',
        { key: 'ssh-keys', value: '' },
      ),
    ).toHaveLength(1);
    // A rule ignores types it is not about.
    expect(
      validate(byName('keyfleet-no-ssh-keys-metadata-item'), 'github:index/userSshKey:UserSshKey', {
        key: 'ssh-keys',
      }),
    ).toEqual([]);

    const deploy = { repository: 'infra', key: ed25519().publicKey, title: 't', readOnly: false };
    const write = byName('keyfleet-no-write-deploy-keys');
    expect(validate(write, 'github:index/repositoryDeployKey:RepositoryDeployKey', deploy)).toHaveLength(1);
    expect(
      validate(write, 'github:index/repositoryDeployKey:RepositoryDeployKey', deploy, {
        allowedRepositories: ['infra'],
      }),
    ).toEqual([]);
    expect(write.configSchema?.properties.allowedRepositories).toMatchObject({ type: 'array' });

    const [msg] = validate(
      byName('keyfleet-no-forbidden-keys'),
      'pulumi-nodejs:dynamic/keyfleet:GitlabUserKey',
      { key: rsaPublic(1024), title: 't' },
    );
    expect(msg).toMatch(/below 2048 bits is forbidden/);
  });
});
