import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import {
  agentUserProblem,
  checkCommentForWrite,
  checkUserForWrite,
  formatOwnedLine,
  formatSshKeys,
  isExpired,
  parseSshKeys,
  parseSshKeysLine,
} from '../../../src/platforms/gcp/ssh-keys-codec.js';
import { keyPool, keyText, newKey } from './helpers.js';

const K = keyText('me@host');
const KEY = K.split(' ').slice(0, 2).join(' ');
const FUTURE = '2095-04-23T12:34:56+0000';
const PAST = '2021-04-23T12:34:56+0000';
const NOW = new Date('2030-01-01T00:00:00Z');

describe('ssh-keys lines, classified with the guest agent rules (utils/ssh.go)', () => {
  // Rows mirror guest-agent's TestGetUserKey / TestValidateUserKey / TestCheckExpiredKey / TestValidateUser.
  it.each([
    // [line, kind, user, extra]
    [`usera:${KEY} google-ssh {"userName":"usera@example.com","expireOn":"${FUTURE}"}`, 'key', 'usera'],
    [
      `usera:restrict,pty ${KEY} google-ssh {"userName":"usera@example.com","expireOn":"${FUTURE}"}`,
      'key',
      'usera',
    ],
    [`usera:command="echo hi" ${KEY} google-ssh {"userName":"u","expireOn":"${FUTURE}"}`, 'key', 'usera'],
    [`userc:${KEY} info text`, 'key', 'userc'],
    [`usera:${KEY}`, 'key', 'usera'],
    [`  usera:${KEY}  `, 'key', 'usera'], // spaces trimmed around the line
    [`usera:${KEY}\r`, 'key', 'usera'], // text after \r ignored by ParseAuthorizedKey
    [`usera:${KEY} c\rgarbage here`, 'key', 'usera'],
    [`usera:${KEY} google-ssh {"userName":"u","expireOn":"${PAST}"}`, 'key', 'usera'], // valid but expired
    ['    ', 'blank', ''],
    ['', 'blank', ''],
    [KEY, 'invalid', ''], // no ':'
    [`:${KEY}`, 'invalid', ''], // empty user
    ['userb:', 'invalid', 'userb'], // key missing
    [`user a:${KEY}`, 'invalid', 'user a'],
    [`user\ta:${KEY}`, 'invalid', 'user\ta'],
    [`\tusera:${KEY}`, 'invalid', '\tusera'], // only spaces are trimmed
    [`-g:${KEY}`, 'invalid', '-g'],
    [`..:${KEY}`, 'invalid', '..'],
    [`.:${KEY}`, 'invalid', '.'],
    [`a/b:${KEY}`, 'invalid', 'a/b'],
    [`usera:${KEY} google-ssh {"userName":"u","expireOn":"Apri 4, 2056"}`, 'invalid', 'usera'],
    [`usera:${KEY} google-ssh`, 'invalid', 'usera'],
    [`usera:${KEY} google-ssh {"userName":"u"}`, 'invalid', 'usera'],
    [`usera:${KEY} google-ssh {"expireOn":"${FUTURE}"} trailing`, 'invalid', 'usera'],
    [`usera:${KEY} google-ssh not-json`, 'invalid', 'usera'],
    ['usera:ssh-ed25519 not-base64!!!', 'invalid', 'usera'],
    [`usera:bogus-opt ${KEY}`, 'invalid', 'usera'], // sshd rejects unknown options
    [`usera:# ${KEY}`, 'invalid', 'usera'],
    [`usera:\r${KEY}`, 'invalid', 'usera'],
  ])('%j is %s (user %j)', (line, kind, user) => {
    const l = parseSshKeysLine(line);
    expect(l.kind).toBe(kind);
    expect(l.user).toBe(user);
    expect(l.raw).toBe(line);
    if (kind === 'invalid') expect(l.invalidReason).toBeTruthy();
    else expect(l.invalidReason).toBeUndefined();
  });

  it('"google-sshfoo" without a space is invalid, with a space its JSON is read (HasPrefix, then SplitN on " ")', () => {
    expect(parseSshKeysLine(`u:${KEY} google-sshfoo`).kind).toBe('invalid');
    const l = parseSshKeysLine(`u:${KEY} google-sshfoo {"expireOn":"${FUTURE}"}`);
    expect(l).toMatchObject({ kind: 'key', expiring: true });
    expect(l.expireOn?.toISOString()).toBe('2095-04-23T12:34:56.000Z');
  });

  it('splits at the FIRST colon: a colon in the comment or options stays in the key part', () => {
    const l = parseSshKeysLine(`alice:from="10.0.0.1" ${KEY} a:b:c`);
    expect(l).toMatchObject({ kind: 'key', user: 'alice', comment: 'a:b:c' });
    expect(l.options).toEqual([{ name: 'from', value: '10.0.0.1' }]);
    expect(parseSshKeysLine(`username:key:${KEY}`)).toMatchObject({ kind: 'invalid', user: 'username' });
  });

  it('reads the key, fingerprint, comment and expiry', () => {
    const key = newKey('x');
    const l = parseSshKeysLine(
      `bob:${key.type} ${key.blob.toString('base64')} google-ssh {"UserName":"bob@example.com","EXPIREON":"2031-02-03T04:05:06Z"}`,
    );
    expect(l.key?.fingerprint).toBe(key.fingerprint);
    expect(l.expiring).toBe(true);
    expect(l.googleUserName).toBe('bob@example.com');
    expect(l.expireOn?.toISOString()).toBe('2031-02-03T04:05:06.000Z');
    expect(isExpired(l, NOW)).toBe(false);
    expect(isExpired(l, new Date('2031-02-03T04:05:07Z'))).toBe(true);
    expect(isExpired(l, new Date('2031-02-03T04:05:06Z'))).toBe(false); // t.Before(now) is strict
  });

  it('a non-google-ssh comment never expires', () => {
    const l = parseSshKeysLine(`bob:${KEY} expires 2001-01-01`);
    expect(l).toMatchObject({ kind: 'key', expiring: false, comment: 'expires 2001-01-01' });
    expect(isExpired(l, NOW)).toBe(false);
  });

  it('agentUserProblem follows ValidateUser (ASCII \\s only)', () => {
    expect(agentUserProblem('username')).toBeUndefined();
    expect(agentUserProblem('my-user')).toBeUndefined();
    expect(agentUserProblem('user\u00a0x')).toBeUndefined(); // Go's \s does not include NBSP
    expect(agentUserProblem('user\fx')).toBeTruthy();
    expect(agentUserProblem('user\nx')).toBeTruthy();
    expect(agentUserProblem('')).toBeTruthy();
  });
});

