/** examples/ci-deploy-keys under mocks: one rotated key per repository on each platform, private halves secret. */
import * as pulumi from '@pulumi/pulumi';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { planRotation, resolveSchedule } from '../../src/pulumi/rotation.js';
import { settle, setupMocks, valueOf, type MockState } from './helpers/mocks.js';
import type * as CiProgram from '../../examples/ci-deploy-keys/index.js';

const PROJECT = 'ci-deploy-keys';
let mocks: MockState;
let program: typeof CiProgram;

// The example runs on the wall clock; fix it (Date only) inside a grace window: 2 days after the
// generation of 2026-01-31 started, so the generation of 2026-01-01 is still placed.
const NOW = new Date('2026-02-02T00:00:00Z');

beforeAll(async () => {
  vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
  mocks = await setupMocks({
    project: PROJECT,
    stack: 'prod',
    config: {
      [`${PROJECT}:githubRepos`]: JSON.stringify(['trainer', 'datasets']),
      [`${PROJECT}:gitlabProjects`]: JSON.stringify(['ml/trainer', 'ml/platform/infra']),
      [`${PROJECT}:rotateEvery`]: '30d',
      [`${PROJECT}:gracePeriod`]: '7d',
      [`${PROJECT}:rotationAnchor`]: '2026-01-01T00:00:00Z',
    },
  });
  program = await import('../../examples/ci-deploy-keys/index.js');
  await settle(mocks, [program.fingerprints, program.previousFingerprints, program.privateKeys]);
});

afterAll(() => {
  vi.useRealTimers();
});

describe('examples/ci-deploy-keys', () => {
  const plan = planRotation(
    resolveSchedule({ rotateEvery: '30d', gracePeriod: '7d', rotationAnchor: '2026-01-01T00:00:00Z' }),
    NOW,
  );
  const stamps = [plan.current.stamp, plan.previous!.stamp];

  it('is inside the grace window of the rotation of 2026-01-31', () => {
    expect(stamps).toEqual(['20260131t0000z', '20260101t0000z']);
  });

  it('creates one read-only deploy key per repository and generation, each from its own generated key', () => {
    const expected: [string, string][] = [];
    for (const [component, slug, type] of [
      ['ci-github-trainer', 'github-deploy-trainer', 'github:index/repositoryDeployKey:RepositoryDeployKey'],
      [
        'ci-github-datasets',
        'github-deploy-datasets',
        'github:index/repositoryDeployKey:RepositoryDeployKey',
      ],
      ['ci-gitlab-ml-trainer', 'gitlab-deploy-ml/trainer', 'pulumi-nodejs:dynamic/keyfleet:GitlabDeployKey'],
      [
        'ci-gitlab-ml-platform-infra',
        'gitlab-deploy-ml/platform/infra',
        'pulumi-nodejs:dynamic/keyfleet:GitlabDeployKey',
      ],
    ] as const) {
      expected.push(['keyfleet:index:SshKeyDistribution', component]);
      for (const stamp of stamps) {
        expected.push(['time:index/rotating:Rotating', `${component}-ed25519-${stamp}-rotation`]);
        expected.push(['tls:index/privateKey:PrivateKey', `${component}-ed25519-${stamp}-key`]);
        expected.push([type, `${component}-ed25519-${stamp}-${slug}`]);
      }
    }
    const sort = (l: [string, string][]) => [...l].sort((a, b) => a[1].localeCompare(b[1]));
    expect(sort(mocks.resources.map((r) => [r.type, r.name]))).toEqual(sort(expected));

    for (const r of mocks.resources) {
      if (r.type === 'github:index/repositoryDeployKey:RepositoryDeployKey')
        expect(r.inputs.readOnly).toBe(true);
      if (r.type === 'pulumi-nodejs:dynamic/keyfleet:GitlabDeployKey') {
        expect(r.inputs.canPush).toBeUndefined();
        expect(r.inputs.expiresAt).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00Z$/);
      }
    }
  });

  it('exports fingerprints in the clear and private keys as one secret map', async () => {
    const fingerprints = await valueOf(program.fingerprints);
    expect(Object.keys(fingerprints).sort()).toEqual([
      'github/datasets',
      'github/trainer',
      'gitlab/ml/platform/infra',
      'gitlab/ml/trainer',
    ]);
    expect(new Set(Object.values(fingerprints)).size).toBe(4);
    expect(await pulumi.isSecret(program.fingerprints)).toBe(false);

    expect(await pulumi.isSecret(program.privateKeys)).toBe(true);
    const privateKeys = await valueOf(program.privateKeys);
    expect(privateKeys['github/trainer']).toBe(
      mocks.privateKeys.get(`ci-github-trainer-ed25519-${plan.current.stamp}-key`),
    );
    for (const text of Object.values(privateKeys))
      expect(text).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);

    const previous = await valueOf(program.previousFingerprints);
    expect(Object.keys(previous).sort()).toEqual(Object.keys(fingerprints).sort());
    for (const name of Object.keys(previous)) expect(previous[name]).not.toBe(fingerprints[name]);
    expect(program.nextRotation).toBe('2026-03-02T00:00:00.000Z');
  });
});
