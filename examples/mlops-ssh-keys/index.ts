/**
 * The seed program, done right: one SSH key for an ML engineer as a GitHub user key, a GitLab
 * user key and a line in a Google Cloud project's `ssh-keys` metadata.
 *
 * What changed from the original Python program:
 * - the key and the GitLab user id come from stack config (or the key is generated, its private
 *   half a secret output), instead of being written into the program;
 * - the key is checked before anything is created (a private key, a forbidden key or a
 *   malformed target stops `pulumi preview` with a message);
 * - the Google Cloud key is merged into `ssh-keys` as one line instead of
 *   `gcp.compute.ProjectMetadata`, which replaced all project metadata and everyone else's keys;
 * - the outputs include fingerprints, so the keys can be found again on every platform.
 *
 * Config (see README.md): publicKey (optional), gitlabUserId, gcpProject, gcpUser.
 */
import * as pulumi from '@pulumi/pulumi';
import { SshKeyDistribution } from 'keyfleet/pulumi';

const config = new pulumi.Config();
const publicKey = config.get('publicKey');
const gitlabUserId = config.require('gitlabUserId');
const gcpProject = config.get('gcpProject') ?? new pulumi.Config('gcp').require('project');
const gcpUser = config.get('gcpUser') ?? 'example-user';

const key = new SshKeyDistribution('mlops', {
  ...(publicKey ? { publicKey } : { generate: { algorithm: 'ED25519' } }),
  title: config.get('keyTitle') ?? 'mlops',
  github: { userKey: true },
  gitlab: { userKeys: [{ userId: gitlabUserId }] },
  gcp: { projectEntries: [{ project: gcpProject, user: gcpUser }] },
});

export const fingerprint = key.fingerprint;
export const publicKeyOpenssh = key.publicKey;
export const githubKeyId = key.githubUserKeyId;
export const gitlabKeyId = key.gitlabUserKeyIds.apply((ids) => ids[gitlabUserId]);
export const gcpProjectEntryId = key.gcpProjectEntryIds.apply((ids) => ids[`${gcpProject}/${gcpUser}`]);
/** Only when the key was generated; a secret (`pulumi stack output privateKey --show-secrets`). */
export const privateKey = key.privateKey;