describe('values: split on \\n only, every byte kept', () => {
  it('keeps CRs, trailing newlines, blank and invalid lines', () => {
    const v = `a:${KEY}\r\n\nbroken line\n  \nb:${KEY} c\n`;
    const lines = parseSshKeys(v);
    expect(lines.map((l) => l.kind)).toEqual(['key', 'blank', 'invalid', 'blank', 'key', 'blank']);
    expect(formatSshKeys(lines)).toBe(v);
  });
  it('no item is no lines; an empty value is one blank line', () => {
    expect(parseSshKeys(undefined)).toEqual([]);
    expect(parseSshKeys(null)).toEqual([]);
    expect(parseSshKeys('')).toHaveLength(1);
    expect(formatSshKeys(parseSshKeys(''))).toBe('');
  });
});

describe('formatting keyfleet lines', () => {
  const key = newKey('laptop');
  const b64 = key.blob.toString('base64');

  it("writes USER:TYPE BASE64 COMMENT, or the google-ssh form with gcloud's expireOn layout", () => {
    expect(formatOwnedLine({ user: 'alice', key, comment: 'laptop' })).toBe(
      `alice:${key.type} ${b64} laptop`,
    );
    expect(formatOwnedLine({ user: 'alice', key })).toBe(`alice:${key.type} ${b64}`);
    expect(
      formatOwnedLine({
        user: 'alice',
        key,
        comment: 'ignored',
        expireOn: new Date('2031-07-04T05:06:07.890Z'),
      }),
    ).toBe(`alice:${key.type} ${b64} google-ssh {"userName":"alice","expireOn":"2031-07-04T05:06:07+0000"}`);
  });

  it.each([
    ['ali\nce', /newline/],
    ['ali\rce', /carriage return/],
    ['ali\u0000ce', /NUL/],
    ['ali\u001bce', /U\+001B/],
    ['ali\u0085ce', /U\+0085/],
    ['ali\u2028ce', /U\+2028/],
    ['ali ce', /whitespace/],
    ['ali\u00a0ce', /whitespace/],
    ['ali:ce', /":"/],
    ['-alice', /guest agent/],
    ['a/b', /guest agent/],
    ['..', /guest agent/],
    ['', /guest agent/],
  ])('rejects username %j', (user, message) => {
    expect(() => checkUserForWrite(user)).toThrow(UsageError);
    expect(() => formatOwnedLine({ user, key })).toThrow(message);
  });

  it.each([
    ['a\nb:ssh-ed25519 AAAA', /newline/],
    ['x\r', /carriage return/],
    ['x\u0007', /U\+0007/],
    ['google-ssh {"userName":"x","expireOn":"2001-01-01T00:00:00Z"}', /google-ssh/],
    ['  google-ssh', /google-ssh/],
  ])('rejects comment %j', (comment, message) => {
    expect(() => checkCommentForWrite(comment)).toThrow(UsageError);
    expect(() => formatOwnedLine({ user: 'alice', key, comment })).toThrow(message);
  });

  it('a forged comment can never add a line or a second key', () => {
    const evil = `x\nmallory:${KEY}`;
    expect(() => formatOwnedLine({ user: 'alice', key, comment: evil })).toThrow(UsageError);
    expect(() => formatOwnedLine({ user: `alice\nmallory`, key })).toThrow(UsageError);
  });
});

