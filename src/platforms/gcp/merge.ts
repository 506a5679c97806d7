/**
 * Changing one entry of an `ssh-keys` value and nothing else. Each function takes the current
 * value and returns the new one; lines it does not own are carried over as the same strings, in
 * the same order, so a write built from its result cannot lose or reorder anyone else's key.
 */
import { KeyfleetError } from '../../errors.js';
import type { PublicKey } from '../../keys/types.js';
import {
  formatOwnedLine,
  formatSshKeys,
  isExpired,
  parseSshKeys,
  parseSshKeysLine,
  type OwnedEntry,
  type SshKeysLine,
} from './ssh-keys-codec.js';

/** A metadata value is at most 256 KiB (UTF-8 bytes). */
export const MAX_VALUE_BYTES = 262_144;
/** All metadata keys and values together stay below 512 KiB. */
export const MAX_TOTAL_BYTES = 524_288;
/** A warning is given past this share of either limit. */
export const WARN_RATIO = 0.8;

export interface MetadataItem {
  key: string;
  value?: string | null;
}

export interface AddEntryResult {
  /** `present`: an identical entry was there (nothing to write). */
  status: 'added' | 'replaced' | 'present';
  value: string;
  line: string;
  /** The raw lines the entry replaced (same user and key fingerprint). */
  replaced: string[];
}

function sameEntry(line: SshKeysLine, user: string, fingerprint: string): boolean {
  return line.kind === 'key' && line.user === user && line.key?.fingerprint === fingerprint;
}

function sameExpiry(a: Date | undefined, b: Date | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Math.floor(a.getTime() / 1000) === Math.floor(b.getTime() / 1000);
}

/**
 * Adds `entry` to `value`. A valid line with the same user and key fingerprint is the same entry:
 * when it has no options and the same expiry it is `present` (its comment is not compared: keys
 * are compared by fingerprint); otherwise the first such line is replaced in place and any
 * further duplicates of that user and key are dropped (they would keep the old expiry alive).
 * A new line goes after the last non-blank line, so a trailing newline stays trailing.
 */
export function addEntry(value: string | undefined | null, entry: OwnedEntry): AddEntryResult {
  const line = formatOwnedLine(entry);
  const lines = parseSshKeys(value);
  const fp = entry.key.fingerprint;
  const matches = lines.filter((l) => sameEntry(l, entry.user, fp));
  if (matches.some((l) => l.options.length === 0 && sameExpiry(l.expireOn, entry.expireOn))) {
    return { status: 'present', value: value ?? '', line, replaced: [] };
  }
  const newLine = parseSshKeysLine(line);
  if (matches.length > 0) {
    const first = lines.indexOf(matches[0]!);
    const out = lines.filter((l, i) => i === first || !sameEntry(l, entry.user, fp));
    out[out.indexOf(matches[0]!)] = newLine;
    return { status: 'replaced', value: formatSshKeys(out), line, replaced: matches.map((l) => l.raw) };
  }
  if (lines.length === 0 || (lines.length === 1 && lines[0]!.raw === '')) {
    return { status: 'added', value: line, line, replaced: [] };
  }
  let at = lines.length;
  while (at > 0 && lines[at - 1]!.kind === 'blank') at--;
  const out = [...lines.slice(0, at), newLine, ...lines.slice(at)];
  return { status: 'added', value: formatSshKeys(out), line, replaced: [] };
}

export interface RemoveResult {
  value: string;
  removed: SshKeysLine[];
}

/** Removes the lines `predicate` picks (only valid key lines are offered to it); all other lines stay as they are. */
export function removeLines(
  value: string | undefined | null,
  predicate: (line: SshKeysLine) => boolean,
): RemoveResult {
  const lines = parseSshKeys(value);
  const removed = lines.filter((l) => l.kind === 'key' && predicate(l));
  if (removed.length === 0) return { value: value ?? '', removed };
  return { value: formatSshKeys(lines.filter((l) => !removed.includes(l))), removed };
}

