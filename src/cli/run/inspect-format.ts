/**
 * How `keyfleet inspect` prints one key: a table row or a JSON item. Shared by the main thread
 * and the worker threads of the parallel path (inspect-parallel.ts), so both print the same bytes.
 */
import type { PolicyResult } from '../../keys/policy.js';
import { keygenTypeLabel } from '../../keys/public-key.js';
import type { CertificateInfo, Finding, KeyEntry } from '../../keys/types.js';
import { printable } from '../output.js';

export const TABLE_HEADER: readonly string[] = [
  'SOURCE',
  'TYPE',
  'BITS',
  'FINGERPRINT',
  'COMMENT',
  'VERDICT',
];

/** The cells of a key's table row. */
export function tableRow(entry: KeyEntry, evaluation: PolicyResult, hash: 'sha256' | 'md5'): string[] {
  const { key } = entry;
  let comment = key.comment;
  if (entry.knownHost) {
    const hosts =
      (entry.knownHost.marker ? entry.knownHost.marker + ' ' : '') + entry.knownHost.hosts.join(',');
    comment = comment ? `${hosts} ${comment}` : hosts;
  }
  return [
    entry.source,
    keygenTypeLabel(key),
    String(key.bits),
    hash === 'md5' ? key.md5 : key.fingerprint,
    printable(comment),
    evaluation.verdict,
  ];
}

/** A row as a line: cells padded to `widths` and two spaces apart; the last cell is not padded. */
export function formatRow(row: readonly string[], widths: readonly number[]): string {
  let line = '';
  const last = row.length - 1;
  for (let i = 0; i < last; i++) {
    const cell = row[i]!;
    // As cell.padEnd(width) + '  ', without making the padded copy of every cell.
    line += cell + spaces(Math.max(widths[i]! - cell.length, 0) + 2);
  }
  return line + row[last]! + '\n';
}

const SPACES = Array.from({ length: 128 }, (_, i) => ' '.repeat(i));

function spaces(n: number): string {
  return n < SPACES.length ? SPACES[n]! : ' '.repeat(n);
}

const KEYS_PREFIX = '{\n  "keys": [\n    '.length;
const KEYS_SUFFIX = '\n  ]\n}'.length;

/**
 * Keys of the JSON document (keyJson objects, at least one) as printed inside its `"keys": [...]`:
 * indented for that place and separated by `,\n    `, with no separator before the first.
 * One JSON.stringify of the whole batch, cut out of a `{ "keys": [...] }` wrapper, prints exactly
 * what printJson would, and costs less than one call per key plus re-indenting each.
 */
export function keysJsonText(keys: readonly Record<string, unknown>[]): string {
  const text = JSON.stringify({ keys }, null, 2);
  return text.slice(KEYS_PREFIX, text.length - KEYS_SUFFIX);
}

/** One key of the JSON document: the fields in the documented order. */
export function keyJson(entry: KeyEntry, evaluation: PolicyResult): Record<string, unknown> {
  const { key } = entry;
  return {
    source: entry.source,
    type: key.type,
    family: key.family,
    bits: key.bits,
    fingerprint: key.fingerprint,
    md5: key.md5,
    comment: key.comment,
    options: entry.options,
    certificate: key.certificate ? certificateJson(key.certificate) : null,
    knownHost: entry.knownHost ?? null,
    fromPrivateKey: entry.fromPrivateKey === true,
    verdict: evaluation.verdict,
    findings: evaluation.findings.map((f: Finding) => ({
      code: f.code,
      severity: f.severity,
      message: f.message,
    })),
  };
}

const FOREVER = 0xffffffffffffffffn;
/** The latest instant a JS Date holds (year 275760), in seconds. */
const MAX_DATE_SECONDS = 8_640_000_000_000n;

function isoTime(seconds: bigint, unbounded: bigint): string | null {
  if (seconds === unbounded) return null;
  return new Date(Number(seconds < MAX_DATE_SECONDS ? seconds : MAX_DATE_SECONDS) * 1000).toISOString();
}

function certificateJson(c: CertificateInfo): Record<string, unknown> {
  return {
    keyId: c.keyId,
    principals: c.principals,
    validAfter: isoTime(c.validAfter, 0n),
    validBefore: isoTime(c.validBefore, FOREVER),
    caFingerprint: c.caFingerprint,
    role: c.role,
    // uint64: a string, as JSON numbers lose precision above 2^53.
    serial: c.serial.toString(),
  };
}
