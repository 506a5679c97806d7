import { KeyParseError } from './errors.js';
import { printable } from './key-body.js';
import {
  MAX_LINE_LENGTH,
  isKnownKeyType,
  isPrivateKeyMaterial,
  looksLikeKeyTypeName,
  parsePublicKey,
  PRIVATE_KEY_GIVEN,
} from './public-key.js';
import type { ParseKeyOptions } from './public-key.js';
import type { KeyOption, PublicKey } from './types.js';

/**
 * authorized_keys lines (sshd(8) "AUTHORIZED_KEYS FILE FORMAT"): `[OPTIONS] TYPE BASE64 [COMMENT]`.
 * Options are parsed the way sshd's auth-options.c does (names case-insensitive, values always
 * double-quoted with `\"` as the only escape), and a line sshd would reject (unknown option,
 * bad value, unbalanced quote) is a KeyParseError naming the problem.
 */

export interface AuthorizedKeysLine {
  options: KeyOption[];
  key: PublicKey;
}

/** Options that take no value; the ones sshd also accepts with a `no-` prefix are negatable. */
const FLAGS: ReadonlyMap<string, { negatable: boolean }> = new Map([
  ['restrict', { negatable: false }],
  ['cert-authority', { negatable: false }],
  ['port-forwarding', { negatable: true }],
  ['agent-forwarding', { negatable: true }],
  ['x11-forwarding', { negatable: true }],
  ['touch-required', { negatable: true }],
  ['verify-required', { negatable: true }],
  ['pty', { negatable: true }],
  ['user-rc', { negatable: true }],
]);

/** Options that take a quoted value; `once` ones may appear only once on a line (as in sshd). */
const VALUED: ReadonlyMap<string, { once: boolean }> = new Map([
  ['command', { once: true }],
  ['principals', { once: true }],
  ['from', { once: true }],
  ['expiry-time', { once: false }],
  ['environment', { once: false }],
  ['permitopen', { once: false }],
  ['permitlisten', { once: false }],
  ['tunnel', { once: false }],
]);

/** Every option name sshd accepts, for error messages and documentation. */
export const AUTHORIZED_KEYS_OPTION_NAMES: readonly string[] = [
  ...[...FLAGS].flatMap(([n, f]) => (f.negatable ? [n, `no-${n}`] : [n])),
  ...VALUED.keys(),
];

function optionError(reason: string): KeyParseError {
  return new KeyParseError(`invalid authorized_keys options: ${reason}`);
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * Where the option list starting at `start` ends (the first unquoted blank), as sshd's
 * sshkey_advance_past_options finds it. Throws on an unterminated quote.
 */
function optionsEnd(line: string, start: number): number {
  let quoted = false;
  let i = start;
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x5c /* \ */ && line.charCodeAt(i + 1) === 0x22) i++;
    else if (c === 0x22 /* " */) quoted = !quoted;
    else if (!quoted && isBlank(c)) break;
  }
  if (quoted) throw optionError('unbalanced quote in options (a value opened with " is never closed)');
  return i;
}

/** Parses `YYYYMMDD[HHMM[SS]]` with an optional `Z`/`UTC` suffix (else local time), as sshd does. */
export function parseExpiryTime(value: string): Date | undefined {
  let s = value;
  let utc = false;
  if (s.length > 1 && (s.endsWith('Z') || s.endsWith('z'))) {
    utc = true;
    s = s.slice(0, -1);
  } else if (s.length > 3 && s.slice(-3).toUpperCase() === 'UTC') {
    utc = true;
    s = s.slice(0, -3);
  }
  if ((s.length !== 8 && s.length !== 12 && s.length !== 14) || !/^[0-9]+$/.test(s)) return undefined;
  const n = (a: number, b: number): number => Number(s.slice(a, b));
  const [y, mo, d] = [n(0, 4), n(4, 6), n(6, 8)];
  const h = s.length >= 12 ? n(8, 10) : 0;
  const mi = s.length >= 12 ? n(10, 12) : 0;
  const se = s.length === 14 ? n(12, 14) : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return undefined;
  const date = utc ? new Date(Date.UTC(y, mo - 1, d, h, mi, se)) : new Date(y, mo - 1, d, h, mi, se);
  if (y < 1970 || Number.isNaN(date.getTime()) || date.getTime() <= 0) return undefined;
  return date;
}

const ENV_NAME = /^[A-Za-z0-9_]+=/;
const PORT = /^(\*|[0-9]{1,5})$/;

function validPort(p: string): boolean {
  return PORT.test(p) && (p === '*' || (Number(p) >= 0 && Number(p) <= 65535));
}

