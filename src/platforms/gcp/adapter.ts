/**
 * Google Cloud behind the KeyPlatform interface: a line in project or instance `ssh-keys`
 * metadata (merged, never clobbered) and OS Login keys of a Google identity.
 *
 * Targets: `gcp:project/P?user=U`, `gcp:instance/P/Z/I?user=U`, `gcp:oslogin/EMAIL`. For
 * metadata targets `?user=*` means every user (list, revoke, prune; never grant). Key ids are
 * fingerprints (`SHA256:…`), computed locally from the key text.
 */
import { UsageError } from '../../errors.js';
import { normalizeFingerprint } from '../../keys/fingerprint.js';
import { formatPublicKey, parsePublicKey } from '../../keys/public-key.js';
import type { PublicKey } from '../../keys/types.js';
import { formatTarget } from '../target.js';
import type { AddOptions, AddResult, KeyPlatform, PlacedKey, RemoveResult, Target } from '../types.js';
import { createGcpAuth, type GcpAuth } from './auth.js';
import { ComputeClient, type InstanceSummary } from './compute-client.js';
import {
  addEntry,
  checkMetadataLimits,
  pruneExpired,
  removeLines,
  withItemValue,
  type MetadataItem,
} from './merge.js';
import {
  describeScope,
  updateMetadata,
  type Metadata,
  type MetadataScope,
  type WriterOptions,
} from './metadata-writer.js';
import {
  DEFAULT_OSLOGIN_TTL_DAYS,
  OsLoginClient,
  usecToDate,
  type LoginProfileJson,
  type SshPublicKeyJson,
} from './oslogin.js';
import {
  checkUserForWrite,
  CONTROL,
  formatOwnedLine,
  parseSshKeys,
  type SshKeysLine,
} from './ssh-keys-codec.js';
import { instanceKeyWarnings, projectKeyWarnings, usernameWarnings } from './warnings.js';

/** The metadata keys that hold SSH keys: keyfleet writes `ssh-keys`; legacy `sshKeys` is read, revoked from and pruned. */
export const SSH_KEYS = 'ssh-keys';
export const LEGACY_SSH_KEYS = 'sshKeys';
const KEY_ITEMS = [SSH_KEYS, LEGACY_SSH_KEYS] as const;

/** A user of `?user=*`: every user of the metadata. */
export const ANY_USER = '*';

/** An OS Login profile is capped at 32 KiB. */
export const OSLOGIN_PROFILE_LIMIT = 32 * 1024;

export interface GcpPlatformOptions {
  /** Compute v1 root, default `https://compute.googleapis.com/compute/v1` (the sandbox: `http://127.0.0.1:PORT/compute/v1`). */
  computeUrl?: string;
  /** OS Login root, default `https://oslogin.googleapis.com`. */
  osloginUrl?: string;
  /** An OAuth access token; without one, Application Default Credentials. */
  token?: string;
  /** Retry and backoff of metadata writes. */
  writer?: WriterOptions;
  /** Lifetime of OS Login keys added without an expiry; 0 = no expiry. Default 30 days. */
  osLoginDefaultTtlDays?: number;
  /** The clock (tests). */
  now?: () => Date;
}

type MetadataTarget = Extract<Target, { platform: 'gcp'; kind: 'project' | 'instance' }>;
type OsLoginTarget = Extract<Target, { platform: 'gcp'; kind: 'oslogin' }>;

/** A metadata line in a listing, with where it is. */
export interface MetadataLine {
  item: typeof SSH_KEYS | typeof LEGACY_SSH_KEYS;
  /** 1-based line number within the item's value. */
  lineNumber: number;
  line: SshKeysLine;
}

/** Everything a metadata target holds for one user (or all): keys, expired keys, invalid lines. */
export interface MetadataInspection {
  target: string;
  keys: PlacedKey[];
  /** Lines the guest agent skips (reason only: an invalid line is never echoed, it may hold pasted secrets). */
  invalid: { item: string; lineNumber: number; user: string; reason: string }[];
  valueBytes: number;
}