// ---- property tests -----------------------------------------------------------------------

const KEYS = keyPool(6);
const keyLine = fc.constantFrom(...KEYS.map((k) => `${k.type} ${k.blob.toString('base64')}`));
/** Pieces that make lines interesting: separators, CR, options, google-ssh, unicode. */
const piece = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom(
    ':',
    ' ',
    '  ',
    '\r',
    '\t',
    'google-ssh ',
    '{"expireOn":"2001-01-01T00:00:00Z"}',
    'restrict ',
    '#',
    '"',
    'é',
    '😀',
    '\u2028',
  ),
  keyLine,
);
const anyLine = fc.array(piece, { maxLength: 6 }).map((p) => p.join('').replace(/\n/g, ''));
const anyValue = fc
  .array(
    fc.oneof(
      anyLine,
      keyLine.map((k) => `u:${k}`),
    ),
    { maxLength: 12 },
  )
  .map((l) => l.join('\n'));

describe('properties', () => {
  it('parse then format is the identity for every value (owned, foreign, invalid, CRs, unicode, blank lines)', () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        expect(formatSshKeys(parseSshKeys(v))).toBe(v);
      }),
      { numRuns: 500 },
    );
  });

  it('every parsed line keeps its exact bytes and never contains a newline', () => {
    fc.assert(
      fc.property(anyLine, (line) => {
        const l = parseSshKeysLine(line);
        expect(l.raw).toBe(line);
        expect(['key', 'blank', 'invalid']).toContain(l.kind);
      }),
      { numRuns: 500 },
    );
  });

  const user = fc.stringMatching(/^[a-z_][a-z0-9_.-]{0,30}$/).filter((u) => u !== '.' && u !== '..');
  const comment = fc.string({ unit: 'grapheme', maxLength: 20 });
  const expiry = fc.option(
    fc.date({
      min: new Date('2000-01-01T00:00:00Z'),
      max: new Date('2200-01-01T00:00:00Z'),
      noInvalidDate: true,
    }),
    { nil: undefined },
  );

  it('formatting an owned line then parsing gives the same user, key and expiry (or a UsageError, never a bad line)', () => {
    fc.assert(
      fc.property(user, fc.constantFrom(...KEYS), comment, expiry, (u, key, c, exp) => {
        let line: string;
        try {
          line = formatOwnedLine({ user: u, key, comment: c, ...(exp ? { expireOn: exp } : {}) });
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          return;
        }
        expect(line).not.toMatch(/[\n\r]/);
        const l = parseSshKeysLine(line);
        expect(l.kind).toBe('key');
        expect(l.user).toBe(u);
        expect(l.key?.fingerprint).toBe(key.fingerprint);
        if (exp) {
          expect(l.expiring).toBe(true);
          expect(l.expireOn?.getTime()).toBe(Math.floor(exp.getTime() / 1000) * 1000);
        } else {
          expect(l.expiring).toBe(false);
          expect(l.expireOn).toBeUndefined();
        }
      }),
      { numRuns: 400 },
    );
  });

  it('no username or comment makes a formatted line hold two keys or two lines', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 10 }),
        fc.string({ unit: 'binary', maxLength: 40 }),
        (u, c) => {
          let line: string;
          try {
            line = formatOwnedLine({ user: u, key: KEYS[0]!, comment: c });
          } catch (err) {
            expect(err).toBeInstanceOf(UsageError);
            return;
          }
          const lines = parseSshKeys(line);
          expect(lines).toHaveLength(1);
          expect(lines[0]!.kind).toBe('key');
          expect(lines[0]!.user).toBe(u);
          expect(lines[0]!.expiring).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
