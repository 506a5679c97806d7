/**
 * `SshKeyDistribution`: one SSH key (given or generated) placed on any mix of GitHub, GitLab
 * and Google Cloud targets, validated before anything is created, rotated with a grace period.
 *
 * Child resources are named `NAME-LABEL-TARGET`, where LABEL identifies the key material:
 * `k` + 8 hex digits of the fingerprint for a given key, the algorithm for a generated one, and
 * the algorithm plus the generation's start when rotating. New key material therefore always
 * means new resources, which Pulumi creates before it deletes the ones no longer declared, so
 * a key is never removed before its successor is in place. A change that keeps the key (a title)
 * replaces in place, delete first, because GitHub and GitLab refuse a second copy of a key.
 */
import * as gcp from '@pulumi/gcp';
import * as github from '@pulumi/github';
import * as pulumi from '@pulumi/pulumi';
import * as tls from '@pulumi/tls';
import * as time from '@pulumiverse/time';
import { parsePublicKey } from '../keys/public-key.js';
import { ComponentArgsError } from './args/errors.js';
import type { SshKeyDistributionArgs } from './args/types.js';
import {
  resolveArgs,
  validatePublicKeyText,
  type Placement,
  type ResolvedArgs,
  type ValidatedKey,
} from './args/validation.js';
import { GcpMetadataSshKey } from './providers/gcp-metadata-key.js';
import { GitlabDeployKey, GitlabUserKey } from './providers/gitlab-key.js';
import type { Generation, RotationPlan } from './rotation.js';

/** The key material of one generation, as the children consume it. */
interface KeyMaterial {
  /** `TYPE BASE64` without comment: platforms strip or rewrite comments, so none is sent. */
  text: pulumi.Output<string>;
  fingerprint: pulumi.Output<string>;
  privateKey?: pulumi.Output<string>;
}

/** What the children of one generation produced. */
interface Placed {
  key: KeyMaterial;
  ids: Map<Placement, pulumi.Output<string>>;
}

/** `SHA256:…` → 8 hex digits, enough to tell keys apart in resource names. */
export function fingerprintLabel(fingerprint: string): string {
  return (
    'k' +
    Buffer.from(fingerprint.replace(/^SHA256:/, ''), 'base64')
      .toString('hex')
      .slice(0, 8)
  );
}

function isoMinute(d: Date): string {
  return d.toISOString().replace(/:\d{2}\.\d{3}Z$/, 'Z');
}