/** Removes every valid line with this key fingerprint (and this user, when given). Invalid lines are never touched. */
export function removeEntries(
  value: string | undefined | null,
  match: { fingerprint: string; user?: string },
): RemoveResult {
  return removeLines(
    value,
    (l) => l.key?.fingerprint === match.fingerprint && (match.user === undefined || l.user === match.user),
  );
}

/** Removes valid `google-ssh` lines whose expireOn is before `now` (optionally only for one user). */
export function pruneExpired(value: string | undefined | null, now: Date, user?: string): RemoveResult {
  return removeLines(value, (l) => isExpired(l, now) && (user === undefined || l.user === user));
}

/** A metadata change that would exceed Google's size limits: nothing was written. */
export class MetadataLimitError extends KeyfleetError {
  readonly limit: number;
  readonly size: number;
  readonly what: string;
  constructor(what: string, size: number, limit: number, advice: string) {
    super(
      'GCP_METADATA_LIMIT',
      `gcp: ${what} would be ${size.toLocaleString('en-US')} bytes, over Google's limit of ${limit.toLocaleString('en-US')} bytes ` +
        `(${limit / 1024} KiB); nothing was written.\n  hint: ${advice}`,
      { exitCode: 1 },
    );
    this.limit = limit;
    this.size = size;
    this.what = what;
  }
}

export function byteLength(text: string | undefined | null): number {
  return text ? Buffer.byteLength(text, 'utf8') : 0;
}

/** Bytes of all keys and values, the quantity Google limits to 512 KiB. */
export function totalMetadataBytes(items: readonly MetadataItem[]): number {
  return items.reduce((n, i) => n + byteLength(i.key) + byteLength(i.value), 0);
}

/**
 * Checks the limits for metadata about to be written (`where` names it, e.g. "project ml-prod").
 * Throws MetadataLimitError over a limit; returns warnings past 80% of one.
 */
export function checkMetadataLimits(
  items: readonly MetadataItem[],
  changedKey: string,
  where: string,
): string[] {
  const warnings: string[] = [];
  const advice =
    'remove keys nobody uses (`keyfleet prune` removes expired google-ssh lines), move people to instance metadata, or use OS Login (gcp:oslogin/EMAIL)';
  const item = items.find((i) => i.key === changedKey);
  const size = byteLength(item?.value);
  if (size > MAX_VALUE_BYTES)
    throw new MetadataLimitError(`the ${changedKey} value of ${where}`, size, MAX_VALUE_BYTES, advice);
  const total = totalMetadataBytes(items);
  if (total > MAX_TOTAL_BYTES)
    throw new MetadataLimitError(`all metadata of ${where}`, total, MAX_TOTAL_BYTES, advice);
  if (size > MAX_VALUE_BYTES * WARN_RATIO) {
    warnings.push(
      `the ${changedKey} value of ${where} is ${size.toLocaleString('en-US')} bytes, ${Math.round((size / MAX_VALUE_BYTES) * 100)}% of Google's 256 KiB limit; ${advice}`,
    );
  }
  if (total > MAX_TOTAL_BYTES * WARN_RATIO) {
    warnings.push(
      `the metadata of ${where} is ${total.toLocaleString('en-US')} bytes, ${Math.round((total / MAX_TOTAL_BYTES) * 100)}% of Google's 512 KiB limit`,
    );
  }
  return warnings;
}

/** Replaces (or appends) one item's value, leaving every other item as it was. */
export function withItemValue(items: readonly MetadataItem[], key: string, value: string): MetadataItem[] {
  const i = items.findIndex((it) => it.key === key);
  if (i < 0) return [...items, { key, value }];
  return items.map((it, j) => (j === i ? { ...it, value } : it));
}

/** The PublicKey of each valid line, for callers that only want keys. */
export function keysOf(lines: readonly SshKeysLine[]): PublicKey[] {
  return lines.flatMap((l) => (l.kind === 'key' && l.key ? [l.key] : []));
}
