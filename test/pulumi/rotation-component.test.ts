/**
 * Rotation with a grace period under mocks, with the clock injected: the same program run at
 * t0, t0 + rotateEvery and t0 + rotateEvery + gracePeriod declares exactly the generations the
 * timeline promises. Pulumi creates what a run newly declares and deletes what it no longer
 * declares, so comparing the declared names between runs is comparing what an update does.
 */
import * as pulumi from '@pulumi/pulumi';
import * as time from '@pulumiverse/time';
import { beforeAll, describe, expect, it } from 'vitest';
import { settle, setupMocks, valueOf, type MockState } from './helpers/mocks.js';
import type * as DistributionModule from '../../src/pulumi/ssh-key-distribution.js';

type Module = typeof DistributionModule;
let mocks: MockState;
let SshKeyDistribution: Module['SshKeyDistribution'];

beforeAll(async () => {
  mocks = await setupMocks();
  ({ SshKeyDistribution } = await import('../../src/pulumi/ssh-key-distribution.js'));
});

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const GEN0 = '20260101t0000z';
const GEN1 = '20260131t0000z';
const GEN2 = '20260302t0000z';

/** The program, run at `now` under the component name `name`. Returns the children's names without the prefix. */
async function runAt(name: string, now: number) {
  const c = new SshKeyDistribution(
    name,
    {
      generate: {},
      rotateEvery: '30d',
      gracePeriod: '7d',
      rotationAnchor: '2026-01-01T00:00:00Z',
      github: { deployKeys: [{ repository: 'trainer' }] },
      gitlab: { deployKeys: [{ project: 'ml/trainer' }] },
      gcp: {
        projectEntries: [{ project: 'ml-prod', user: 'ci' }],
        osLogin: [{ user: 'ci@ml-prod.iam.gserviceaccount.com' }],
      },
      now: new Date(now),
    },
    { transformations: [mocks.recordOptions] },
  );
  await settle(mocks, [
    c.publicKey,
    c.fingerprint,
    c.privateKey!,
    c.previousFingerprint,
    c.githubDeployKeyIds,
    c.gitlabDeployKeyIds,
    c.gcpProjectEntryIds,
    c.gcpOsLoginKeyIds,
  ]);
  const children = mocks.resources.filter((r) => r.name.startsWith(`${name}-`));
  const names = children.map((r) => r.name.slice(name.length + 1)).sort();
  return { c, names, children };
}

function generationNames(stamp: string): string[] {
  return [
    `ed25519-${stamp}-gcp-oslogin-ci@ml-prod.iam.gserviceaccount.com`,
    `ed25519-${stamp}-gcp-project-ml-prod/ci`,
    `ed25519-${stamp}-github-deploy-trainer`,
    `ed25519-${stamp}-gitlab-deploy-ml/trainer`,
    `ed25519-${stamp}-key`,
    `ed25519-${stamp}-rotation`,
  ];
}

describe('rotation timeline', () => {
  let at0: Awaited<ReturnType<typeof runAt>>;
  let atRotation: Awaited<ReturnType<typeof runAt>>;
  let atGraceEnd: Awaited<ReturnType<typeof runAt>>;
  let atNext: Awaited<ReturnType<typeof runAt>>;

  beforeAll(async () => {
    at0 = await runAt('t0', T0 + 3_600_000);
    atRotation = await runAt('t1', T0 + 30 * DAY + 3_600_000);
    atGraceEnd = await runAt('t2', T0 + 37 * DAY + 3_600_000);
    atNext = await runAt('t3', T0 + 60 * DAY + 3_600_000);
  });

  it('t0: one generation, its schedule recorded by a time.Rotating, expiring when it retires', async () => {
    expect(at0.names).toEqual(generationNames(GEN0).sort());
    const byName = (n: string) => at0.children.find((r) => r.name === `t0-${n}`)!;
    expect(byName(`ed25519-${GEN0}-rotation`)).toMatchObject({
      type: 'time:index/rotating:Rotating',
      inputs: { rfc3339: '2026-01-01T00:00:00Z', rotationMinutes: 37 * 1440 },
    });
    // Platforms that record an expiry stop accepting the key when the generation retires, even if nobody runs pulumi up.
    expect(byName(`ed25519-${GEN0}-gitlab-deploy-ml/trainer`).inputs.expiresAt).toBe('2026-02-07T00:00:00Z');
    expect(byName(`ed25519-${GEN0}-gcp-project-ml-prod/ci`).inputs.expiresAt).toBe('2026-02-07T00:00:00Z');
    expect(
      byName(`ed25519-${GEN0}-gcp-oslogin-ci@ml-prod.iam.gserviceaccount.com`).inputs.expirationTimeUsec,
    ).toBe(String(Date.parse('2026-02-07T00:00:00Z') * 1000));
    expect(byName(`ed25519-${GEN0}-github-deploy-trainer`).inputs.title).toBe(
      'keyfleet/t0 (2026-01-01T00:00Z)',
    );
    const deps = mocks.options.find((o) => o.name === `t0-ed25519-${GEN0}-key`)?.opts
      .dependsOn as pulumi.Resource[];
    expect(deps).toHaveLength(1);
    expect(time.Rotating.isInstance(deps[0])).toBe(true);
    expect(at0.c.rotation?.current.stamp).toBe(GEN0);
    expect(at0.c.rotation?.previous).toBeUndefined();
    expect(await valueOf(at0.c.previousFingerprint)).toBeUndefined();
  });

  it('t0 + rotateEvery: the new generation is added and the old one is still placed', async () => {
    expect(atRotation.names).toEqual([...generationNames(GEN0), ...generationNames(GEN1)].sort());
    // Nothing of t0's run is dropped: the update only creates.
    expect(atRotation.names).toEqual(expect.arrayContaining(at0.names));
    const c = atRotation.c;
    expect(c.rotation?.current.stamp).toBe(GEN1);
    expect(c.rotation?.previous?.stamp).toBe(GEN0);
    const currentKey = mocks.privateKeys.get(`t1-ed25519-${GEN1}-key`);
    expect(await valueOf(c.privateKey!)).toBe(currentKey);
    expect(await pulumi.isSecret(c.privateKey!)).toBe(true);
    const fingerprint = await valueOf(c.fingerprint);
    const previous = await valueOf(c.previousFingerprint);
    expect(previous).toMatch(/^SHA256:/);
    expect(previous).not.toBe(fingerprint);
    // The ids exported are the current generation's.
    const ids = await valueOf(c.gcpProjectEntryIds);
    expect(ids['ml-prod/ci']).toBe(`gcp:project/ml-prod?user=ci#${fingerprint}`);
  });

  it('t0 + rotateEvery + gracePeriod: the previous generation is no longer declared, so Pulumi deletes it', async () => {
    expect(atGraceEnd.names).toEqual(generationNames(GEN1).sort());
    expect(atRotation.names.filter((n) => !atGraceEnd.names.includes(n))).toEqual(
      generationNames(GEN0).sort(),
    );
    expect(await valueOf(atGraceEnd.c.previousFingerprint)).toBeUndefined();
  });

  it('t0 + 2·rotateEvery: the next generation joins the one before it', () => {
    expect(atNext.names).toEqual([...generationNames(GEN1), ...generationNames(GEN2)].sort());
  });

  it('every child has the component as parent', () => {
    for (const r of [...at0.children, ...atRotation.children]) {
      const component = r.name.startsWith('t0-') ? at0.c : atRotation.c;
      expect(mocks.options.find((o) => o.name === r.name)?.opts.parent).toBe(component);
    }
  });
});