export interface PrunedKey {
  user?: string;
  fingerprint: string;
  type: string;
  expiresAt: string;
  item?: string;
}

export interface PruneResult {
  target: string;
  status: 'pruned' | 'nothing-to-prune' | 'would-prune';
  removed: PrunedKey[];
  /** Lines left alone (e.g. invalid lines are never pruned). */
  notes: string[];
}

function scopeOf(t: MetadataTarget): MetadataScope {
  return t.kind === 'project'
    ? { kind: 'project', project: t.project }
    : { kind: 'instance', project: t.project, zone: t.zone, instance: t.instance };
}

function isMetadataTarget(t: Target): t is MetadataTarget {
  return t.platform === 'gcp' && (t.kind === 'project' || t.kind === 'instance');
}

function userFilter(t: MetadataTarget): string | undefined {
  return t.user === ANY_USER ? undefined : t.user;
}

function itemValue(items: readonly MetadataItem[] | null | undefined, key: string): string | undefined {
  const v = items?.find((i) => i.key === key)?.value;
  return v === null ? undefined : v;
}

function keyText(key: PublicKey, comment?: string): string {
  return formatPublicKey({ ...key, comment: comment ?? '' });
}

function placedFromLine(t: MetadataTarget, l: SshKeysLine, item: string): PlacedKey {
  const key = l.key!;
  const comment = l.expiring ? '' : l.comment;
  return {
    target: formatTarget({ ...t, user: l.user }),
    id: key.fingerprint,
    publicKey: keyText(key, comment),
    fingerprint: key.fingerprint,
    type: key.type,
    bits: key.bits,
    ...(comment ? { title: comment } : item === LEGACY_SSH_KEYS ? { title: 'legacy sshKeys metadata' } : {}),
    ...(l.expireOn ? { expiresAt: l.expireOn.toISOString() } : {}),
    user: l.user,
    ...(l.googleUserName ? { addedBy: l.googleUserName } : {}),
  };
}

/** Matches a user-supplied id (SHA256 or MD5 fingerprint, or for OS Login its 64-hex name) against a key. */
function idMatcher(id: string): (key: PublicKey, osLoginFingerprint?: string) => boolean {
  const fp = normalizeFingerprint(id);
  const hex = /^[0-9a-f]{64}$/i.test(id.trim()) ? id.trim().toLowerCase() : undefined;
  if (!fp && !hex) {
    throw new UsageError(
      `"${id}" is not a key fingerprint; Google Cloud keys are identified by fingerprint, e.g. SHA256:… (as \`keyfleet list\` or \`ssh-keygen -lf KEY.pub\` prints it)`,
    );
  }
  return (key, osFp) =>
    (fp !== undefined && (key.fingerprint === fp || key.md5 === fp)) ||
    (hex !== undefined && osFp?.toLowerCase() === hex);
}

export class GcpPlatform implements KeyPlatform {
  readonly platform = 'gcp' as const;
  private readonly options: GcpPlatformOptions;
  private auth?: Promise<GcpAuth>;
  private computeClient?: Promise<ComputeClient>;
  private osLoginClient?: Promise<OsLoginClient>;

  constructor(options: GcpPlatformOptions = {}) {
    this.options = options;
  }

  private now(): Date {
    return this.options.now ? this.options.now() : new Date();
  }

  private getAuth(): Promise<GcpAuth> {
    this.auth ??= createGcpAuth(this.options.token);
    return this.auth;
  }

  /** The Compute client (exposed for tools and tests that read metadata the same way). */
  compute(): Promise<ComputeClient> {
    this.computeClient ??= this.getAuth().then((a) => ComputeClient.create(a, this.options.computeUrl));
    return this.computeClient;
  }

  oslogin(): Promise<OsLoginClient> {
    this.osLoginClient ??= this.getAuth().then((a) => new OsLoginClient(a, this.options.osloginUrl));
    return this.osLoginClient;
  }

