/**
 * SshKeyDistribution under `pulumi.runtime.setMocks`: the exact child resources (type, name,
 * inputs, options, parent) for several mixes of targets, secrets, and argument errors.
 */
import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { parsePublicKey } from '../../src/keys/public-key.js';
import { bare, ed25519, rsaPublic } from './helpers/keys.js';
import { settle, setupMocks, valueOf, type MockState } from './helpers/mocks.js';
import type * as DistributionModule from '../../src/pulumi/ssh-key-distribution.js';

type Module = typeof DistributionModule;
let mocks: MockState;
let SshKeyDistribution: Module['SshKeyDistribution'];
let fingerprintLabel: Module['fingerprintLabel'];

beforeAll(async () => {
  mocks = await setupMocks();
  ({ SshKeyDistribution, fingerprintLabel } = await import('../../src/pulumi/ssh-key-distribution.js'));
});

const NOW = new Date('2026-12-04T12:00:00Z');

/** The children of a component by name (registration order is asynchronous, so sorted). */
function childrenOf(name: string) {
  return mocks.resources
    .filter((r) => r.name.startsWith(`${name}-`))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function typesAndNames(name: string): [string, string][] {
  return childrenOf(name).map((r) => [r.type, r.name]);
}

function sorted(list: [string, string][]): [string, string][] {
  return [...list].sort((a, b) => a[1].localeCompare(b[1]));
}

function optionsOf(name: string) {
  const o = mocks.options.find((x) => x.name === name);
  if (!o) throw new Error(`no options recorded for ${name}`);
  return o.opts;
}

/** Every output of the component, so that all children have registered. */
function allOutputs(c: InstanceType<Module['SshKeyDistribution']>): pulumi.Output<unknown>[] {
  return [
    c.publicKey,
    c.fingerprint,
    c.githubUserKeyId,
    c.githubDeployKeyIds,
    c.gitlabOwnKeyId,
    c.gitlabUserKeyIds,
    c.gitlabDeployKeyIds,
    c.gcpProjectEntryIds,
    c.gcpInstanceEntryIds,
    c.gcpOsLoginKeyIds,
    ...(c.privateKey ? [c.privateKey] : []),
  ];
}

describe('a given public key on the seed program targets', () => {
  const key = ed25519('alice@laptop');

  it('creates exactly a GitHub user key, a GitLab user key and a merged project entry', async () => {
    const c = new SshKeyDistribution(
      'seed',
      {
        publicKey: key.publicKey,
        github: { userKey: true },
        gitlab: { userKeys: [{ userId: 2 }] },
        gcp: { projectEntries: [{ project: 'ml-prod', user: 'example-user' }] },
        now: NOW,
      },
      { transformations: [mocks.recordOptions] },
    );
    await settle(mocks, allOutputs(c));
    const label = fingerprintLabel(key.fingerprint);
    expect(label).toMatch(/^k[0-9a-f]{8}$/);

    expect(mocks.byName('seed')).toMatchObject({ type: 'keyfleet:index:SshKeyDistribution', custom: false });
    const children = childrenOf('seed');
    expect(typesAndNames('seed')).toEqual(
      sorted([
        ['github:index/userSshKey:UserSshKey', `seed-${label}-github-user`],
        ['pulumi-nodejs:dynamic/keyfleet:GitlabUserKey', `seed-${label}-gitlab-user-2`],
        [
          'pulumi-nodejs:dynamic/keyfleet:GcpMetadataSshKey',
          `seed-${label}-gcp-project-ml-prod/example-user`,
        ],
      ]),
    );
    // The comment is not sent: GitHub strips it and GitLab rewrites it.
    expect(mocks.byName(`seed-${label}-github-user`).inputs).toEqual({
      key: bare(key.publicKey),
      title: 'keyfleet/seed',
    });
    expect(mocks.byName(`seed-${label}-gitlab-user-2`).inputs).toEqual({
      __provider: expect.any(String),
      key: bare(key.publicKey),
      title: 'keyfleet/seed',
      userId: '2',
    });
    expect(mocks.byName(`seed-${label}-gcp-project-ml-prod/example-user`).inputs).toEqual({
      __provider: expect.any(String),
      project: 'ml-prod',
      user: 'example-user',
      key: bare(key.publicKey),
    });

    // The resource classes serialize their (tiny) provider into the __provider input.
    const serialized = String(mocks.byName(`seed-${label}-gitlab-user-2`).inputs.__provider);
    expect(serialized).toContain('exports.handler');
    expect(serialized).toMatch(/providers\/impl\/gitlab-key\.js/);
    expect(serialized.length).toBeLessThan(6000);
    expect(String(mocks.byName(`seed-${label}-gcp-project-ml-prod/example-user`).inputs.__provider)).toMatch(
      /providers\/impl\/gcp-metadata-key\.js/,
    );

    for (const child of children) {
      const opts = optionsOf(child.name);
      expect(opts.parent).toBe(c);
    }
    expect(optionsOf(`seed-${label}-github-user`).deleteBeforeReplace).toBe(true);
    // The dynamic providers decide per diff (delete first only when the key material is unchanged).
    expect(optionsOf(`seed-${label}-gitlab-user-2`).deleteBeforeReplace).toBeUndefined();

    expect(await valueOf(c.fingerprint)).toBe(key.fingerprint);
    expect(await valueOf(c.publicKey)).toBe(bare(key.publicKey));
    expect(c.privateKey).toBeUndefined();
    expect(await valueOf(c.githubUserKeyId)).toMatch(/^\d+$/);
    const gitlabIds = await valueOf(c.gitlabUserKeyIds);
    expect(Object.keys(gitlabIds)).toEqual(['2']);
    expect(gitlabIds['2']).toMatch(/^\d+$/);
    expect(await valueOf(c.gcpProjectEntryIds)).toEqual({
      'ml-prod/example-user': `gcp:project/ml-prod?user=example-user#${key.fingerprint}`,
    });
    expect(await valueOf(c.gitlabOwnKeyId)).toBeUndefined();
    expect(await valueOf(c.previousFingerprint)).toBeUndefined();
    expect(c.rotation).toBeUndefined();
  });

  it('changes every child name when the key changes, so the new key is created before the old one is deleted', async () => {
    const other = ed25519();
    const c = new SshKeyDistribution('seed2', { publicKey: other.publicKey, github: { userKey: true } });
    await settle(mocks, allOutputs(c));
    expect(childrenOf('seed2').map((r) => r.name)).toEqual([
      `seed2-${fingerprintLabel(other.fingerprint)}-github-user`,
    ]);
    expect(fingerprintLabel(other.fingerprint)).not.toBe(fingerprintLabel(key.fingerprint));
  });

  it('keeps the title given per target and the component title', async () => {
    const c = new SshKeyDistribution('titles', {
      publicKey: key.publicKey,
      title: 'ml team',
      github: { userKey: { title: 'alice laptop' } },
      gitlab: { ownKey: true },
    });
    await settle(mocks, allOutputs(c));
    const label = fingerprintLabel(key.fingerprint);
    expect(mocks.byName(`titles-${label}-github-user`).inputs.title).toBe('alice laptop');
    const gl = mocks.byName(`titles-${label}-gitlab-own`);
    expect(gl.inputs).toMatchObject({ title: 'ml team' });
    expect(gl.inputs.userId).toBeUndefined();
    expect(await valueOf(c.gitlabOwnKeyId)).toMatch(/^\d+$/);
  });
});

describe('a generated key on deploy keys, VMs and OS Login', () => {
  it('creates one tls.PrivateKey and exports its private half as a secret only', async () => {
    const c = new SshKeyDistribution(
      'ci',
      {
        generate: {},
        github: { deployKeys: [{ repository: 'trainer', allowWrite: true }] },
        gitlab: {
          deployKeys: [
            { project: 'ml/trainer', canPush: true },
            { project: 'ml/platform/infra', title: 'infra ci' },
          ],
        },
        gcp: {
          instanceEntries: [{ project: 'ml-prod', zone: 'us-central1-a', instance: 'trainer-1', user: 'ci' }],
          osLogin: [{ user: 'ci-runner@ml-prod.iam.gserviceaccount.com' }],
        },
        expiresAt: '2027-06-30T00:00:00Z',
        now: NOW,
      },
      { transformations: [mocks.recordOptions] },
    );
    await settle(mocks, allOutputs(c));

    const children = childrenOf('ci');
    expect(typesAndNames('ci')).toEqual(
      sorted([
        ['tls:index/privateKey:PrivateKey', 'ci-ed25519-key'],
        ['github:index/repositoryDeployKey:RepositoryDeployKey', 'ci-ed25519-github-deploy-trainer'],
        ['pulumi-nodejs:dynamic/keyfleet:GitlabDeployKey', 'ci-ed25519-gitlab-deploy-ml/trainer'],
        ['pulumi-nodejs:dynamic/keyfleet:GitlabDeployKey', 'ci-ed25519-gitlab-deploy-ml/platform/infra'],
        [
          'pulumi-nodejs:dynamic/keyfleet:GcpMetadataSshKey',
          'ci-ed25519-gcp-instance-ml-prod/us-central1-a/trainer-1/ci',
        ],
        [
          'gcp:oslogin/sshPublicKey:SshPublicKey',
          'ci-ed25519-gcp-oslogin-ci-runner@ml-prod.iam.gserviceaccount.com',
        ],
      ]),
    );
    const privateKey = mocks.privateKeys.get('ci-ed25519-key')!;
    const publicKey = await valueOf(c.publicKey);
    expect(mocks.byName('ci-ed25519-key').inputs).toEqual({ algorithm: 'ED25519' });
    expect(optionsOf('ci-ed25519-key').additionalSecretOutputs).toEqual(
      expect.arrayContaining(['privateKeyOpenssh', 'privateKeyPem', 'privateKeyPemPkcs8']),
    );
    expect(mocks.byName('ci-ed25519-github-deploy-trainer').inputs).toEqual({
      key: publicKey,
      title: 'keyfleet/ci',
      repository: 'trainer',
      readOnly: false,
    });
    expect(mocks.byName('ci-ed25519-gitlab-deploy-ml/trainer').inputs).toEqual({
      __provider: expect.any(String),
      project: 'ml/trainer',
      key: publicKey,
      title: 'keyfleet/ci',
      canPush: true,
      expiresAt: '2027-06-30T00:00:00Z',
    });
    const infra = mocks.byName('ci-ed25519-gitlab-deploy-ml/platform/infra');
    expect(infra.inputs).toMatchObject({
      project: 'ml/platform/infra',
      title: 'infra ci',
      expiresAt: '2027-06-30T00:00:00Z',
    });
    expect(infra.inputs.canPush).toBeUndefined();
    expect(mocks.byName('ci-ed25519-gcp-instance-ml-prod/us-central1-a/trainer-1/ci').inputs).toEqual({
      __provider: expect.any(String),
      project: 'ml-prod',
      zone: 'us-central1-a',
      instance: 'trainer-1',
      user: 'ci',
      key: publicKey,
      expiresAt: '2027-06-30T00:00:00Z',
    });
    expect(mocks.byName('ci-ed25519-gcp-oslogin-ci-runner@ml-prod.iam.gserviceaccount.com').inputs).toEqual({
      user: 'ci-runner@ml-prod.iam.gserviceaccount.com',
      key: publicKey,
      expirationTimeUsec: String(Date.parse('2027-06-30T00:00:00Z') * 1000),
    });
    for (const child of children) expect(optionsOf(child.name).parent).toBe(c);

    // The private half: a secret output, and nowhere in any resource's inputs.
    expect(c.privateKey).toBeDefined();
    expect(await pulumi.isSecret(c.privateKey!)).toBe(true);
    expect(await valueOf(c.privateKey!)).toBe(privateKey);
    expect(await pulumi.isSecret(c.publicKey)).toBe(false);
    for (const r of mocks.resources) {
      const text = JSON.stringify(r.inputs);
      expect(text).not.toContain('PRIVATE KEY');
      expect(text).not.toContain(privateKey.split('\n')[1]!);
    }

    expect(await valueOf(c.fingerprint)).toBe(parsePublicKey(publicKey).fingerprint);
    expect(await valueOf(c.githubDeployKeyIds)).toEqual({ trainer: expect.stringMatching(/^trainer:\d+$/) });
    expect(Object.keys(await valueOf(c.gitlabDeployKeyIds))).toEqual(['ml/trainer', 'ml/platform/infra']);
    expect(await valueOf(c.gcpInstanceEntryIds)).toEqual({
      'ml-prod/us-central1-a/trainer-1/ci': expect.stringMatching(
        /^gcp:instance\/ml-prod\/us-central1-a\/trainer-1\?user=ci#SHA256:/,
      ),
    });
    expect(await valueOf(c.gcpOsLoginKeyIds)).toEqual({
      'ci-runner@ml-prod.iam.gserviceaccount.com': expect.stringMatching(
        /^users\/ci-runner@ml-prod\.iam\.gserviceaccount\.com\/sshPublicKeys\/SHA256:/,
      ),
    });
  });

  it('makes GitHub deploy keys read-only unless write is asked for', async () => {
    const c = new SshKeyDistribution('ro', {
      generate: {},
      github: { deployKeys: [{ repository: 'datasets' }] },
    });
    await settle(mocks, allOutputs(c));
    expect(mocks.byName('ro-ed25519-github-deploy-datasets').inputs).toMatchObject({
      repository: 'datasets',
      readOnly: true,
    });
  });

  it.each([
    [
      { algorithm: 'ECDSA' as const, ecdsaCurve: 'P384' as const },
      'ecdsa384',
      { algorithm: 'ECDSA', ecdsaCurve: 'P384' },
      'ECDSA',
    ],
    [{ algorithm: 'RSA' as const, rsaBits: 3072 }, 'rsa3072', { algorithm: 'RSA', rsaBits: 3072 }, 'RSA'],
  ])('generates %j as tls inputs and a matching key', async (generate, tag, inputs, family) => {
    const name = `gen-${tag}`;
    const c = new SshKeyDistribution(name, { generate, gitlab: { ownKey: true } });
    await settle(mocks, allOutputs(c));
    expect(childrenOf(name).map((r) => r.name)).toEqual([`${name}-${tag}-gitlab-own`, `${name}-${tag}-key`]);
    expect(mocks.byName(`${name}-${tag}-key`).inputs).toEqual(inputs);
    expect(parsePublicKey(await valueOf(c.publicKey)).family).toBe(family);
  });
});

describe('a public key given as an Output', () => {
  it('is validated when it resolves and names children with "key"', async () => {
    const key = ed25519();
    const c = new SshKeyDistribution('out', {
      publicKey: pulumi.secret(key.publicKey),
      github: { userKey: true },
    });
    await settle(mocks, allOutputs(c));
    expect(childrenOf('out').map((r) => r.name)).toEqual(['out-key-github-user']);
    expect(await valueOf(c.fingerprint)).toBe(key.fingerprint);
    expect(await pulumi.isSecret(c.fingerprint)).toBe(true);
  });

  it('fails the deployment with the key core message when the Output holds a private key', async () => {
    const key = ed25519();
    // Pulumi reports a program's unhandled rejections as the deployment's error: capture them here
    // instead of letting the test runner treat them as its own failure.
    const saved = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    const seen: unknown[] = [];
    process.on('unhandledRejection', (e) => seen.push(e));
    try {
      const c = new SshKeyDistribution('outbad', {
        publicKey: pulumi.output(key.privateKey),
        github: { userKey: true },
      });
      await expect(valueOf(c.fingerprint)).rejects.toThrow(
        /SshKeyDistribution "outbad": publicKey: this is private key material/,
      );
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    } finally {
      process.removeAllListeners('unhandledRejection');
      for (const l of saved) process.on('unhandledRejection', l);
    }
    expect(seen.length).toBeGreaterThan(0);
    for (const e of seen) {
      expect(String(e)).toMatch(/SshKeyDistribution "outbad": publicKey: this is private key material/);
      expect(String(e)).not.toContain(key.privateKey.split('\n')[1]!);
    }
  });
});

describe('argument errors are thrown by the constructor, before anything is registered', () => {
  const key = ed25519();
  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'a private key as the public key',
      { publicKey: key.privateKey },
      /^SshKeyDistribution "bad": publicKey: this is private key material/,
    ],
    [
      'a forbidden key',
      { publicKey: rsaPublic(1024) },
      /publicKey: the key is forbidden .*below 2048 bits is forbidden/,
    ],
    [
      'one deploy key for two GitHub repositories',
      { generate: {}, github: { deployKeys: [{ repository: 'a' }, { repository: 'b' }] } },
      /github: one key would be registered on GitHub 2 times/,
    ],
    [
      'a malformed GitLab project',
      { generate: {}, gitlab: { deployKeys: [{ project: '/x' }] } },
      /gitlab\.deployKeys\[0\]\.project: invalid target/,
    ],
    [
      'rotation of a given key',
      { publicKey: key.publicKey, rotateEvery: '30d' },
      /rotateEvery: needs generate/,
    ],
  ])('%s', (_what, args, re) => {
    const before = mocks.resources.length;
    expect(() => new SshKeyDistribution('bad', args)).toThrow(re);
    expect(mocks.resources.length).toBe(before);
    expect(mocks.resources.some((r) => r.name === 'bad')).toBe(false);
  });

  it('warns (and places the key) when the key is weak but the policy fails only forbidden keys', async () => {
    const warn = vi.spyOn(pulumi.log, 'warn');
    const c = new SshKeyDistribution('weak', { publicKey: rsaPublic(2048), gitlab: { ownKey: true } });
    await settle(mocks, allOutputs(c));
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/^publicKey: SHA256:.*below 3072 bits is weak/),
      c,
    );
    expect(childrenOf('weak')).toHaveLength(1);
    warn.mockRestore();
  });
});
