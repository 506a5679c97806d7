/**
 * The CRUD of one `USER:KEY` line in Google Cloud project or instance `ssh-keys` metadata,
 * through the Google Cloud adapter: read the metadata, change only this line, write it back
 * with the metadata fingerprint (412 on a concurrent change: re-read and retry). Every other
 * line, including other users' keys and gcloud's injected keys, stays as it was.
 *
 * The line's identity is (place, user, key fingerprint). Another key or user is a new line, so
 * replacements create the new line before removing the old one; an expiry change rewrites the
 * line in place (update).
 */
import type * as pulumi from '@pulumi/pulumi';
import { UsageError } from '../../../errors.js';
import { parsePublicKey } from '../../../keys/public-key.js';
import { formatTarget, parseTarget } from '../../../platforms/target.js';
import type { PlacedKey, Target } from '../../../platforms/types.js';
import type { GcpMetadataSshKeyInputs, GcpMetadataSshKeyOutputs } from '../types.js';
import {
  checkedKeyInput,
  compact,
  composeId,
  expiryProblem,
  fingerprintOf,
  gcpPlatform,
  isUnknown,
  keyProblem,
  parseKey,
  sameExpiry,
  splitId,
  type Failures,
} from './common.js';

function targetText(i: {
  project: string;
  zone?: string | undefined;
  instance?: string | undefined;
  user: string;
}): string {
  const user = encodeURIComponent(i.user);
  return i.zone === undefined && i.instance === undefined
    ? `gcp:project/${i.project}?user=${user}`
    : `gcp:instance/${i.project}/${i.zone ?? ''}/${i.instance ?? ''}?user=${user}`;
}

function metadataTarget(i: GcpMetadataSshKeyInputs): Target {
  return parseTarget(targetText(i));
}

function outputs(
  inputs: GcpMetadataSshKeyInputs,
  target: Target,
  placed: PlacedKey | undefined,
  fingerprint: string,
  adopted: boolean,
): GcpMetadataSshKeyOutputs {
  return compact({
    project: inputs.project,
    zone: inputs.zone,
    instance: inputs.instance,
    user: inputs.user,
    key: inputs.key,
    expiresAt:
      placed === undefined || sameExpiry(inputs.expiresAt, placed.expiresAt)
        ? inputs.expiresAt
        : placed.expiresAt,
    target: formatTarget(target),
    fingerprint,
    adopted,
  });
}

async function findLine(target: Target, fingerprint: string): Promise<PlacedKey | undefined> {
  const platform = await gcpPlatform();
  // Reading the metadata must succeed (a 403/404 of the project or VM throws): only then is "no line" a fact.
  return (await platform.list(target)).find((k) => k.fingerprint === fingerprint);
}

async function place(
  inputs: GcpMetadataSshKeyInputs,
): Promise<{ target: Target; placed: PlacedKey; present: boolean }> {
  const key = parseKey(inputs.key);
  const target = metadataTarget(inputs);
  const platform = await gcpPlatform();
  const res = await platform.add(
    target,
    key,
    inputs.expiresAt === undefined ? {} : { expiresAt: new Date(inputs.expiresAt) },
  );
  return { target, placed: res.key, present: res.status === 'present' };
}