  // ---- KeyPlatform ---------------------------------------------------------------------------

  async list(target: Target): Promise<PlacedKey[]> {
    if (isMetadataTarget(target)) return (await this.inspect(target)).keys;
    if (target.platform === 'gcp' && target.kind === 'oslogin') return this.listOsLogin(target);
    throw new UsageError(`the Google Cloud adapter cannot list ${formatTarget(target)}`);
  }

  async findByFingerprint(target: Target, fingerprint: string): Promise<PlacedKey[]> {
    const match = idMatcher(fingerprint);
    const keys = await this.list(target);
    return keys.filter((k) => {
      try {
        return match(parsePublicKey(k.publicKey), k.id);
      } catch {
        return false;
      }
    });
  }

  async add(target: Target, key: PublicKey, options: AddOptions = {}): Promise<AddResult> {
    if (options.expiresAt !== undefined && options.expiresAt.getTime() <= this.now().getTime()) {
      throw new UsageError(
        `the expiry ${options.expiresAt.toISOString()} is not in the future; give a later --expires (e.g. 30d or 2030-01-31)`,
      );
    }
    if (isMetadataTarget(target)) return this.addMetadata(target, key, options);
    if (target.platform === 'gcp' && target.kind === 'oslogin') return this.addOsLogin(target, key, options);
    throw new UsageError(`the Google Cloud adapter cannot add keys to ${formatTarget(target)}`);
  }

  async remove(target: Target, id: string, options: { dryRun?: boolean } = {}): Promise<RemoveResult> {
    const match = idMatcher(id);
    if (isMetadataTarget(target)) return this.removeMetadata(target, match, options);
    if (target.platform === 'gcp' && target.kind === 'oslogin')
      return this.removeOsLogin(target, match, options);
    throw new UsageError(`the Google Cloud adapter cannot remove keys from ${formatTarget(target)}`);
  }

  // ---- metadata ------------------------------------------------------------------------------

  private async readMetadata(t: MetadataTarget): Promise<Metadata> {
    return (await this.compute()).read(scopeOf(t));
  }

  /** Keys (expired ones included, with `expiresAt`) and the invalid lines of a metadata target. */
  async inspect(target: Target): Promise<MetadataInspection> {
    if (!isMetadataTarget(target)) throw new UsageError(`inspect needs a gcp:project or gcp:instance target`);
    const md = await this.readMetadata(target);
    const user = userFilter(target);
    const out: MetadataInspection = { target: formatTarget(target), keys: [], invalid: [], valueBytes: 0 };
    for (const item of KEY_ITEMS) {
      const value = itemValue(md.items, item);
      if (item === SSH_KEYS) out.valueBytes = value ? Buffer.byteLength(value) : 0;
      parseSshKeys(value).forEach((line, i) => {
        if (user !== undefined && line.user !== user) return;
        if (line.kind === 'key') out.keys.push(placedFromLine(target, line, item));
        else if (line.kind === 'invalid') {
          out.invalid.push({
            item,
            lineNumber: i + 1,
            user: line.user,
            reason: line.invalidReason ?? 'invalid',
          });
        }
      });
    }
    return out;
  }

