/**
 * The CRUD of GitLab user keys and deploy keys, through the GitLab adapter (`KeyPlatform`).
 *
 * GitLab rules this follows: a fingerprint exists once per instance, so a change that keeps the
 * key (title, expiry, another user) is delete-before-replace; a user key cannot be edited; a
 * deploy key's title and `can_push` can (PUT), its expiry cannot. Keys are compared by
 * fingerprint (GitLab rewrites comments). Reads and deletes first list the place: a place the
 * token cannot see is an error, never "the key is gone".
 */
import type * as pulumi from '@pulumi/pulumi';
import { UsageError } from '../../../errors.js';
import { parsePublicKey } from '../../../keys/public-key.js';
import type { GitlabPlatform } from '../../../platforms/gitlab/adapter.js';
import { formatPlace, parseTarget } from '../../../platforms/target.js';
import type { PlacedKey, Target } from '../../../platforms/types.js';
import type {
  GitlabDeployKeyInputs,
  GitlabDeployKeyOutputs,
  GitlabUserKeyInputs,
  GitlabUserKeyOutputs,
} from '../types.js';
import {
  checkedKeyInput,
  compact,
  composeId,
  expiryProblem,
  fingerprintOf,
  gitlabPlatform,
  isUnknown,
  keyProblem,
  parseKey,
  sameExpiry,
  splitId,
  titleProblem,
  type Failures,
} from './common.js';

type CheckResult<T> = pulumi.dynamic.CheckResult<T>;
type DiffResult = pulumi.dynamic.DiffResult;

