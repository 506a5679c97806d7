/**
 * grant / list / revoke over any set of targets, through the KeyPlatform interface. Each
 * target gets its own outcome: one failing target never hides the others' results. Targets are
 * handled one after another so that two targets on the same platform never race (e.g. the same
 * GitLab deploy key being created for two projects at once).
 */
import { KeyfleetError } from '../errors.js';
import type { PublicKey } from '../keys/types.js';
import { PlatformError } from '../platforms/errors.js';
import { redact } from '../platforms/redact.js';
import { formatPlace, formatTarget } from '../platforms/target.js';
import type { KeyPlatform, PlacedKey, Platform, Target } from '../platforms/types.js';

/** Hands out one adapter per platform (see PlatformCache). */
export interface PlatformSource {
  get(platform: Platform): Promise<KeyPlatform>;
}

/** A failure as reports show it: always redacted, never a stack. */
export interface OutcomeError {
  code: string;
  message: string;
  platform?: string;
  status?: number;
  method?: string;
  url?: string;
  hint?: string;
}

export function describeError(err: unknown): OutcomeError {
  if (err instanceof PlatformError) {
    return err.toJSON() as unknown as OutcomeError;
  }
  if (err instanceof KeyfleetError) return { code: err.code, message: redact(err.message) };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message: redact(message) };
}

/** The full text of an error for a terminal (PlatformError messages carry their hint). */
export function errorText(err: unknown): string {
  return redact(err instanceof Error ? err.message : String(err));
}

export interface GrantOutcome {
  target: string;
  status: 'added' | 'present' | 'would-add' | 'failed';
  key?: PlacedKey;
  warnings: string[];
  notes: string[];
  error?: OutcomeError;
  /** Terminal text of the error (with hint). */
  errorText?: string;
}

export interface GrantRequest {
  key: PublicKey;
  targets: Target[];
  title?: string;
  expiresAt?: Date;
  dryRun?: boolean;
}

export async function grantKey(platforms: PlatformSource, req: GrantRequest): Promise<GrantOutcome[]> {
  const out: GrantOutcome[] = [];
  for (const target of req.targets) {
    const name = formatTarget(target);
    try {
      const platform = await platforms.get(target.platform);
      const r = await platform.add(target, req.key, {
        ...(req.title !== undefined ? { title: req.title } : {}),
        ...(req.expiresAt !== undefined ? { expiresAt: req.expiresAt } : {}),
        ...(req.dryRun ? { dryRun: true } : {}),
      });
      out.push({ target: name, status: r.status, key: r.key, warnings: r.warnings, notes: r.notes ?? [] });
    } catch (err) {
      out.push({
        target: name,
        status: 'failed',
        warnings: [],
        notes: [],
        error: describeError(err),
        errorText: errorText(err),
      });
    }
  }
  return out;
}

export interface ListOutcome {
  target: string;
  ok: boolean;
  keys: PlacedKey[];
  error?: OutcomeError;
  errorText?: string;
}

export async function listKeys(platforms: PlatformSource, targets: Target[]): Promise<ListOutcome[]> {
  const out: ListOutcome[] = [];
  for (const target of targets) {
    const name = formatPlace(target);
    try {
      const platform = await platforms.get(target.platform);
      out.push({ target: name, ok: true, keys: await platform.list(target) });
    } catch (err) {
      out.push({ target: name, ok: false, keys: [], error: describeError(err), errorText: errorText(err) });
    }
  }
  return out;
}

export interface RevokeOutcome {
  target: string;
  status: 'removed' | 'would-remove' | 'absent' | 'failed';
  /** The keys with the fingerprint that were removed (or would be). */
  keys: PlacedKey[];
  notes: string[];
  error?: OutcomeError;
  errorText?: string;
}

/**
 * Removes exactly the keys whose fingerprint matches from each target. A target where the token
 * cannot see the keys fails (it is never reported as "absent").
 */
export async function revokeFingerprint(
  platforms: PlatformSource,
  fingerprint: string,
  targets: Target[],
  options: { dryRun?: boolean } = {},
): Promise<RevokeOutcome[]> {
  const out: RevokeOutcome[] = [];
  for (const target of targets) {
    const name = formatPlace(target);
    const done: PlacedKey[] = [];
    const notes: string[] = [];
    try {
      const platform = await platforms.get(target.platform);
      const matches = await platform.findByFingerprint(target, fingerprint);
      if (matches.length === 0) {
        out.push({
          target: name,
          status: 'absent',
          keys: [],
          notes: [`no key with ${fingerprint} on ${name}: nothing to do`],
        });
        continue;
      }
      let removedAny = false;
      for (const k of matches) {
        const r = await platform.remove(target, k.id, options.dryRun ? { dryRun: true } : {});
        notes.push(...r.notes);
        if (r.status !== 'absent') {
          done.push(k);
          removedAny = true;
        }
      }
      out.push({
        target: name,
        status: removedAny ? (options.dryRun ? 'would-remove' : 'removed') : 'absent',
        keys: done,
        notes,
      });
    } catch (err) {
      out.push({
        target: name,
        status: 'failed',
        keys: done,
        notes,
        error: describeError(err),
        errorText: errorText(err),
      });
    }
  }
  return out;
}
