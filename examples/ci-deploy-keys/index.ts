/**
 * Deploy keys for CI: one generated key per repository (GitHub accepts a key on one repository
 * only, and one key per repository keeps a leak small), read-only, rotated on a schedule with a
 * grace period during which the previous key still works. The private halves are secret stack
 * outputs for the CI secret store.
 *
 * Config (see README.md): githubRepos, gitlabProjects, rotateEvery, gracePeriod, rotationAnchor.
 */
import * as pulumi from '@pulumi/pulumi';
import { SshKeyDistribution } from 'keyfleet/pulumi';

const config = new pulumi.Config();
const githubRepos = config.getObject<string[]>('githubRepos') ?? [];
const gitlabProjects = config.getObject<string[]>('gitlabProjects') ?? [];
const rotation = {
  rotateEvery: config.get('rotateEvery') ?? '30d',
  gracePeriod: config.get('gracePeriod') ?? '7d',
  ...(config.get('rotationAnchor') ? { rotationAnchor: config.require('rotationAnchor') } : {}),
};

const keys = new Map<string, SshKeyDistribution>();
for (const repository of githubRepos) {
  keys.set(
    `github/${repository}`,
    new SshKeyDistribution(`ci-github-${repository}`, {
      generate: {},
      ...rotation,
      title: `ci ${repository}`,
      github: { deployKeys: [{ repository }] },
    }),
  );
}
for (const project of gitlabProjects) {
  keys.set(
    `gitlab/${project}`,
    new SshKeyDistribution(`ci-gitlab-${project.replaceAll('/', '-')}`, {
      generate: {},
      ...rotation,
      title: `ci ${project}`,
      gitlab: { deployKeys: [{ project }] },
    }),
  );
}

function collect(
  pick: (k: SshKeyDistribution) => pulumi.Output<string | undefined>,
): pulumi.Output<Record<string, string>> {
  const names = [...keys.keys()];
  return pulumi
    .all([...keys.values()].map(pick))
    .apply((values) =>
      Object.fromEntries(names.flatMap((n, i) => (values[i] === undefined ? [] : [[n, values[i]!]]))),
    );
}

/** `platform/repository` → current key fingerprint. */
export const fingerprints = collect((k) => k.fingerprint);
/** The previous generation's fingerprints, while they are still placed (grace period). */
export const previousFingerprints = collect((k) => k.previousFingerprint);
/** `platform/repository` → OpenSSH private key, for the CI secret store. Secret. */
export const privateKeys = pulumi.secret(collect((k) => k.privateKey!));
/** When the current keys are replaced (all keys share the schedule). */
export const nextRotation = [...keys.values()][0]?.rotation?.current.rotatesAt.toISOString();