/** `host:port` / `[v6]:port` (permitopen), or additionally a bare `port` (permitlisten). */
function validHostPort(v: string, allowBarePort: boolean): boolean {
  if (allowBarePort && validPort(v)) return true;
  let host: string;
  let port: string;
  if (v.startsWith('[')) {
    const close = v.indexOf(']');
    if (close < 0 || v[close + 1] !== ':') return false;
    host = v.slice(1, close);
    port = v.slice(close + 2);
  } else {
    const colon = v.lastIndexOf(':');
    if (colon < 0) return false;
    host = v.slice(0, colon);
    port = v.slice(colon + 1);
  }
  return host.length > 0 && validPort(port);
}

function checkValue(name: string, value: string): void {
  switch (name) {
    case 'expiry-time':
      if (parseExpiryTime(value) === undefined) {
        throw optionError(
          `expiry-time=${JSON.stringify(printable(value))} is not a valid time (use YYYYMMDD[HHMM[SS]], optionally ending in Z for UTC)`,
        );
      }
      return;
    case 'environment':
      if (!ENV_NAME.test(value)) {
        throw optionError('environment="..." must be NAME=value with NAME made of letters, digits and _');
      }
      return;
    case 'permitopen':
    case 'permitlisten':
      if (!validHostPort(value, name === 'permitlisten')) {
        throw optionError(
          `${name}=${JSON.stringify(printable(value))} is not valid (use "host:port"${name === 'permitlisten' ? ' or "port"' : ''}, port may be *)`,
        );
      }
      return;
    case 'tunnel':
      if (value !== 'any' && !/^[0-9]{1,10}$/.test(value)) {
        throw optionError(
          `tunnel=${JSON.stringify(printable(value))} is not valid (use a tun device number or "any")`,
        );
      }
      return;
  }
}

/**
 * Parses an option list (the part before the key type), e.g.
 * `restrict,command="echo hi",from="10.0.0.0/8,!10.0.0.1"`. Names are returned lower-case.
 */
export function parseAuthorizedKeysOptions(text: string): KeyOption[] {
  const out: KeyOption[] = [];
  let seen: Set<string> | undefined; // made only when needed: most lines have no valued option
  let i = 0;
  const len = text.length;
  if (len === 0) throw optionError('the option list is empty');
  for (;;) {
    // Option name: up to '=' or ',' or the end.
    let j = i;
    while (j < len) {
      const c = text.charCodeAt(j);
      if (c === 0x3d /* = */ || c === 0x2c /* , */ || isBlank(c)) break;
      j++;
    }
    const raw = text.slice(i, j);
    const name = raw.toLowerCase();
    if (raw.length === 0)
      throw optionError('empty option (two commas in a row, or a comma at the start or end)');
    if (VALUED.has(name)) {
      if (text.charCodeAt(j) !== 0x3d) throw optionError(`${name} needs a value: ${name}="..."`);
      j++;
      if (text.charCodeAt(j) !== 0x22) {
        const typographic = /^[\u201c\u201d\u201e\u00ab\u00bb]/.test(text.slice(j, j + 1));
        throw optionError(
          typographic
            ? `the value of ${name} is in typographic quotes; use plain ASCII double quotes: ${name}="..."`
            : `the value of ${name} must be in double quotes: ${name}="..."`,
        );
      }
      j++;
      let value = '';
      let k = j;
      while (k < len && text.charCodeAt(k) !== 0x22) {
        if (text.charCodeAt(k) === 0x5c && text.charCodeAt(k + 1) === 0x22) {
          value += text.slice(j, k) + '"';
          k += 2;
          j = k;
        } else {
          k++;
        }
      }
      if (k >= len) throw optionError(`unbalanced quote in options (the value of ${name} is never closed)`);
      value += text.slice(j, k);
      j = k + 1;
      if (VALUED.get(name)!.once && seen?.has(name))
        throw optionError(`multiple "${name}" options on one line`);
      checkValue(name, value);
      (seen ??= new Set()).add(name);
      out.push({ name, value });
    } else {
      const base = name.startsWith('no-') ? name.slice(3) : name;
      const flag = FLAGS.get(base);
      const known = flag !== undefined && (base === name || flag.negatable);
      if (!known && /[^\x21-\x7e]/.test(raw)) {
        throw new KeyParseError(
          'not an authorized_keys line: it starts with neither a key type nor options (binary or non-ASCII text)',
        );
      }
      if (!known) {
        throw optionError(
          `unknown option ${JSON.stringify(printable(raw))} (sshd rejects the whole line; allowed: ${AUTHORIZED_KEYS_OPTION_NAMES.join(', ')})`,
        );
      }
      if (text.charCodeAt(j) === 0x3d) throw optionError(`${name} takes no value`);
      out.push({ name });
    }
    if (j >= len) break;
    if (text.charCodeAt(j) !== 0x2c) {
      throw optionError(
        `unexpected text after option ${name} (options are separated by commas, without spaces)`,
      );
    }
    i = j + 1;
    if (i >= len) throw optionError('the option list ends with a comma');
  }
  return out;
}