export const metadataKey = {
  async check(
    olds: Partial<GcpMetadataSshKeyInputs>,
    news: GcpMetadataSshKeyInputs,
  ): Promise<pulumi.dynamic.CheckResult<GcpMetadataSshKeyInputs>> {
    const failures: Failures = [];
    if (!isUnknown(news.key)) {
      const k = keyProblem(news.key);
      if ('reason' in k) failures.push({ property: 'key', reason: k.reason });
    }
    if ((news.zone === undefined) !== (news.instance === undefined)) {
      failures.push({
        property: news.zone === undefined ? 'zone' : 'instance',
        reason: 'give zone and instance together (or neither, for project metadata)',
      });
    } else if (![news.project, news.zone, news.instance, news.user].some(isUnknown)) {
      if (typeof news.project !== 'string' || typeof news.user !== 'string') {
        failures.push({
          property: typeof news.project !== 'string' ? 'project' : 'user',
          reason: 'is required',
        });
      } else {
        try {
          parseTarget(targetText(news));
        } catch (err) {
          if (!(err instanceof UsageError)) throw err;
          failures.push({ property: 'user', reason: err.message });
        }
      }
    }
    const exp = expiryProblem(news.expiresAt, olds.expiresAt);
    if (exp) failures.push({ property: 'expiresAt', reason: exp });
    const inputs = compact({
      project: news.project,
      zone: news.zone,
      instance: news.instance,
      user: news.user,
      key: checkedKeyInput(news.key) as string,
      expiresAt: news.expiresAt,
    });
    return { inputs, failures };
  },

  async diff(
    _id: string,
    olds: GcpMetadataSshKeyOutputs,
    news: GcpMetadataSshKeyInputs,
  ): Promise<pulumi.dynamic.DiffResult> {
    const replaces: string[] = [];
    let fp: string | undefined;
    if (!isUnknown(news.key)) {
      try {
        fp = parsePublicKey(news.key).fingerprint;
      } catch {
        fp = undefined;
      }
    }
    if (fp === undefined || fp !== fingerprintOf(olds)) replaces.push('key');
    for (const f of ['project', 'zone', 'instance', 'user'] as const) {
      if (isUnknown(news[f]) || news[f] !== olds[f]) replaces.push(f);
    }
    const expiryChanged = isUnknown(news.expiresAt) || !sameExpiry(news.expiresAt, olds.expiresAt);
    // A new line never conflicts with the old one: the default create-before-delete is right.
    return { changes: replaces.length > 0 || expiryChanged, replaces, deleteBeforeReplace: false };
  },

  async create(
    inputs: GcpMetadataSshKeyInputs,
  ): Promise<pulumi.dynamic.CreateResult<GcpMetadataSshKeyOutputs>> {
    const { target, placed, present } = await place(inputs);
    const outs = outputs(inputs, target, placed, placed.fingerprint, present);
    return { id: composeId(outs.target, outs.fingerprint), outs };
  },

  /** An expiry change (or its removal): the adapter rewrites this user's line for this key in place. */
  async update(
    _id: string,
    olds: GcpMetadataSshKeyOutputs,
    news: GcpMetadataSshKeyInputs,
  ): Promise<pulumi.dynamic.UpdateResult<GcpMetadataSshKeyOutputs>> {
    const { target, placed } = await place(news);
    return { outs: outputs(news, target, placed, placed.fingerprint, olds.adopted) };
  },

  async read(
    id: string,
    props?: GcpMetadataSshKeyOutputs,
  ): Promise<pulumi.dynamic.ReadResult<GcpMetadataSshKeyOutputs>> {
    const { place: where, keyId: fingerprint } = splitId(id);
    const target = parseTarget(props?.target ?? where);
    if (target.platform !== 'gcp' || (target.kind !== 'project' && target.kind !== 'instance')) {
      throw new UsageError(
        `"${id}" is not the id of a Google Cloud ssh-keys entry (gcp:project/P?user=U#SHA256:…)`,
      );
    }
    const fp = props?.fingerprint ?? fingerprint;
    const placed = await findLine(target, fp);
    if (!placed) return { id: '' };
    const inputs: GcpMetadataSshKeyInputs = props ?? {
      project: target.project,
      ...(target.kind === 'instance' ? { zone: target.zone, instance: target.instance } : {}),
      user: target.user,
      key: placed.publicKey,
      ...(placed.expiresAt ? { expiresAt: placed.expiresAt } : {}),
    };
    const outs = outputs(inputs, target, placed, fp, props?.adopted ?? false);
    return { id: composeId(outs.target, fp), props: outs };
  },

  async delete(_id: string, props: GcpMetadataSshKeyOutputs): Promise<void> {
    const platform = await gcpPlatform();
    // `absent` comes back only after the metadata was read: the line is gone, which is what delete wants.
    await platform.remove(parseTarget(props.target), fingerprintOf(props));
  },
};
