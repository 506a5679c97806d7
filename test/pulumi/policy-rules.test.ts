import { describe, expect, it } from 'vitest';
import {
  checkResource,
  keysIn,
  POLICY_RULES,
  TYPES,
  type ResourceUnderTest,
} from '../../src/pulumi/policy-rules.js';
import { bare, dsaPublic, ed25519, rsaPublic } from './helpers/keys.js';

const NOW = new Date('2026-12-04T12:00:00Z');
const good = ed25519();
const weak = rsaPublic(2048);
const forbidden = rsaPublic(1024);
const dsa = dsaPublic();
const usec = (iso: string) => String(Date.parse(iso) * 1000);

function rulesBroken(
  resource: ResourceUnderTest,
  configs: Record<string, Record<string, unknown>> = {},
): string[] {
  return checkResource(resource, configs, NOW).map((v) => v.rule);
}

describe('policy rules: resources that break them and resources that keep them', () => {
  const cases: [string, ResourceUnderTest, string[]][] = [
    // Project metadata: denied whatever it holds (it owns every item).
    [
      'ProjectMetadata with ssh-keys',
      { type: TYPES.gcpProjectMetadata, props: { metadata: { 'ssh-keys': `alice:${good.publicKey}` } } },
      ['keyfleet-no-project-metadata'],
    ],
    [
      'ProjectMetadata without ssh-keys',
      { type: TYPES.gcpProjectMetadata, props: { metadata: { 'enable-oslogin': 'TRUE' } } },
      ['keyfleet-no-project-metadata'],
    ],
    [
      'ProjectMetadataItem ssh-keys',
      { type: TYPES.gcpProjectMetadataItem, props: { key: 'ssh-keys', value: `alice:${good.publicKey}` } },
      ['keyfleet-no-ssh-keys-metadata-item'],
    ],
    [
      'ProjectMetadataItem legacy sshKeys',
      { type: TYPES.gcpProjectMetadataItem, props: { key: 'sshKeys', value: '' } },
      ['keyfleet-no-ssh-keys-metadata-item'],
    ],
    [
      'ProjectMetadataItem for another key',
      { type: TYPES.gcpProjectMetadataItem, props: { key: 'enable-oslogin', value: 'TRUE' } },
      [],
    ],
    [
      'an Instance owning ssh-keys',
      { type: TYPES.gcpInstance, props: { metadata: { 'ssh-keys': `alice:${good.publicKey}` } } },
      ['keyfleet-no-instance-ssh-keys'],
    ],
    [
      'an Instance without ssh-keys',
      { type: TYPES.gcpInstance, props: { metadata: { 'enable-oslogin': 'TRUE' } } },
      [],
    ],
    // Write access.
    [
      'a write GitHub deploy key',
      {
        type: TYPES.githubDeployKey,
        props: { repository: 'trainer', key: good.publicKey, title: 't', readOnly: false },
      },
      ['keyfleet-no-write-deploy-keys'],
    ],
    [
      'a read-only GitHub deploy key',
      {
        type: TYPES.githubDeployKey,
        props: { repository: 'trainer', key: good.publicKey, title: 't', readOnly: true },
      },
      [],
    ],
    [
      'a GitHub deploy key with the default (read-only)',
      { type: TYPES.githubDeployKey, props: { repository: 'trainer', key: good.publicKey, title: 't' } },
      [],
    ],
    [
      'a pushing GitLab deploy key',
      {
        type: TYPES.gitlabDeployKey,
        props: { project: 'ml/trainer', key: good.publicKey, title: 't', canPush: true },
      },
      ['keyfleet-no-write-deploy-keys'],
    ],
    [
      'a read-only GitLab deploy key',
      { type: TYPES.gitlabDeployKey, props: { project: 'ml/trainer', key: good.publicKey, title: 't' } },
      [],
    ],
    // Key material.
    [
      'a forbidden GitHub user key',
      { type: TYPES.githubUserKey, props: { key: forbidden, title: 't' } },
      ['keyfleet-no-forbidden-keys'],
    ],
    [
      'a DSA GitLab user key',
      { type: TYPES.gitlabUserKey, props: { key: dsa, title: 't' } },
      ['keyfleet-no-forbidden-keys'],
    ],
    [
      'a weak metadata entry',
      { type: TYPES.gcpMetadataSshKey, props: { project: 'p', user: 'u', key: weak } },
      ['keyfleet-no-weak-keys'],
    ],
    [
      'a good metadata entry',
      { type: TYPES.gcpMetadataSshKey, props: { project: 'p', user: 'u', key: good.publicKey } },
      [],
    ],
    [
      'a private key as a deploy key',
      {
        type: TYPES.githubDeployKey,
        props: { repository: 'r', key: good.privateKey, title: 't', readOnly: true },
      },
      ['keyfleet-no-forbidden-keys'],
    ],
    [
      'garbage as a key',
      { type: TYPES.githubUserKey, props: { key: 'ssh-ed25519 nope', title: 't' } },
      ['keyfleet-no-forbidden-keys'],
    ],
    [
      'a forbidden key in instance metadata',
      { type: TYPES.gcpInstance, props: { metadata: { 'ssh-keys': `bob:${forbidden}` } } },
      ['keyfleet-no-instance-ssh-keys', 'keyfleet-no-forbidden-keys'],
    ],
    [
      'a forbidden key in the official GitLab provider',
      { type: TYPES.gitlabProviderDeployKey, props: { project: 'x/y', key: forbidden, title: 't' } },
      ['keyfleet-no-forbidden-keys'],
    ],
    [
      'tls RSA 1024',
      { type: TYPES.tlsPrivateKey, props: { algorithm: 'RSA', rsaBits: 1024 } },
      ['keyfleet-no-forbidden-keys'],
    ],
    [
      'tls RSA with its default 2048 bits',
      { type: TYPES.tlsPrivateKey, props: { algorithm: 'RSA' } },
      ['keyfleet-no-weak-keys'],
    ],
    [
      'tls ECDSA with its default P224',
      { type: TYPES.tlsPrivateKey, props: { algorithm: 'ECDSA' } },
      ['keyfleet-no-forbidden-keys'],
    ],
    ['tls ED25519', { type: TYPES.tlsPrivateKey, props: { algorithm: 'ED25519' } }, []],
    // OS Login expiry.
    [
      'an OS Login key without expiry',
      { type: TYPES.gcpOsLoginKey, props: { user: 'a@example.com', key: good.publicKey } },
      ['keyfleet-oslogin-keys-expire'],
    ],
    [
      'an OS Login key with "0"',
      {
        type: TYPES.gcpOsLoginKey,
        props: { user: 'a@example.com', key: good.publicKey, expirationTimeUsec: '0' },
      },
      ['keyfleet-oslogin-keys-expire'],
    ],
    [
      'an expiring OS Login key',
      {
        type: TYPES.gcpOsLoginKey,
        props: {
          user: 'a@example.com',
          key: good.publicKey,
          expirationTimeUsec: usec('2027-01-01T00:00:00Z'),
        },
      },
      [],
    ],
    ['an unrelated resource', { type: 'github:index/repository:Repository', props: { name: 'x' } }, []],
  ];

  it.each(cases)('%s → %j', (_what, resource, rules) => {
    expect(rulesBroken(resource)).toEqual(rules);
  });

  it('never echoes private key material', () => {
    const [v] = checkResource(
      { type: TYPES.githubUserKey, props: { key: good.privateKey, title: 't' } },
      {},
      NOW,
    );
    expect(v!.message).toBe('key holds private key material, where a public key belongs');
  });

  it('reports the key core findings with the fingerprint', () => {
    const [v] = checkResource({ type: TYPES.githubUserKey, props: { key: forbidden, title: 't' } }, {}, NOW);
    expect(v!.message).toMatch(
      /^key: the key SHA256:\S+ is forbidden: RSA key is 1024 bits; below 2048 bits is forbidden/,
    );
    expect(v!.enforcementLevel).toBe('mandatory');
  });
});