/** True for a line whose first token could be a key type (vs an option list). */
function startsWithKey(line: string, start: number, firstEnd: number): boolean {
  const first = line.slice(start, firstEnd);
  // A known type, or a pasted base64 key without its type (parsePublicKey explains that).
  if (isKnownKeyType(first) || first.startsWith('AAAA')) return true;
  if (!looksLikeKeyTypeName(first)) return false;
  // An unknown key type is followed by its blob, whose base64 starts with "AAAA" (the 4-byte
  // length of the type name is below 2^24); an option list is followed by a key type.
  let k = firstEnd;
  while (k < line.length && isBlank(line.charCodeAt(k))) k++;
  return line.startsWith('AAAA', k);
}

/**
 * Parses one authorized_keys line. Returns null for blank lines and `#` comments. Throws
 * KeyParseError for anything sshd would not accept, and for private key material.
 */
export function parseAuthorizedKeysLine(
  line: string,
  options: ParseKeyOptions = {},
): AuthorizedKeysLine | null {
  let s = 0;
  const len = line.length;
  if (len > MAX_LINE_LENGTH) {
    throw new KeyParseError(
      `the line is ${len} characters long; a key line is at most ${MAX_LINE_LENGTH} characters`,
    );
  }
  while (s < len && (isBlank(line.charCodeAt(s)) || line.charCodeAt(s) === 0x0d)) s++;
  if (s === len || line.charCodeAt(s) === 0x23 /* # */ || line.charCodeAt(s) === 0x0a) return null;
  let firstEnd = s;
  while (firstEnd < len && !isBlank(line.charCodeAt(firstEnd))) firstEnd++;
  if (startsWithKey(line, s, firstEnd)) {
    return { options: [], key: parsePublicKey(s === 0 ? line : line.slice(s), options) };
  }
  if (isPrivateKeyMaterial(line)) throw new KeyParseError(PRIVATE_KEY_GIVEN);
  const end = optionsEnd(line, s);
  const keyOptions = parseAuthorizedKeysOptions(line.slice(s, end));
  let k = end;
  while (k < len && isBlank(line.charCodeAt(k))) k++;
  if (k >= len || line.charCodeAt(k) === 0x0d || line.charCodeAt(k) === 0x0a) {
    throw new KeyParseError('options are not followed by a key (expected "[OPTIONS] TYPE BASE64 [COMMENT]")');
  }
  return { options: keyOptions, key: parsePublicKey(line.slice(k), options) };
}

function quoteValue(name: string, value: string): string {
  if (value.endsWith('\\')) {
    throw new KeyParseError(`the value of ${name} cannot end with a backslash in authorized_keys syntax`);
  }
  if (/[\r\n\0]/.test(value))
    throw new KeyParseError(`the value of ${name} cannot contain line breaks or NUL`);
  return '"' + value.replace(/"/g, '\\"') + '"';
}

/** Formats options as sshd reads them: `name` or `name="value"` joined by commas ('' when none). */
export function formatAuthorizedKeysOptions(options: readonly KeyOption[]): string {
  return options
    .map((o) => (o.value === undefined ? o.name : `${o.name}=${quoteValue(o.name, o.value)}`))
    .join(',');
}

/** `[OPTIONS ]TYPE BASE64[ COMMENT]`. */
export function formatAuthorizedKeysLine(
  options: readonly KeyOption[],
  key: PublicKey,
  formatOptions: { comment?: boolean } = {},
): string {
  const base = key.type + ' ' + key.blob.toString('base64');
  const withComment = formatOptions.comment !== false && key.comment !== '' ? base + ' ' + key.comment : base;
  return options.length === 0 ? withComment : formatAuthorizedKeysOptions(options) + ' ' + withComment;
}

/** The earliest `expiry-time` among `options` (sshd uses the earliest), or undefined. */
export function optionsExpiry(options: readonly KeyOption[]): Date | undefined {
  let min: Date | undefined;
  for (const o of options) {
    if (o.name !== 'expiry-time' || o.value === undefined) continue;
    const d = parseExpiryTime(o.value);
    if (d !== undefined && (min === undefined || d < min)) min = d;
  }
  return min;
}
