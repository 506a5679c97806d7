import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addEntry,
  checkMetadataLimits,
  MAX_TOTAL_BYTES,
  MAX_VALUE_BYTES,
  MetadataLimitError,
  pruneExpired,
  removeEntries,
  withItemValue,
} from '../../../src/platforms/gcp/merge.js';
import { parseSshKeys } from '../../../src/platforms/gcp/ssh-keys-codec.js';
import type { PublicKey } from '../../../src/keys/types.js';
import { keyPool } from './helpers.js';

const [A, B, C] = keyPool(3) as [PublicKey, PublicKey, PublicKey];
const text = (k: typeof A) => `${k.type} ${k.blob.toString('base64')}`;
const FOREIGN = [
  `bob:${text(B)} bob@laptop`,
  'garbage line without colon',
  `carol:${text(C)} google-ssh {"userName":"carol@example.com","expireOn":"2001-01-01T00:00:00+0000"}`,
  `heidi:${text(C)} trailing `,
  'x:ssh-ed25519 not-base64!!!\r',
].join('\n');

describe('addEntry', () => {
  it('appends a new line and leaves every other line byte for byte, in order', () => {
    const r = addEntry(FOREIGN, { user: 'alice', key: A, comment: 'laptop' });
    expect(r.status).toBe('added');
    expect(r.value).toBe(`${FOREIGN}\nalice:${text(A)} laptop`);
  });

  it('keeps a trailing newline trailing (inserts before trailing blank lines)', () => {
    const r = addEntry(`${FOREIGN}\n\n`, { user: 'alice', key: A });
    expect(r.value).toBe(`${FOREIGN}\nalice:${text(A)}\n\n`);
  });

  it('creates the value when there is none, or replaces an empty one', () => {
    expect(addEntry(undefined, { user: 'alice', key: A }).value).toBe(`alice:${text(A)}`);
    expect(addEntry('', { user: 'alice', key: A }).value).toBe(`alice:${text(A)}`);
  });

  it('is a no-op "present" when the same user already has the same key (comment not compared)', () => {
    const v = `${FOREIGN}\nalice:${text(A)} other-comment`;
    const r = addEntry(v, { user: 'alice', key: A, comment: 'laptop' });
    expect(r.status).toBe('present');
    expect(r.value).toBe(v);
  });

  it('the same key for another user is a separate entry', () => {
    const v = `bob:${text(A)}`;
    const r = addEntry(v, { user: 'alice', key: A });
    expect(r.status).toBe('added');
    expect(r.value).toBe(`bob:${text(A)}\nalice:${text(A)}`);
  });

  it('replaces the same user+key in place when the expiry changes, and drops duplicates of it', () => {
    const old = `alice:${text(A)} google-ssh {"userName":"alice","expireOn":"2030-01-01T00:00:00+0000"}`;
    const v = [`bob:${text(B)}`, old, `carol:${text(C)}`, `alice:${text(A)} dup`].join('\n');
    const exp = new Date('2031-01-01T00:00:00Z');
    const r = addEntry(v, { user: 'alice', key: A, expireOn: exp });
    expect(r.status).toBe('replaced');
    expect(r.replaced).toEqual([old, `alice:${text(A)} dup`]);
    expect(r.value).toBe(
      [
        `bob:${text(B)}`,
        `alice:${text(A)} google-ssh {"userName":"alice","expireOn":"2031-01-01T00:00:00+0000"}`,
        `carol:${text(C)}`,
      ].join('\n'),
    );
    expect(addEntry(r.value, { user: 'alice', key: A, expireOn: exp }).status).toBe('present');
  });

  it('never touches an invalid line even if it mentions the same user and key', () => {
    const bad = `alice:${text(A)} google-ssh {"expireOn":"not a date"}`;
    const r = addEntry(bad, { user: 'alice', key: A });
    expect(r.status).toBe('added');
    expect(r.value.split('\n')[0]).toBe(bad);
  });

  it('property: adding keeps every previous line, in order, and adds exactly one', () => {
    const lines = fc.array(
      fc.oneof(
        fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s.replace(/\n/g, '')),
        fc.constantFrom(`bob:${text(B)}`, `carol:${text(C)} c`, '', '\r', ' '),
      ),
      { maxLength: 10 },
    );
    fc.assert(
      fc.property(lines, (ls) => {
        const v = ls.join('\n');
        const r = addEntry(v, { user: 'alice', key: A });
        expect(r.status).toBe('added');
        const before = v === '' ? [] : v.split('\n');
        const after = r.value.split('\n');
        expect(after.length).toBe(before.length + 1);
        expect(after.filter((l) => l !== r.line)).toEqual(before.filter((l) => l !== r.line));
      }),
      { numRuns: 300 },
    );
  });
});