  private async addMetadata(t: MetadataTarget, key: PublicKey, options: AddOptions): Promise<AddResult> {
    if (t.user === ANY_USER) {
      throw new UsageError(
        `"?user=*" means every user and cannot receive a key; name the login, e.g. ${formatTarget({ ...t, user: 'alice' })}`,
      );
    }
    checkUserForWrite(t.user);
    const entry = {
      user: t.user,
      key,
      ...(options.title !== undefined || key.comment ? { comment: options.title ?? key.comment } : {}),
      ...(options.expiresAt ? { expireOn: options.expiresAt } : {}),
    };
    formatOwnedLine(entry); // validates user and comment before any network call
    const scope = scopeOf(t);
    const where = describeScope(scope);
    const placed: PlacedKey = {
      target: formatTarget(t),
      id: key.fingerprint,
      publicKey: keyText(key, options.expiresAt ? '' : entry.comment),
      fingerprint: key.fingerprint,
      type: key.type,
      bits: key.bits,
      user: t.user,
      ...(entry.comment && !options.expiresAt ? { title: entry.comment } : {}),
      ...(options.expiresAt
        ? { expiresAt: new Date(Math.floor(options.expiresAt.getTime() / 1000) * 1000).toISOString() }
        : {}),
    };

    let seenItems: MetadataItem[] = [];
    const plan = (items: MetadataItem[]) => {
      seenItems = items;
      const res = addEntry(itemValue(items, SSH_KEYS), entry);
      if (res.status === 'present') return { result: { res, limitWarnings: [] as string[] } };
      const next = withItemValue(items, SSH_KEYS, res.value);
      const limitWarnings = checkMetadataLimits(next, SSH_KEYS, where);
      return { items: next, result: { res, limitWarnings } };
    };

    const compute = await this.compute();
    let status: AddResult['status'];
    let outcome: ReturnType<typeof plan>['result'];
    if (options.dryRun) {
      const change = plan((await compute.read(scope)).items ?? []);
      outcome = change.result;
      status = outcome.res.status === 'present' ? 'present' : 'would-add';
    } else {
      const done = await updateMetadata(compute, scope, plan, this.options.writer);
      outcome = done.result;
      status = outcome.res.status === 'present' ? 'present' : 'added';
    }

    const warnings = [...usernameWarnings(t.user), ...outcome.limitWarnings];
    if (outcome.res.status === 'replaced') {
      warnings.push(
        `replaced ${outcome.res.replaced.length} existing line(s) for ${t.user} with this key (new expiry or options)`,
      );
    }
    warnings.push(...(await this.placementWarnings(t, compute, { items: seenItems })));
    return { status, key: placed, warnings };
  }

  /** OS Login and blocked-project-keys warnings; a failure to look only loses the warning. */
  private async placementWarnings(
    t: MetadataTarget,
    compute: ComputeClient,
    md: Metadata,
  ): Promise<string[]> {
    if (t.kind === 'instance') {
      const project = await compute.read({ kind: 'project', project: t.project }).catch(() => undefined);
      return instanceKeyWarnings(`${t.project}/${t.zone}/${t.instance}`, project, md);
    }
    let instances: InstanceSummary[] | undefined;
    try {
      instances = await compute.listInstances(t.project);
    } catch {
      instances = undefined; // no compute.instances.list permission (or an API without it): skip that check
    }
    return projectKeyWarnings(t.project, md, instances);
  }

  private async removeMetadata(
    t: MetadataTarget,
    match: (key: PublicKey) => boolean,
    options: { dryRun?: boolean },
  ): Promise<RemoveResult> {
    const user = userFilter(t);
    const scope = scopeOf(t);
    const plan = (items: MetadataItem[]) => {
      let next = items;
      const removed: SshKeysLine[] = [];
      for (const item of KEY_ITEMS) {
        const r = removeLines(
          itemValue(next, item),
          (l) => match(l.key!) && (user === undefined || l.user === user),
        );
        if (r.removed.length === 0) continue;
        next = withItemValue(next, item, r.value);
        removed.push(...r.removed);
      }
      return removed.length ? { items: next, result: removed } : { result: removed };
    };
    const compute = await this.compute();
    const removed = options.dryRun
      ? plan((await compute.read(scope)).items ?? []).result
      : (await updateMetadata(compute, scope, plan, this.options.writer)).result;
    if (removed.length === 0) return { status: 'absent', notes: [] };
    const users = [...new Set(removed.map((l) => l.user))].join(', ');
    return {
      status: options.dryRun ? 'would-remove' : 'removed',
      notes: [`${removed.length} line(s) of ${describeScope(scope)} for ${users}`],
    };
  }