function targetProblem(text: string): string | undefined {
  try {
    parseTarget(text);
    return undefined;
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
}

function fingerprintOrText(text: string): string {
  try {
    return parsePublicKey(text).fingerprint;
  } catch {
    return text;
  }
}

/** The desired expiry when the platform agrees with it, else what the platform holds (drift). */
function reconcileExpiry(desired: string | undefined, actual: string | undefined): string | undefined {
  return sameExpiry(desired, actual) ? desired : actual;
}

async function findPlaced(
  target: Target,
  keyId: string | undefined,
  fingerprint: string | undefined,
): Promise<PlacedKey | undefined> {
  const platform = await gitlabPlatform();
  // list() throws when the token cannot see the place: a refresh then fails instead of dropping the key.
  const keys = await platform.list(target);
  return (
    keys.find((k) => k.id === keyId && (fingerprint === undefined || k.fingerprint === fingerprint)) ??
    (fingerprint === undefined ? undefined : keys.find((k) => k.fingerprint === fingerprint))
  );
}

/** Removes every key with this fingerprint from the place; nothing there (seen by a successful list) is success. */
async function removeByFingerprint(target: Target, fingerprint: string): Promise<void> {
  const platform = await gitlabPlatform();
  const keys = await platform.list(target);
  for (const k of keys.filter((p) => p.fingerprint === fingerprint)) await platform.remove(target, k.id);
}

// ---------------------------------------------------------------------------------------------
// User keys

function userTarget(inputs: { userId?: string | undefined }): Target {
  return parseTarget(inputs.userId === undefined ? 'gitlab:user' : `gitlab:user/${inputs.userId}`);
}

function userOutputs(
  inputs: GitlabUserKeyInputs,
  target: Target,
  placed: PlacedKey,
  adopted: boolean,
): GitlabUserKeyOutputs {
  return compact({
    key: inputs.key,
    title: placed.title ?? inputs.title,
    userId: inputs.userId,
    expiresAt: reconcileExpiry(inputs.expiresAt, placed.expiresAt),
    target: formatPlace(target),
    keyId: placed.id,
    fingerprint: placed.fingerprint,
    adopted,
  });
}

export const userKey = {
  async check(
    olds: Partial<GitlabUserKeyInputs>,
    news: GitlabUserKeyInputs,
  ): Promise<CheckResult<GitlabUserKeyInputs>> {
    const failures: Failures = [];
    if (!isUnknown(news.key)) {
      const k = keyProblem(news.key);
      if ('reason' in k) failures.push({ property: 'key', reason: k.reason });
    }
    const title = titleProblem(news.title);
    if (title) failures.push({ property: 'title', reason: title });
    if (news.userId !== undefined && !isUnknown(news.userId)) {
      const t = targetProblem(`gitlab:user/${String(news.userId)}`);
      if (t) failures.push({ property: 'userId', reason: t });
    }
    const exp = expiryProblem(news.expiresAt, olds.expiresAt);
    if (exp) failures.push({ property: 'expiresAt', reason: exp });
    const inputs = compact({
      key: checkedKeyInput(news.key) as string,
      title: news.title,
      userId: news.userId === undefined ? undefined : String(news.userId),
      expiresAt: news.expiresAt,
    });
    return { inputs, failures };
  },

  async diff(_id: string, olds: GitlabUserKeyOutputs, news: GitlabUserKeyInputs): Promise<DiffResult> {
    const replaces: string[] = [];
    const keyChanged = isUnknown(news.key) || fingerprintOrText(news.key) !== fingerprintOf(olds);
    if (keyChanged) replaces.push('key');
    if (isUnknown(news.userId) || (news.userId ?? undefined) !== (olds.userId ?? undefined))
      replaces.push('userId');
    if (isUnknown(news.title) || news.title !== olds.title) replaces.push('title');
    if (isUnknown(news.expiresAt) || !sameExpiry(news.expiresAt, olds.expiresAt)) replaces.push('expiresAt');
    // GitLab holds a fingerprint once: the same key must leave before it can come back.
    return {
      changes: replaces.length > 0,
      replaces,
      deleteBeforeReplace: replaces.length > 0 && !keyChanged,
    };
  },

  async create(inputs: GitlabUserKeyInputs): Promise<pulumi.dynamic.CreateResult<GitlabUserKeyOutputs>> {
    const key = parseKey(inputs.key);
    const target = userTarget(inputs);
    const platform = await gitlabPlatform();
    const res = await platform.add(target, key, {
      title: inputs.title,
      ...(inputs.expiresAt === undefined ? {} : { expiresAt: new Date(inputs.expiresAt) }),
    });
    const outs = userOutputs(inputs, target, res.key, res.status === 'present');
    return { id: composeId(outs.target, outs.keyId), outs };
  },

  async read(
    id: string,
    props?: GitlabUserKeyOutputs,
  ): Promise<pulumi.dynamic.ReadResult<GitlabUserKeyOutputs>> {
    const { place, keyId } = splitId(id);
    const target = parseTarget(props?.target ?? place);
    const placed = await findPlaced(target, keyId, props?.fingerprint);
    if (!placed) return { id: '' };
    const inputs: GitlabUserKeyInputs = props ?? {
      key: placed.publicKey,
      title: placed.title ?? '',
      ...(target.platform === 'gitlab' && target.kind === 'user-admin' ? { userId: target.user } : {}),
    };
    const outs = userOutputs(inputs, target, placed, props?.adopted ?? false);
    return { id: composeId(outs.target, outs.keyId), props: outs };
  },

  async delete(_id: string, props: GitlabUserKeyOutputs): Promise<void> {
    await removeByFingerprint(parseTarget(props.target), fingerprintOf(props));
  },
};

// ---------------------------------------------------------------------------------------------
// Deploy keys

function deployTarget(inputs: { project: string; canPush?: boolean | undefined }): Target {
  return parseTarget(`gitlab:project/${inputs.project}${inputs.canPush ? '?push' : ''}`);
}

function deployOutputs(
  inputs: GitlabDeployKeyInputs,
  target: Target,
  placed: PlacedKey,
  adopted: boolean,
): GitlabDeployKeyOutputs {
  const canPush = placed.readOnly === undefined ? inputs.canPush : !placed.readOnly;
  return compact({
    project: inputs.project,
    key: inputs.key,
    title: placed.title ?? inputs.title,
    // Keep the input's form (absent = read-only) while the platform agrees with it.
    canPush: (inputs.canPush ?? false) === canPush ? inputs.canPush : canPush,
    expiresAt: reconcileExpiry(inputs.expiresAt, placed.expiresAt),
    target: formatPlace(target),
    keyId: placed.id,
    fingerprint: placed.fingerprint,
    adopted,
  });
}

/** Title and push access through the adapter's `updateDeployKey` (GitLab-only, so not on KeyPlatform). */
async function editDeployKey(
  target: Target,
  keyId: string,
  fields: { title?: string; canPush?: boolean },
): Promise<void> {
  // gitlabPlatform() builds a GitlabPlatform; its declared type is the shared interface.
  const platform = (await gitlabPlatform()) as GitlabPlatform;
  await platform.updateDeployKey(target, keyId, fields);
}

/** After an adoption or an edit: makes title and push access what the inputs say, then reads the key back. */
async function converge(
  inputs: GitlabDeployKeyInputs,
  target: Target,
  placed: PlacedKey,
): Promise<PlacedKey> {
  const wantPush = inputs.canPush ?? false;
  const fields: { title?: string; canPush?: boolean } = {};
  if (placed.title !== undefined && placed.title !== inputs.title) fields.title = inputs.title;
  if (placed.readOnly !== undefined && placed.readOnly === wantPush) fields.canPush = wantPush;
  if (Object.keys(fields).length === 0) return placed;
  await editDeployKey(target, placed.id, fields);
  return (await findPlaced(target, placed.id, placed.fingerprint)) ?? placed;
}

export const deployKey = {
  async check(
    olds: Partial<GitlabDeployKeyInputs>,
    news: GitlabDeployKeyInputs,
  ): Promise<CheckResult<GitlabDeployKeyInputs>> {
    const failures: Failures = [];
    if (!isUnknown(news.key)) {
      const k = keyProblem(news.key);
      if ('reason' in k) failures.push({ property: 'key', reason: k.reason });
    }
    const title = titleProblem(news.title);
    if (title) failures.push({ property: 'title', reason: title });
    if (!isUnknown(news.project)) {
      const t =
        typeof news.project === 'string' || typeof news.project === 'number'
          ? targetProblem(`gitlab:project/${String(news.project)}`)
          : 'a project path (group/project) or numeric id is required';
      if (t) failures.push({ property: 'project', reason: t });
    }
    if (news.canPush !== undefined && !isUnknown(news.canPush) && typeof news.canPush !== 'boolean') {
      failures.push({ property: 'canPush', reason: 'must be true or false' });
    }
    const exp = expiryProblem(news.expiresAt, olds.expiresAt);
    if (exp) failures.push({ property: 'expiresAt', reason: exp });
    const inputs = compact({
      project: typeof news.project === 'number' ? String(news.project) : news.project,
      key: checkedKeyInput(news.key) as string,
      title: news.title,
      canPush: news.canPush,
      expiresAt: news.expiresAt,
    });
    return { inputs, failures };
  },

  async diff(_id: string, olds: GitlabDeployKeyOutputs, news: GitlabDeployKeyInputs): Promise<DiffResult> {
    const replaces: string[] = [];
    const keyChanged = isUnknown(news.key) || fingerprintOrText(news.key) !== fingerprintOf(olds);
    if (keyChanged) replaces.push('key');
    const projectChanged = isUnknown(news.project) || news.project !== olds.project;
    if (projectChanged) replaces.push('project');
    if (isUnknown(news.expiresAt) || !sameExpiry(news.expiresAt, olds.expiresAt)) replaces.push('expiresAt');
    const updates =
      isUnknown(news.title) ||
      news.title !== olds.title ||
      (news.canPush ?? false) !== (olds.canPush ?? false);
    return {
      changes: replaces.length > 0 || updates,
      replaces,
      // Same key, same project: GitLab cannot hold both copies. Another project: share it first, then leave the old one.
      deleteBeforeReplace: replaces.length > 0 && !keyChanged && !projectChanged,
    };
  },

  async create(inputs: GitlabDeployKeyInputs): Promise<pulumi.dynamic.CreateResult<GitlabDeployKeyOutputs>> {
    const key = parseKey(inputs.key);
    const target = deployTarget(inputs);
    const platform = await gitlabPlatform();
    const res = await platform.add(target, key, {
      title: inputs.title,
      ...(inputs.expiresAt === undefined ? {} : { expiresAt: new Date(inputs.expiresAt) }),
    });
    const placed = await converge(inputs, target, res.key);
    const outs = deployOutputs(inputs, target, placed, res.status === 'present');
    return { id: composeId(outs.target, outs.keyId), outs };
  },

  async update(
    id: string,
    olds: GitlabDeployKeyOutputs,
    news: GitlabDeployKeyInputs,
  ): Promise<pulumi.dynamic.UpdateResult<GitlabDeployKeyOutputs>> {
    const target = deployTarget(news);
    const { keyId } = splitId(id);
    const fields: { title?: string; canPush?: boolean } = {};
    if (news.title !== olds.title) fields.title = news.title;
    if ((news.canPush ?? false) !== (olds.canPush ?? false)) fields.canPush = news.canPush ?? false;
    if (Object.keys(fields).length > 0) await editDeployKey(target, keyId, fields);
    const placed = await findPlaced(target, keyId, fingerprintOf(olds));
    if (!placed) {
      throw new UsageError(
        `deploy key ${keyId} is no longer on ${formatPlace(target)}; run \`pulumi refresh\` (it was removed outside Pulumi) and update again`,
      );
    }
    return { outs: deployOutputs(news, target, placed, olds.adopted) };
  },

  async read(
    id: string,
    props?: GitlabDeployKeyOutputs,
  ): Promise<pulumi.dynamic.ReadResult<GitlabDeployKeyOutputs>> {
    const { place, keyId } = splitId(id);
    const target = parseTarget(props?.target ?? place);
    if (target.platform !== 'gitlab' || target.kind !== 'project')
      throw new UsageError(`"${id}" is not a GitLab deploy key id`);
    const placed = await findPlaced(target, keyId, props?.fingerprint);
    if (!placed) return { id: '' };
    const inputs: GitlabDeployKeyInputs = props ?? {
      project: target.path,
      key: placed.publicKey,
      title: placed.title ?? '',
      ...(placed.readOnly === false ? { canPush: true } : {}),
    };
    const outs = deployOutputs(inputs, target, placed, props?.adopted ?? false);
    return { id: composeId(outs.target, outs.keyId), props: outs };
  },

  async delete(_id: string, props: GitlabDeployKeyOutputs): Promise<void> {
    await removeByFingerprint(parseTarget(props.target), fingerprintOf(props));
  },
};
