/** `--expires`: an ISO 8601 date or time, or a duration from now (`30d`, `12h`). */
import { UsageError } from '../errors.js';

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

const ALLOWED =
  'expected an ISO 8601 date or time (2027-01-31, 2027-01-31T12:00:00Z) or a duration from now (90m, 12h, 30d, 4w)';

/**
 * Parses `--expires`. A date without a time means midnight UTC at the start of that day. A time
 * in the past (or now) is a usage error: a key that is already expired is never placed.
 */
export function parseExpires(text: string, now: Date = new Date()): Date {
  const t = text.trim();
  const rel = /^(\d{1,6})\s*([mhdw])$/i.exec(t);
  let at: Date;
  if (rel) {
    at = new Date(now.getTime() + Number(rel[1]) * UNIT_MS[rel[2]!.toLowerCase()]!);
  } else if (ISO.test(t)) {
    at = new Date(/^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00:00Z` : t.replace(' ', 'T'));
    // Date() rolls 2027-02-30 over to March; a calendar date must come back unchanged.
    if (Number.isNaN(at.getTime()) || !validCalendarDate(t.slice(0, 10))) {
      throw new UsageError(`--expires "${text}" is not a valid date; ${ALLOWED}`);
    }
  } else {
    throw new UsageError(`--expires "${text}" is not understood; ${ALLOWED}`);
  }
  if (at.getTime() <= now.getTime()) {
    throw new UsageError(
      `--expires "${text}" is in the past (${at.toISOString()}); give a future date or a duration such as 30d`,
    );
  }
  return at;
}

function validCalendarDate(day: string): boolean {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const probe = new Date(Date.UTC(y, m - 1, d));
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === m - 1 && probe.getUTCDate() === d;
}
