/**
 * Rotation as a pure function of time. A generated key lives in *generations*: generation `n`
 * starts at `anchor + n·every`, becomes the current key then, and stays placed (as the previous
 * key) until `gracePeriod` after the next generation starts. So at any instant at most two
 * generations are placed: the current one and, during the grace window, the one before it.
 *
 * Deciding this from the clock (not from a resource's outputs) lets the program know, before
 * anything is created, which resources exist: `pulumi preview` shows the exact plan.
 */
import { ComponentArgsError } from './args/errors.js';

const MINUTE_MS = 60_000;
const UNIT_MINUTES: Readonly<Record<string, number>> = { m: 1, h: 60, d: 1440, w: 10080 };

/** The anchor used when none is given: epochs aligned to multiples of `rotateEvery` since 1970. */
export const DEFAULT_ROTATION_ANCHOR = '1970-01-01T00:00:00Z';
/** The longest default grace period (7 days); the default is never more than half of `rotateEvery`. */
export const DEFAULT_MAX_GRACE_MINUTES = 7 * 1440;

/**
 * Parses a duration such as `30d`, `12h`, `90m`, `2w` or `1d12h` into whole minutes.
 * Months and years are not accepted: their length varies, so epochs would drift.
 */
export function parseDuration(text: string, field: string): number {
  const t = text.trim().toLowerCase();
  if (!/^(?:[0-9]+[wdhm])+$/.test(t)) {
    throw new ComponentArgsError(
      field,
      `"${text}" is not a duration; use whole numbers with units m (minutes), h (hours), d (days) or w (weeks), e.g. "30d", "12h" or "1d12h"`,
    );
  }
  let minutes = 0;
  for (const m of t.matchAll(/([0-9]+)([wdhm])/g)) minutes += Number(m[1]) * UNIT_MINUTES[m[2]!]!;
  if (!Number.isSafeInteger(minutes)) throw new ComponentArgsError(field, `"${text}" is too long`);
  return minutes;
}

/** A rotation schedule with every value resolved. */
export interface RotationSchedule {
  /** Generation length in minutes (`rotateEvery`). */
  everyMinutes: number;
  /** How long the previous generation stays placed after a rotation, in minutes. */
  graceMinutes: number;
  /** Generation 0 starts here. */
  anchor: Date;
}

/** Checks and resolves `rotateEvery`, `gracePeriod` and `rotationAnchor`. */
export function resolveSchedule(input: {
  rotateEvery: string;
  gracePeriod?: string;
  rotationAnchor?: string;
}): RotationSchedule {
  const everyMinutes = parseDuration(input.rotateEvery, 'rotateEvery');
  if (everyMinutes < 1) throw new ComponentArgsError('rotateEvery', 'must be at least 1m');
  let graceMinutes: number;
  if (input.gracePeriod === undefined) {
    graceMinutes = Math.min(DEFAULT_MAX_GRACE_MINUTES, Math.floor(everyMinutes / 2));
  } else {
    graceMinutes = input.gracePeriod.trim() === '0' ? 0 : parseDuration(input.gracePeriod, 'gracePeriod');
    if (graceMinutes > everyMinutes) {
      throw new ComponentArgsError(
        'gracePeriod',
        `"${input.gracePeriod}" is longer than rotateEvery ("${input.rotateEvery}"); at most two key generations are placed at once, so the grace period can be at most one rotation period`,
      );
    }
  }
  const anchorText = input.rotationAnchor ?? DEFAULT_ROTATION_ANCHOR;
  const anchorMs = Date.parse(anchorText);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(anchorText) || Number.isNaN(anchorMs)) {
    throw new ComponentArgsError(
      'rotationAnchor',
      `"${anchorText}" is not an RFC 3339 timestamp such as 2026-01-01T00:00:00Z`,
    );
  }
  return { everyMinutes, graceMinutes, anchor: new Date(anchorMs) };
}

/** One key generation. */
export interface Generation {
  /** 0 for the generation that starts at the anchor. */
  index: number;
  /** When it becomes the current key. */
  start: Date;
  /** When the next generation replaces it as the current key. */
  rotatesAt: Date;
  /** When it stops being placed (`rotatesAt + gracePeriod`); also the expiry given to platforms that record one. */
  retiresAt: Date;
  /** `YYYYMMDDtHHMMz` of `start`: part of the names of this generation's resources. */
  stamp: string;
}

/** The generations placed at one instant. */
export interface RotationPlan {
  current: Generation;
  /** Set during the grace window after a rotation. */
  previous?: Generation;
}

/** `2026-12-04T15:30:00Z` → `20261204t1530z` (lower case: resource names read better). */
export function generationStamp(date: Date): string {
  const iso = date.toISOString(); // 2026-12-04T15:30:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}t${iso.slice(11, 13)}${iso.slice(14, 16)}z`;
}

/** Generation `index` of `schedule`. */
export function generation(schedule: RotationSchedule, index: number): Generation {
  const every = schedule.everyMinutes * MINUTE_MS;
  const start = new Date(schedule.anchor.getTime() + index * every);
  const rotatesAt = new Date(start.getTime() + every);
  const retiresAt = new Date(rotatesAt.getTime() + schedule.graceMinutes * MINUTE_MS);
  return { index, start, rotatesAt, retiresAt, stamp: generationStamp(start) };
}

/**
 * Which generations are placed at `now`: the current one, and the previous one while
 * `now < current.start + gracePeriod`. Generation 0 has no previous generation, so the first
 * deployment after the anchor places one key only.
 */
export function planRotation(schedule: RotationSchedule, now: Date): RotationPlan {
  const elapsed = now.getTime() - schedule.anchor.getTime();
  if (elapsed < 0) {
    throw new ComponentArgsError(
      'rotationAnchor',
      `${schedule.anchor.toISOString()} is in the future (now is ${now.toISOString()}); the anchor is when the first key generation starts`,
    );
  }
  const index = Math.floor(elapsed / (schedule.everyMinutes * MINUTE_MS));
  const current = generation(schedule, index);
  if (index === 0) return { current };
  const previous = generation(schedule, index - 1);
  return now.getTime() < previous.retiresAt.getTime() ? { current, previous } : { current };
}