function isoSecond(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 3339 → OS Login's microseconds since the epoch, as a decimal string. */
function toUsec(text: string): string {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new ComponentArgsError('expiresAt', `"${text}" is not an RFC 3339 timestamp`);
  return (BigInt(ms) * 1000n).toString();
}

export class SshKeyDistribution extends pulumi.ComponentResource {
  /** The Pulumi type token of the component. */
  static readonly TYPE = 'keyfleet:index:SshKeyDistribution';

  /** The current key, `TYPE BASE64`. */
  readonly publicKey: pulumi.Output<string>;
  /** `SHA256:…` of the current key, as `ssh-keygen -l` prints it. */
  readonly fingerprint: pulumi.Output<string>;
  /** The current private key in OpenSSH format (secret); only when generated. */
  readonly privateKey: pulumi.Output<string> | undefined;
  /** The previous generation's key while it is still placed (grace period), else undefined. */
  readonly previousPublicKey: pulumi.Output<string | undefined>;
  readonly previousFingerprint: pulumi.Output<string | undefined>;
  /** The rotation plan at the time the program ran (current and previous generation); undefined without rotation. */
  readonly rotation: RotationPlan | undefined;
  /** GitHub's id of the user key. */
  readonly githubUserKeyId: pulumi.Output<string | undefined>;
  /** Repository → `github.RepositoryDeployKey` id. */
  readonly githubDeployKeyIds: pulumi.Output<Record<string, string>>;
  /** GitLab's key id of the token's own key. */
  readonly gitlabOwnKeyId: pulumi.Output<string | undefined>;
  /** User id → GitLab key id. */
  readonly gitlabUserKeyIds: pulumi.Output<Record<string, string>>;
  /** Project path → GitLab deploy key id. */
  readonly gitlabDeployKeyIds: pulumi.Output<Record<string, string>>;
  /** `PROJECT/USER` → resource id of the project `ssh-keys` entry. */
  readonly gcpProjectEntryIds: pulumi.Output<Record<string, string>>;
  /** `PROJECT/ZONE/INSTANCE/USER` → resource id of the instance `ssh-keys` entry. */
  readonly gcpInstanceEntryIds: pulumi.Output<Record<string, string>>;
  /** Email → OS Login key id. */
  readonly gcpOsLoginKeyIds: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: SshKeyDistributionArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate before registering anything: a bad argument stops the program at this line.
    const resolved = SshKeyDistribution.resolve(name, args);
    super(SshKeyDistribution.TYPE, name, {}, opts);

    if (resolved.source.kind === 'publicKey') {
      for (const w of resolved.source.validated?.warnings ?? []) pulumi.log.warn(`publicKey: ${w}`, this);
    }
    this.rotation = resolved.plan;

    const generations: (Generation | undefined)[] = resolved.plan
      ? [resolved.plan.current, ...(resolved.plan.previous ? [resolved.plan.previous] : [])]
      : [undefined];
    const placed = generations.map((g) => this.placeGeneration(name, args, resolved, g));
    const current = placed[0]!;
    const previous = placed[1];

    this.publicKey = current.key.text;
    this.fingerprint = current.key.fingerprint;
    this.privateKey = current.key.privateKey;
    this.previousPublicKey = previous ? previous.key.text : pulumi.output(undefined);
    this.previousFingerprint = previous ? previous.key.fingerprint : pulumi.output(undefined);

    const idOf = (kind: Placement['kind'], pick: (p: Placement) => boolean = () => true) => {
      for (const [p, id] of current.ids) if (p.kind === kind && pick(p)) return id;
      return pulumi.output(undefined);
    };
    const idMap = (kind: Placement['kind'], keyOf: (p: Placement) => string | undefined) => {
      const entries: [string, pulumi.Output<string>][] = [];
      for (const [p, id] of current.ids) {
        const k = p.kind === kind ? keyOf(p) : undefined;
        if (k !== undefined) entries.push([k, id]);
      }
      return pulumi
        .all(entries.map(([, id]) => id))
        .apply((ids) => Object.fromEntries(entries.map(([k], i) => [k, ids[i]!])));
    };
    this.githubUserKeyId = idOf('github-user');
    this.githubDeployKeyIds = idMap('github-deploy', (p) =>
      p.kind === 'github-deploy' ? p.repository : undefined,
    );
    this.gitlabOwnKeyId = idOf('gitlab-user', (p) => p.kind === 'gitlab-user' && p.userId === undefined);
    this.gitlabUserKeyIds = idMap('gitlab-user', (p) => (p.kind === 'gitlab-user' ? p.userId : undefined));
    this.gitlabDeployKeyIds = idMap('gitlab-deploy', (p) =>
      p.kind === 'gitlab-deploy' ? p.project : undefined,
    );
    this.gcpProjectEntryIds = idMap('gcp-metadata', (p) =>
      p.kind === 'gcp-metadata' && p.zone === undefined ? `${p.project}/${p.user}` : undefined,
    );
    this.gcpInstanceEntryIds = idMap('gcp-metadata', (p) =>
      p.kind === 'gcp-metadata' && p.zone !== undefined
        ? `${p.project}/${p.zone}/${p.instance}/${p.user}`
        : undefined,
    );
    this.gcpOsLoginKeyIds = idMap('gcp-oslogin', (p) => (p.kind === 'gcp-oslogin' ? p.user : undefined));

    this.registerOutputs({
      publicKey: this.publicKey,
      fingerprint: this.fingerprint,
      ...(this.privateKey ? { privateKey: this.privateKey } : {}),
      previousPublicKey: this.previousPublicKey,
      previousFingerprint: this.previousFingerprint,
      githubUserKeyId: this.githubUserKeyId,
      githubDeployKeyIds: this.githubDeployKeyIds,
      gitlabOwnKeyId: this.gitlabOwnKeyId,
      gitlabUserKeyIds: this.gitlabUserKeyIds,
      gitlabDeployKeyIds: this.gitlabDeployKeyIds,
      gcpProjectEntryIds: this.gcpProjectEntryIds,
      gcpInstanceEntryIds: this.gcpInstanceEntryIds,
      gcpOsLoginKeyIds: this.gcpOsLoginKeyIds,
    });
  }

  /** All argument checks, with the component's name in every message. */
  private static resolve(name: string, args: SshKeyDistributionArgs): ResolvedArgs {
    try {
      return resolveArgs(args);
    } catch (err) {
      throw err instanceof ComponentArgsError ? err.in(name) : err;
    }
  }

  /** The key of one generation and its placements on every target. */
  private placeGeneration(
    name: string,
    args: SshKeyDistributionArgs,
    resolved: ResolvedArgs,
    gen: Generation | undefined,
  ): Placed {
    const { label, key } = this.keyMaterial(name, args, resolved, gen);
    const parent = { parent: this };
    const baseTitle: pulumi.Input<string> = args.title ?? `keyfleet/${name}`;
    const titled = (t: pulumi.Input<string> | undefined): pulumi.Input<string> => {
      const title = t ?? baseTitle;
      return gen ? pulumi.interpolate`${title} (${isoMinute(gen.start)})` : title;
    };
    const expiry = (e: pulumi.Input<string> | undefined): pulumi.Input<string> | undefined =>
      e ?? args.expiresAt ?? (gen ? isoSecond(gen.retiresAt) : undefined);

    const ids = new Map<Placement, pulumi.Output<string>>();
    for (const p of resolved.placements) {
      const child = `${name}-${label}-${p.slug}`;
      switch (p.kind) {
        case 'github-user': {
          // Same key, new title: GitHub refuses a second copy, so the old one goes first.
          const r = new github.UserSshKey(
            child,
            { key: key.text, title: titled(p.title) },
            { ...parent, deleteBeforeReplace: true },
          );
          ids.set(p, r.id);
          break;
        }
        case 'github-deploy': {
          const readOnly = p.allowWrite === undefined ? true : pulumi.output(p.allowWrite).apply((w) => !w);
          const r = new github.RepositoryDeployKey(
            child,
            { key: key.text, title: titled(p.title), repository: p.repository, readOnly },
            { ...parent, deleteBeforeReplace: true },
          );
          ids.set(p, r.id);
          break;
        }
        case 'gitlab-user': {
          const exp = expiry(p.expiresAt);
          const r = new GitlabUserKey(
            child,
            {
              key: key.text,
              title: titled(p.title),
              ...(p.userId === undefined ? {} : { userId: p.userId }),
              ...(exp === undefined ? {} : { expiresAt: exp }),
            },
            parent,
          );
          ids.set(p, r.keyId);
          break;
        }
        case 'gitlab-deploy': {
          const exp = expiry(p.expiresAt);
          const r = new GitlabDeployKey(
            child,
            {
              project: p.project,
              key: key.text,
              title: titled(p.title),
              ...(p.canPush === undefined ? {} : { canPush: p.canPush }),
              ...(exp === undefined ? {} : { expiresAt: exp }),
            },
            parent,
          );
          ids.set(p, r.keyId);
          break;
        }
        case 'gcp-metadata': {
          const exp = expiry(p.expiresAt);
          const r = new GcpMetadataSshKey(
            child,
            {
              project: p.project,
              ...(p.zone === undefined ? {} : { zone: p.zone, instance: p.instance! }),
              user: p.user,
              key: key.text,
              ...(exp === undefined ? {} : { expiresAt: exp }),
            },
            parent,
          );
          ids.set(p, r.id);
          break;
        }
        case 'gcp-oslogin': {
          // Validation guarantees an expiry here (OS Login keys must expire).
          const exp = expiry(p.expiresAt)!;
          const r = new gcp.oslogin.SshPublicKey(
            child,
            {
              user: p.user,
              key: key.text,
              expirationTimeUsec: pulumi.output(exp).apply(toUsec),
              ...(p.project === undefined ? {} : { project: p.project }),
            },
            parent,
          );
          ids.set(p, r.id);
          break;
        }
      }
    }
    return { key, ids };
  }

  /** The key: the given one, or a `tls.PrivateKey` (one per generation when rotating). */
  private keyMaterial(
    name: string,
    args: SshKeyDistributionArgs,
    resolved: ResolvedArgs,
    gen: Generation | undefined,
  ): { label: string; key: KeyMaterial } {
    const parent = { parent: this };
    const source = resolved.source;
    if (source.kind === 'publicKey') {
      if (source.validated) {
        const v = source.validated;
        const text = `${v.key.type} ${v.key.blob.toString('base64')}`;
        return {
          label: fingerprintLabel(v.key.fingerprint),
          key: { text: pulumi.output(text), fingerprint: pulumi.output(v.key.fingerprint) },
        };
      }
      // An Output: validated when it resolves (the error then fails the children that use it).
      const checked = pulumi.output(args.publicKey!).apply((t) => {
        let v: ValidatedKey;
        try {
          v = validatePublicKeyText(t, resolved.policy);
        } catch (err) {
          throw err instanceof ComponentArgsError ? err.in(name) : err;
        }
        for (const w of v.warnings) pulumi.log.warn(`publicKey: ${w}`, this);
        return v;
      });
      return {
        label: 'key',
        key: {
          text: checked.apply((v) => `${v.key.type} ${v.key.blob.toString('base64')}`),
          fingerprint: checked.apply((v) => v.key.fingerprint),
        },
      };
    }

    const g = source.generate;
    const label = gen ? `${g.tag}-${gen.stamp}` : g.tag;
    let rotating: time.Rotating | undefined;
    if (gen && resolved.schedule) {
      // The generation's schedule as a resource: created at the generation's start, due when the
      // generation retires. Its timestamps are what the stack shows; the names above do the rotating.
      rotating = new time.Rotating(
        `${name}-${label}-rotation`,
        {
          rfc3339: isoSecond(gen.start),
          rotationMinutes: resolved.schedule.everyMinutes + resolved.schedule.graceMinutes,
        },
        parent,
      );
    }
    const pk = new tls.PrivateKey(
      `${name}-${label}-key`,
      {
        algorithm: g.algorithm,
        ...(g.ecdsaCurve === undefined ? {} : { ecdsaCurve: g.ecdsaCurve }),
        ...(g.rsaBits === undefined ? {} : { rsaBits: g.rsaBits }),
      },
      {
        ...parent,
        ...(rotating ? { dependsOn: [rotating] } : {}),
        additionalSecretOutputs: ['privateKeyOpenssh', 'privateKeyPem', 'privateKeyPemPkcs8'],
      },
    );
    const parsed = pk.publicKeyOpenssh.apply((t) => parsePublicKey(t));
    return {
      label,
      key: {
        text: parsed.apply((k) => `${k.type} ${k.blob.toString('base64')}`),
        fingerprint: parsed.apply((k) => k.fingerprint),
        privateKey: pulumi.secret(pk.privateKeyOpenssh),
      },
    };
  }
}
