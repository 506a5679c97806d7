import { describe, expect, it } from 'vitest';
import {
  decodeGoogleSshJson,
  formatExpireOn,
  goTrimSpace,
  parseExpireOn,
  parseGoBool,
  trimSpaces,
} from '../../../src/platforms/gcp/go-compat.js';

describe('parseGoBool (Go strconv.ParseBool)', () => {
  it.each([
    ['1', true],
    ['t', true],
    ['T', true],
    ['TRUE', true],
    ['true', true],
    ['True', true],
    ['0', false],
    ['f', false],
    ['F', false],
    ['FALSE', false],
    ['false', false],
    ['False', false],
    ['yes', undefined],
    ['tRUE', undefined],
    [' true', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j -> %j', (text, want) => {
    expect(parseGoBool(text)).toBe(want);
  });
});

describe('trimming', () => {
  it('trimSpaces removes only spaces, like strings.Trim(s, " ")', () => {
    expect(trimSpaces('  a b \t ')).toBe('a b \t');
    expect(trimSpaces('\r a \r')).toBe('\r a \r');
    expect(trimSpaces('    ')).toBe('');
  });
  it('goTrimSpace follows unicode.IsSpace (U+0085 yes, U+FEFF no)', () => {
    expect(goTrimSpace('\u0085\t x \u00a0\r\n')).toBe('x');
    expect(goTrimSpace('\ufeffx')).toBe('\ufeffx');
  });
});

describe('parseExpireOn (time.RFC3339, then 2006-01-02T15:04:05-0700)', () => {
  it.each([
    ['2095-04-23T12:34:56+0000', '2095-04-23T12:34:56.000Z'],
    ['2095-04-23T12:34:56Z', '2095-04-23T12:34:56.000Z'],
    ['2095-04-23T12:34:56+00:00', '2095-04-23T12:34:56.000Z'],
    ['2095-04-23T14:34:56+02:00', '2095-04-23T12:34:56.000Z'],
    ['2095-04-23T10:34:56-0200', '2095-04-23T12:34:56.000Z'],
    ['2095-04-23T12:34:56.789Z', '2095-04-23T12:34:56.789Z'],
    ['2095-04-23T12:34:56,5+0000', '2095-04-23T12:34:56.500Z'],
    ['2095-04-23T2:34:56Z', '2095-04-23T02:34:56.000Z'], // Go's "15" takes one or two digits
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
  ])('%s parses', (text, iso) => {
    expect(parseExpireOn(text)?.toISOString()).toBe(iso);
  });

  it.each([
    'Apri 4, 2056',
    '',
    '2095-04-23',
    '2095-04-23 12:34:56Z', // space instead of T
    '2095-04-23t12:34:56Z',
    '2095-04-23T12:34:56z',
    '2095-04-23T12:34:56', // no zone
    '2095-04-23T12:34:56+00', // short zone
    '2095-04-23T12:34:56+0000 ', // trailing text
    '2095-4-23T12:34:56Z',
    '2095-13-01T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2095-04-31T00:00:00Z',
    '2095-04-23T24:00:00Z',
    '2095-04-23T12:60:00Z',
    '2095-04-23T12:34:60Z',
    '2095-04-23T12:34:56.Z',
    '2095-04-23T12:34:56Z0000',
  ])('%j is rejected', (text) => {
    expect(parseExpireOn(text)).toBeUndefined();
  });

  it('formats as gcloud does and parses back to the same second', () => {
    const d = new Date('2031-07-04T05:06:07.890Z');
    expect(formatExpireOn(d)).toBe('2031-07-04T05:06:07+0000');
    expect(parseExpireOn(formatExpireOn(d))?.toISOString()).toBe('2031-07-04T05:06:07.000Z');
  });
});

describe('decodeGoogleSshJson (json.Unmarshal into {ExpireOn, UserName string})', () => {
  it('matches fields case-insensitively, including Unicode simple folding', () => {
    expect(decodeGoogleSshJson('{"EXPIREON":"x","uſername":"u"}')).toEqual({
      ok: true,
      expireOn: 'x',
      userName: 'u',
    });
  });
  it('applies every member in order: the last duplicate wins', () => {
    expect(decodeGoogleSshJson('{"expireOn":"a","ExpireOn":"b","expireOn":"c"}')).toMatchObject({
      expireOn: 'c',
    });
    expect(decodeGoogleSshJson('{"expireOn":"a","x":{"y":["}",","]},"ExpireOn":"b"}')).toMatchObject({
      expireOn: 'b',
    });
  });
  it('treats null as "leave unset" and other types as an error', () => {
    expect(decodeGoogleSshJson('{"expireOn":"a","expireOn":null}')).toMatchObject({
      ok: true,
      expireOn: 'a',
    });
    expect(decodeGoogleSshJson('null')).toEqual({ ok: true, expireOn: '', userName: '' });
    expect(decodeGoogleSshJson('{"expireOn":5}').ok).toBe(false);
    expect(decodeGoogleSshJson('{"userName":true,"expireOn":"2095-01-01T00:00:00Z"}').ok).toBe(false);
    expect(decodeGoogleSshJson('[1]').ok).toBe(false);
    expect(decodeGoogleSshJson('"s"').ok).toBe(false);
    expect(decodeGoogleSshJson('{"expireOn":"x"} trailing').ok).toBe(false);
  });
  it('ignores unknown fields', () => {
    expect(decodeGoogleSshJson('{"a":1,"b":[{}],"expireOn":"e\\"q"}')).toEqual({
      ok: true,
      expireOn: 'e"q',
      userName: '',
    });
  });
});