describe('removeEntries and pruneExpired', () => {
  it('removes only valid lines with the fingerprint (and user)', () => {
    const v = [`alice:${text(A)}`, `bob:${text(A)}`, 'junk', `bob:${text(B)}`].join('\n');
    expect(removeEntries(v, { fingerprint: A.fingerprint, user: 'bob' }).value).toBe(
      [`alice:${text(A)}`, 'junk', `bob:${text(B)}`].join('\n'),
    );
    const all = removeEntries(v, { fingerprint: A.fingerprint });
    expect(all.value).toBe(['junk', `bob:${text(B)}`].join('\n'));
    expect(all.removed.map((l) => l.user)).toEqual(['alice', 'bob']);
    expect(removeEntries(v, { fingerprint: C.fingerprint })).toEqual({ value: v, removed: [] });
  });

  it('prunes expired google-ssh lines only; non-expiring, future and invalid lines stay', () => {
    const now = new Date('2026-06-01T00:00:00Z');
    const v = [
      `a:${text(A)} google-ssh {"userName":"a","expireOn":"2026-05-31T23:59:59+0000"}`,
      `b:${text(B)} google-ssh {"userName":"b","expireOn":"2026-06-01T00:00:01Z"}`,
      `c:${text(C)} plain`,
      `d:${text(C)} google-ssh {"userName":"d","expireOn":"garbage"}`,
      '',
    ].join('\n');
    const r = pruneExpired(v, now);
    expect(r.removed.map((l) => l.user)).toEqual(['a']);
    expect(r.value).toBe(v.split('\n').slice(1).join('\n'));
    expect(pruneExpired(v, now, 'b').removed).toEqual([]);
  });
});

describe('limits', () => {
  it('accepts a value of exactly 256 KiB and refuses one byte more, naming the size and what to do', () => {
    const ok = [{ key: 'ssh-keys', value: 'x'.repeat(MAX_VALUE_BYTES) }];
    expect(checkMetadataLimits(ok, 'ssh-keys', 'project p')[0]).toMatch(/100% of Google's 256 KiB limit/);
    const over = [{ key: 'ssh-keys', value: 'x'.repeat(MAX_VALUE_BYTES + 1) }];
    expect(() => checkMetadataLimits(over, 'ssh-keys', 'project p')).toThrow(MetadataLimitError);
    expect(() => checkMetadataLimits(over, 'ssh-keys', 'project p')).toThrow(
      /262,145 bytes.*262,144.*nothing was written[\s\S]*prune/,
    );
  });

  it('counts UTF-8 bytes, not characters', () => {
    const v = 'é'.repeat(MAX_VALUE_BYTES / 2 + 1);
    expect(() => checkMetadataLimits([{ key: 'ssh-keys', value: v }], 'ssh-keys', 'p')).toThrow(
      MetadataLimitError,
    );
  });

  it('refuses more than 512 KiB of keys and values in all', () => {
    const items = [
      { key: 'ssh-keys', value: 'a'.repeat(200_000) },
      {
        key: 'startup-script',
        value: 'b'.repeat(MAX_TOTAL_BYTES - 200_000 - 'ssh-keys'.length - 'startup-script'.length + 1),
      },
    ];
    expect(() => checkMetadataLimits(items, 'ssh-keys', 'project p')).toThrow(/all metadata of project p/);
  });

  it('warns past 80% and is quiet below', () => {
    expect(
      checkMetadataLimits([{ key: 'ssh-keys', value: 'x'.repeat(210_000) }], 'ssh-keys', 'p'),
    ).toHaveLength(1);
    expect(checkMetadataLimits([{ key: 'ssh-keys', value: 'x'.repeat(200_000) }], 'ssh-keys', 'p')).toEqual(
      [],
    );
  });

  it('withItemValue changes one item and keeps the others and their order', () => {
    const items = [{ key: 'a', value: '1' }, { key: 'ssh-keys', value: 'x' }, { key: 'b' }];
    expect(withItemValue(items, 'ssh-keys', 'y')).toEqual([
      { key: 'a', value: '1' },
      { key: 'ssh-keys', value: 'y' },
      { key: 'b' },
    ]);
    expect(withItemValue([{ key: 'a', value: '1' }], 'ssh-keys', 'y')).toEqual([
      { key: 'a', value: '1' },
      { key: 'ssh-keys', value: 'y' },
    ]);
  });

  it('parse sanity: foreign fixture has the classes we expect', () => {
    expect(parseSshKeys(FOREIGN).map((l) => l.kind)).toEqual(['key', 'invalid', 'key', 'key', 'invalid']);
  });
});