describe('policy configuration', () => {
  const write = {
    type: TYPES.githubDeployKey,
    props: { repository: 'infra', key: good.publicKey, title: 't', readOnly: false },
  };

  it('allows write deploy keys on listed repositories and projects only', () => {
    const cfg = { 'keyfleet-no-write-deploy-keys': { allowedRepositories: ['infra', 'ml/platform/infra'] } };
    expect(rulesBroken(write, cfg)).toEqual([]);
    expect(rulesBroken({ ...write, props: { ...write.props, repository: 'trainer' } }, cfg)).toEqual([
      'keyfleet-no-write-deploy-keys',
    ]);
    expect(
      rulesBroken(
        {
          type: TYPES.gitlabDeployKey,
          props: { project: 'ml/platform/infra', key: good.publicKey, canPush: true },
        },
        cfg,
      ),
    ).toEqual([]);
    expect(rulesBroken(write, { 'keyfleet-no-write-deploy-keys': { allowedRepositories: ['*'] } })).toEqual(
      [],
    );
  });

  it('tunes key strength', () => {
    const r = { type: TYPES.githubUserKey, props: { key: weak, title: 't' } };
    expect(rulesBroken(r, { 'keyfleet-no-weak-keys': { minRsaBits: 2048 } })).toEqual([]);
    expect(
      rulesBroken(
        { type: TYPES.githubUserKey, props: { key: good.publicKey } },
        { 'keyfleet-no-forbidden-keys': { allowedTypes: ['RSA'] } },
      ),
    ).toEqual(['keyfleet-no-forbidden-keys']);
  });

  it('caps OS Login lifetimes with maxDays', () => {
    const r = {
      type: TYPES.gcpOsLoginKey,
      props: { user: 'a@example.com', key: good.publicKey, expirationTimeUsec: usec('2027-12-01T00:00:00Z') },
    };
    expect(rulesBroken(r, { 'keyfleet-oslogin-keys-expire': { maxDays: 90 } })).toEqual([
      'keyfleet-oslogin-keys-expire',
    ]);
    expect(rulesBroken(r, { 'keyfleet-oslogin-keys-expire': { maxDays: 400 } })).toEqual([]);
  });
});

describe('keysIn', () => {
  it('finds every key of an instance ssh-keys value, by line', () => {
    const value = [
      `alice:${good.publicKey}`,
      '',
      `bob:${bare(weak)} google-ssh {"userName":"bob@x","expireOn":"2030-01-01T00:00:00+0000"}`,
    ].join('\n');
    const keys = keysIn({ type: TYPES.gcpInstance, props: { metadata: { 'ssh-keys': value } } });
    expect(keys.map((k) => [k.where, k.key?.fingerprint])).toEqual([
      ['metadata["ssh-keys"] line 1', good.fingerprint],
      ['metadata["ssh-keys"] line 3', expect.stringMatching(/^SHA256:/)],
    ]);
  });
});

describe('rule metadata', () => {
  it('has unique names, descriptions and no reserved config keys', () => {
    const names = POLICY_RULES.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const r of POLICY_RULES) {
      expect(r.name).toMatch(/^keyfleet-[a-z-]+$/);
      expect(r.description.length).toBeGreaterThan(20);
      expect(Object.keys(r.configSchema?.properties ?? {})).not.toContain('enforcementLevel');
    }
  });
});
