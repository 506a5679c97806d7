import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ComponentArgsError } from '../../src/pulumi/args/errors.js';
import { generationStamp, parseDuration, planRotation, resolveSchedule } from '../../src/pulumi/rotation.js';

const DAY = 86_400_000;

describe('parseDuration', () => {
  it.each([
    ['90m', 90],
    ['12h', 720],
    ['30d', 43_200],
    ['2w', 20_160],
    ['1d12h', 2_160],
    [' 1H30M ', 90],
  ])('%s = %i minutes', (text, minutes) => {
    expect(parseDuration(text, 'rotateEvery')).toBe(minutes);
  });

  it.each(['', '30', '1 month', '1y', '-1d', '1.5d', 'd'])('refuses %j', (text) => {
    expect(() => parseDuration(text, 'rotateEvery')).toThrow(ComponentArgsError);
    expect(() => parseDuration(text, 'rotateEvery')).toThrow(
      /rotateEvery: .* is not a duration; use whole numbers/,
    );
  });
});

describe('resolveSchedule', () => {
  it('defaults the grace period to the shorter of 7 days and half the period, and the anchor to 1970', () => {
    expect(resolveSchedule({ rotateEvery: '30d' })).toEqual({
      everyMinutes: 43_200,
      graceMinutes: 10_080,
      anchor: new Date(0),
    });
    expect(resolveSchedule({ rotateEvery: '4d' }).graceMinutes).toBe(2_880);
  });

  it('accepts a zero grace period and one equal to the period', () => {
    expect(resolveSchedule({ rotateEvery: '1d', gracePeriod: '0' }).graceMinutes).toBe(0);
    expect(resolveSchedule({ rotateEvery: '1d', gracePeriod: '24h' }).graceMinutes).toBe(1_440);
  });

  it('refuses a bad anchor', () => {
    expect(() => resolveSchedule({ rotateEvery: '1d', rotationAnchor: 'yesterday' })).toThrow(
      /rotationAnchor: "yesterday" is not an RFC 3339/,
    );
  });
});

describe('planRotation', () => {
  const schedule = resolveSchedule({
    rotateEvery: '30d',
    gracePeriod: '7d',
    rotationAnchor: '2026-01-01T00:00:00Z',
  });
  const t0 = Date.parse('2026-01-01T00:00:00Z');

  it.each([
    // [offset from the anchor, current index, previous index or null]
    [0, 0, null],
    [29 * DAY, 0, null],
    [30 * DAY, 1, 0],
    [37 * DAY - 1, 1, 0],
    [37 * DAY, 1, null],
    [60 * DAY + 1, 2, 1],
  ])('at anchor + %i ms: current %i, previous %s', (offset, current, previous) => {
    const plan = planRotation(schedule, new Date(t0 + offset));
    expect(plan.current.index).toBe(current);
    expect(plan.previous?.index ?? null).toBe(previous);
  });

  it('gives each generation its start, rotation, retirement and stamp', () => {
    const plan = planRotation(schedule, new Date(t0 + 31 * DAY));
    expect(plan.current).toEqual({
      index: 1,
      start: new Date('2026-01-31T00:00:00Z'),
      rotatesAt: new Date('2026-03-02T00:00:00Z'),
      retiresAt: new Date('2026-03-09T00:00:00Z'),
      stamp: '20260131t0000z',
    });
    expect(plan.previous?.retiresAt).toEqual(new Date('2026-02-07T00:00:00Z'));
  });

  it('never places more than two generations, always the current one, the previous only before it retires', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 10 ** 7 }),
        (every, graceRaw, offset) => {
          const grace = Math.min(graceRaw, every);
          const s = resolveSchedule({
            rotateEvery: `${every}m`,
            gracePeriod: `${grace}m`,
            rotationAnchor: '2026-01-01T00:00:00Z',
          });
          const now = new Date(t0 + offset * 60_000);
          const plan = planRotation(s, now);
          expect(plan.current.start.getTime()).toBeLessThanOrEqual(now.getTime());
          expect(now.getTime()).toBeLessThan(plan.current.rotatesAt.getTime());
          if (plan.previous) {
            expect(plan.previous.index).toBe(plan.current.index - 1);
            expect(now.getTime()).toBeLessThan(plan.previous.retiresAt.getTime());
          } else if (plan.current.index > 0) {
            expect(now.getTime()).toBeGreaterThanOrEqual(plan.current.start.getTime() + grace * 60_000);
          }
        },
      ),
    );
  });
});

describe('generationStamp', () => {
  it('is compact, lower case and minute-precise', () => {
    expect(generationStamp(new Date('2026-12-04T15:30:59.999Z'))).toBe('20261204t1530z');
  });
});
