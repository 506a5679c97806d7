/**
 * examples/mlops-ssh-keys under the same mocks as the component tests, with stack config set the
 * way `pulumi config set` would: once with a generated key, once with a key from config.
 */
import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { fingerprintLabel } from '../../src/pulumi/ssh-key-distribution.js';
import { bare, ed25519 } from './helpers/keys.js';
import { settle, setupMocks, valueOf, type MockState } from './helpers/mocks.js';

const PROJECT = 'mlops-ssh-keys';
let mocks: MockState;

beforeAll(async () => {
  mocks = await setupMocks({ project: PROJECT, stack: 'dev' });
});

async function runExample(config: Record<string, string>) {
  pulumi.runtime.setAllConfig(config);
  mocks.resources.length = 0;
  vi.resetModules();
  const program = await import('../../examples/mlops-ssh-keys/index.js');
  await settle(mocks, [
    program.fingerprint,
    program.githubKeyId,
    program.gitlabKeyId,
    program.gcpProjectEntryId,
    program.publicKeyOpenssh,
  ]);
  return program;
}

describe('examples/mlops-ssh-keys', () => {
  it('generates a key when no publicKey is configured, and exports ids, fingerprint and the private key as a secret', async () => {
    const program = await runExample({
      [`${PROJECT}:gitlabUserId`]: '2',
      [`${PROJECT}:gcpProject`]: 'ml-prod',
    });
    expect(mocks.resources.map((r) => [r.type, r.name]).sort((a, b) => a[1]!.localeCompare(b[1]!))).toEqual([
      ['keyfleet:index:SshKeyDistribution', 'mlops'],
      ['pulumi-nodejs:dynamic/keyfleet:GcpMetadataSshKey', 'mlops-ed25519-gcp-project-ml-prod/example-user'],
      ['github:index/userSshKey:UserSshKey', 'mlops-ed25519-github-user'],
      ['pulumi-nodejs:dynamic/keyfleet:GitlabUserKey', 'mlops-ed25519-gitlab-user-2'],
      ['tls:index/privateKey:PrivateKey', 'mlops-ed25519-key'],
    ]);
    // No resource owns all project metadata or the whole ssh-keys value.
    expect(mocks.resources.some((r) => r.type.startsWith('gcp:compute/projectMetadata'))).toBe(false);

    const fingerprint = await valueOf(program.fingerprint);
    expect(fingerprint).toMatch(/^SHA256:/);
    expect(await valueOf(program.githubKeyId)).toMatch(/^\d+$/);
    expect(await valueOf(program.gitlabKeyId)).toMatch(/^\d+$/);
    expect(await valueOf(program.gcpProjectEntryId)).toBe(
      `gcp:project/ml-prod?user=example-user#${fingerprint}`,
    );
    expect(program.privateKey).toBeDefined();
    expect(await pulumi.isSecret(program.privateKey!)).toBe(true);
    expect(await valueOf(program.privateKey!)).toBe(mocks.privateKeys.get('mlops-ed25519-key'));
    expect(mocks.byName('mlops-ed25519-github-user').inputs.title).toBe('mlops');
  });

  it('places the configured public key, names children by its fingerprint and exports no private key', async () => {
    const key = ed25519('engineer@ml');
    const program = await runExample({
      [`${PROJECT}:publicKey`]: key.publicKey,
      [`${PROJECT}:gitlabUserId`]: '3',
      'gcp:project': 'ml-oslogin',
      [`${PROJECT}:gcpUser`]: 'engineer',
    });
    const label = fingerprintLabel(key.fingerprint);
    expect(mocks.resources.map((r) => r.name).sort()).toEqual([
      'mlops',
      `mlops-${label}-gcp-project-ml-oslogin/engineer`,
      `mlops-${label}-github-user`,
      `mlops-${label}-gitlab-user-3`,
    ]);
    expect(mocks.byName(`mlops-${label}-gitlab-user-3`).inputs).toMatchObject({
      key: bare(key.publicKey),
      userId: '3',
    });
    expect(await valueOf(program.fingerprint)).toBe(key.fingerprint);
    expect(program.privateKey).toBeUndefined();
  });

  it('stops with the key core message when the configured key is a private key', async () => {
    const key = ed25519();
    await expect(
      runExample({
        [`${PROJECT}:publicKey`]: key.privateKey,
        [`${PROJECT}:gitlabUserId`]: '2',
        [`${PROJECT}:gcpProject`]: 'ml-prod',
      }),
    ).rejects.toThrow(/SshKeyDistribution "mlops": publicKey: this is private key material/);
  });
});