  /** Removes expired `google-ssh` lines (of the target's user, or all with `?user=*`); nothing else changes. */
  async prune(target: Target, options: { dryRun?: boolean } = {}): Promise<PruneResult> {
    if (target.platform === 'gcp' && target.kind === 'oslogin') return this.pruneOsLogin(target, options);
    if (!isMetadataTarget(target))
      throw new UsageError(`prune works on Google Cloud targets only, not ${formatTarget(target)}`);
    const now = this.now();
    const user = userFilter(target);
    const scope = scopeOf(target);
    let invalidCount = 0;
    const plan = (items: MetadataItem[]) => {
      let next = items;
      const removed: PrunedKey[] = [];
      invalidCount = 0;
      for (const item of KEY_ITEMS) {
        const value = itemValue(next, item);
        invalidCount += parseSshKeys(value).filter((l) => l.kind === 'invalid').length;
        const r = pruneExpired(value, now, user);
        if (r.removed.length === 0) continue;
        next = withItemValue(next, item, r.value);
        for (const l of r.removed) {
          removed.push({
            user: l.user,
            fingerprint: l.key!.fingerprint,
            type: l.key!.type,
            expiresAt: l.expireOn!.toISOString(),
            item,
          });
        }
      }
      return removed.length ? { items: next, result: removed } : { result: removed };
    };
    const compute = await this.compute();
    const removed = options.dryRun
      ? plan((await compute.read(scope)).items ?? []).result
      : (await updateMetadata(compute, scope, plan, this.options.writer)).result;
    const notes = invalidCount
      ? [
          `${invalidCount} invalid line(s) left as they are (the guest agent skips them; \`keyfleet list\` does not show them)`,
        ]
      : [];
    return {
      target: formatTarget(target),
      status: removed.length === 0 ? 'nothing-to-prune' : options.dryRun ? 'would-prune' : 'pruned',
      removed,
      notes,
    };
  }

  // ---- OS Login ------------------------------------------------------------------------------

  private parsedProfileKeys(
    profile: LoginProfileJson,
  ): { osFp: string; json: SshPublicKeyJson; key?: PublicKey }[] {
    return Object.entries(profile.sshPublicKeys ?? {}).map(([osFp, json]) => {
      try {
        return { osFp: json.fingerprint ?? osFp, json, key: parsePublicKey(json.key) };
      } catch {
        return { osFp: json.fingerprint ?? osFp, json };
      }
    });
  }

  private placedOsLogin(t: OsLoginTarget, key: PublicKey, json: SshPublicKeyJson): PlacedKey {
    const expires = usecToDate(json.expirationTimeUsec);
    return {
      target: formatTarget(t),
      id: key.fingerprint,
      publicKey: formatPublicKey(key),
      fingerprint: key.fingerprint,
      type: key.type,
      bits: key.bits,
      ...(key.comment ? { title: key.comment } : {}),
      ...(expires ? { expiresAt: expires.toISOString() } : {}),
    };
  }

  private async listOsLogin(t: OsLoginTarget): Promise<PlacedKey[]> {
    const profile = await (await this.oslogin()).getLoginProfile(t.email);
    return this.parsedProfileKeys(profile).flatMap((k) =>
      k.key ? [this.placedOsLogin(t, k.key, k.json)] : [],
    );
  }

  private async addOsLogin(t: OsLoginTarget, key: PublicKey, options: AddOptions): Promise<AddResult> {
    const os = await this.oslogin();
    const ttlDays = this.options.osLoginDefaultTtlDays ?? DEFAULT_OSLOGIN_TTL_DAYS;
    const profile = await os.getLoginProfile(t.email);
    const existing = this.parsedProfileKeys(profile).find((k) => k.key?.fingerprint === key.fingerprint);
    const warnings: string[] = [];
    const text = formatPublicKey(options.title !== undefined ? { ...key, comment: options.title } : key);
    if (CONTROL.test(text)) {
      throw new UsageError(
        'the key comment contains control characters; an OS Login key must be one line of printable text',
      );
    }

    if (existing) {
      const current = usecToDate(existing.json.expirationTimeUsec);
      const want = options.expiresAt;
      const same = want === undefined || (current !== undefined && current.getTime() === want.getTime());
      if (same) return { status: 'present', key: this.placedOsLogin(t, key, existing.json), warnings };
      if (options.dryRun)
        return { status: 'would-add', key: this.placedOsLogin(t, key, existing.json), warnings };
      const patched = await os.patchExpiry(t.email, existing.osFp, want);
      warnings.push(
        `the key was already in the OS Login profile of ${t.email}; its expiry was changed to ${want?.toISOString()}`,
      );
      return {
        status: 'added',
        key: this.placedOsLogin(t, key, { ...existing.json, ...patched, key: existing.json.key }),
        warnings,
      };
    }

    const expiresAt =
      options.expiresAt ?? (ttlDays > 0 ? new Date(this.now().getTime() + ttlDays * 86_400_000) : undefined);
    if (!options.expiresAt && expiresAt) {
      warnings.push(
        `OS Login key given the default expiry of ${ttlDays} days (${expiresAt.toISOString()}): login profiles are capped at 32 KiB, so keys must not pile up; use --expires to choose`,
      );
    }
    const size = Buffer.byteLength(JSON.stringify(profile)) + Buffer.byteLength(text) + 200;
    if (size > OSLOGIN_PROFILE_LIMIT * 0.8) {
      warnings.push(
        `the OS Login profile of ${t.email} is about ${size.toLocaleString('en-US')} bytes, near its 32 KiB limit; remove expired keys with \`keyfleet prune gcp:oslogin/${t.email}\``,
      );
    }
    const json: SshPublicKeyJson = {
      key: text,
      ...(expiresAt ? { expirationTimeUsec: String(BigInt(expiresAt.getTime()) * 1000n) } : {}),
    };
    if (options.dryRun) return { status: 'would-add', key: this.placedOsLogin(t, key, json), warnings };
    await os.importSshPublicKey(t.email, text, expiresAt);
    return { status: 'added', key: this.placedOsLogin(t, key, json), warnings };
  }

  private async removeOsLogin(
    t: OsLoginTarget,
    match: (key: PublicKey, osFp?: string) => boolean,
    options: { dryRun?: boolean },
  ): Promise<RemoveResult> {
    const os = await this.oslogin();
    const profile = await os.getLoginProfile(t.email);
    const hits = this.parsedProfileKeys(profile).filter((k) => k.key && match(k.key, k.osFp));
    if (hits.length === 0) return { status: 'absent', notes: [] };
    if (options.dryRun) return { status: 'would-remove', notes: [] };
    for (const h of hits) await os.deleteSshPublicKey(t.email, h.osFp);
    return { status: 'removed', notes: [] };
  }

  private async pruneOsLogin(t: OsLoginTarget, options: { dryRun?: boolean }): Promise<PruneResult> {
    const os = await this.oslogin();
    const now = this.now();
    const profile = await os.getLoginProfile(t.email);
    const expired = this.parsedProfileKeys(profile).filter((k) => {
      const exp = usecToDate(k.json.expirationTimeUsec);
      return exp !== undefined && exp.getTime() < now.getTime();
    });
    const removed: PrunedKey[] = expired.map((k) => ({
      fingerprint: k.key?.fingerprint ?? k.osFp,
      type: k.key?.type ?? 'unknown',
      expiresAt: usecToDate(k.json.expirationTimeUsec)!.toISOString(),
    }));
    if (!options.dryRun) for (const k of expired) await os.deleteSshPublicKey(t.email, k.osFp);
    return {
      target: formatTarget(t),
      status: removed.length === 0 ? 'nothing-to-prune' : options.dryRun ? 'would-prune' : 'pruned',
      removed,
      notes: [],
    };
  }
}
