/**
 * The `ssh-keys` metadata value, read with the Google guest agent's own rules and written so
 * that every line keyfleet does not own survives byte for byte.
 *
 * The value is one string; the agent splits it on `\n` (nothing else), trims spaces (only
 * spaces) from each line, splits at the FIRST `:` into user and key, checks the user
 * (`utils.ValidateUser`), parses the key with `ssh.ParseAuthorizedKey` (options allowed; text
 * after a `\r` ignored) and, when the comment starts with `google-ssh`, reads
 * `{"userName":..,"expireOn":..}` from it (`utils.CheckExpiredKey`). A line that fails any step
 * is skipped by the agent; here it is kept and classified, never rewritten.
 */
import { UsageError } from '../../errors.js';
import { parseAuthorizedKeysLine } from '../../keys/authorized-keys.js';
import { KeyParseError } from '../../keys/errors.js';
import type { KeyOption, PublicKey } from '../../keys/types.js';
import { decodeGoogleSshJson, formatExpireOn, goTrimSpace, parseExpireOn, trimSpaces } from './go-compat.js';

/** One line of an `ssh-keys` value. `raw` is the exact text between two `\n` (a `\r` stays in it). */
export interface SshKeysLine {
  raw: string;
  /** `key`: a line the agent provisions (unless expired); `blank`: skipped silently; `invalid`: skipped and logged. */
  kind: 'key' | 'blank' | 'invalid';
  /** Text before the first `:` (after trimming spaces), '' when there is none. */
  user: string;
  /** Text after the first `:` (after trimming spaces): `[OPTIONS] TYPE BASE64 [COMMENT]`. */
  keyText: string;
  options: KeyOption[];
  key?: PublicKey;
  /** The comment as the agent sees it (Go TrimSpace), '' when none. */
  comment: string;
  /** True when the comment starts with `google-ssh` (the line then needs a valid expireOn). */
  expiring: boolean;
  /** For a valid expiring line: when it stops working. */
  expireOn?: Date;
  /** `userName` from the google-ssh JSON (informational: the agent does not compare it). */
  googleUserName?: string;
  /** Why the agent skips this line (only for `invalid`). */
  invalidReason?: string;
}

/** The guest agent's `ValidateUser`: undefined when the agent accepts the name, else the reason. */
export function agentUserProblem(user: string): string | undefined {
  if (user === '') return 'the username is empty';
  // Go's regexp `\s` is ASCII only: [\t\n\f\r ].
  if (/[\t\n\f\r ]/.test(user)) return 'the username contains whitespace';
  if (user.startsWith('-')) return 'the username starts with "-"';
  if (user.includes('/') || user === '.' || user === '..')
    return 'the username contains "/" or is "." or ".."';
  return undefined;
}

function invalid(base: Omit<SshKeysLine, 'kind' | 'invalidReason'>, reason: string): SshKeysLine {
  return { ...base, kind: 'invalid', invalidReason: reason };
}

/** Classifies one line exactly as the agent would; never throws. */
export function parseSshKeysLine(raw: string): SshKeysLine {
  const t = trimSpaces(raw);
  const base = { raw, user: '', keyText: '', options: [] as KeyOption[], comment: '', expiring: false };
  if (t === '') return { ...base, kind: 'blank' };
  const colon = t.indexOf(':');
  if (colon < 0) return invalid(base, 'no ":" (expected USERNAME:KEY)');
  const withUser = { ...base, user: t.slice(0, colon), keyText: t.slice(colon + 1) };
  if (withUser.user === '') return invalid(withUser, 'the username is missing');
  if (withUser.keyText === '') return invalid(withUser, 'the key is missing');
  const userProblem = agentUserProblem(withUser.user);
  if (userProblem) return invalid(withUser, userProblem);

  // ssh.ParseAuthorizedKey stops at the first \r.
  const cr = withUser.keyText.indexOf('\r');
  const keyPart = cr < 0 ? withUser.keyText : withUser.keyText.slice(0, cr);
  let parsed: ReturnType<typeof parseAuthorizedKeysLine>;
  try {
    parsed = parseAuthorizedKeysLine(keyPart);
  } catch (err) {
    if (err instanceof KeyParseError) return invalid(withUser, err.reason);
    throw err;
  }
  if (parsed === null) return invalid(withUser, 'no key after the username');
  const { key, options } = parsed;
  if (key.family === 'UNKNOWN' && key.unsupported) {
    return invalid({ ...withUser, options }, `the key type ${key.type} is unknown to the guest agent`);
  }
  const comment = goTrimSpace(key.comment);
  const line = { ...withUser, options, key, comment };
  if (!comment.startsWith('google-ssh')) return { ...line, kind: 'key' };

  const expiringLine = { ...line, expiring: true };
  const space = comment.indexOf(' ');
  if (space < 0)
    return invalid(expiringLine, 'google-ssh comment without the {"userName":..,"expireOn":..} JSON');
  const json = decodeGoogleSshJson(comment.slice(space + 1));
  if (!json.ok) return invalid(expiringLine, json.reason);
  const withName = json.userName === '' ? expiringLine : { ...expiringLine, googleUserName: json.userName };
  if (json.expireOn === '') return invalid(withName, 'google-ssh JSON without expireOn');
  const expireOn = parseExpireOn(json.expireOn);
  if (!expireOn) {
    return invalid(
      withName,
      `expireOn ${JSON.stringify(json.expireOn)} is not RFC 3339 or 2006-01-02T15:04:05-0700 (e.g. 2030-01-31T12:00:00+0000)`,
    );
  }
  return { ...withName, kind: 'key', expireOn };
}

/** Splits a value into lines; `undefined` (no item) is no lines, '' is one blank line. */
export function parseSshKeys(value: string | undefined | null): SshKeysLine[] {
  if (value === undefined || value === null) return [];
  return value.split('\n').map(parseSshKeysLine);
}

/** Joins lines back; `formatSshKeys(parseSshKeys(v)) === v` for every string v. */
export function formatSshKeys(lines: readonly SshKeysLine[]): string {
  return lines.map((l) => l.raw).join('\n');
}

/** True for a valid expiring line whose expiry is before `now` (the agent's `t.Before(time.Now())`). */
export function isExpired(line: SshKeysLine, now: Date): boolean {
  return line.kind === 'key' && line.expireOn !== undefined && line.expireOn.getTime() < now.getTime();
}

/** Control characters (C0, DEL, C1) and the Unicode line/paragraph separators. */
// eslint-disable-next-line no-control-regex
export const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

function describeChar(text: string): string {
  const m = CONTROL.exec(text);
  const c = m ? m[0] : '';
  const names: Record<string, string> = {
    '\n': 'a newline',
    '\r': 'a carriage return',
    '\t': 'a tab',
    '\0': 'a NUL',
  };
  return names[c] ?? `control character U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Checks a username keyfleet is about to write: everything the agent rejects, plus anything that
 * could end the line or the user field early (`:`), and control or Unicode space characters.
 * Throws UsageError saying what is wrong and what is allowed.
 */
export function checkUserForWrite(user: string): void {
  const allowed =
    'use a POSIX login name such as "alice" or "ci_runner" (letters, digits, "_", "-", "." ; not starting with "-")';
  if (CONTROL.test(user)) {
    throw new UsageError(`GCP username ${JSON.stringify(user)} contains ${describeChar(user)}; ${allowed}`);
  }
  if (/\s/u.test(user))
    throw new UsageError(`GCP username ${JSON.stringify(user)} contains whitespace; ${allowed}`);
  if (user.includes(':')) {
    throw new UsageError(
      `GCP username ${JSON.stringify(user)} contains ":", which ends the username in an ssh-keys line; ${allowed}`,
    );
  }
  const agent = agentUserProblem(user);
  if (agent) {
    throw new UsageError(
      `GCP username ${JSON.stringify(user)} is rejected by the guest agent (${agent}); ${allowed}`,
    );
  }
}

/** useradd's default NAME_REGEX and 32-character limit: names outside it may fail on the VM. */
export function isPortableUsername(user: string): boolean {
  return user.length <= 32 && /^[a-z_][a-z0-9_.-]*\$?$/.test(user);
}

/** Checks a comment keyfleet is about to write after the key. Returns it trimmed (as the agent reads it). */
export function checkCommentForWrite(comment: string): string {
  if (CONTROL.test(comment)) {
    throw new UsageError(
      `the key comment ${JSON.stringify(comment)} contains ${describeChar(comment)}; a comment in ssh-keys metadata must be one line of printable text`,
    );
  }
  const trimmed = goTrimSpace(comment);
  if (trimmed.startsWith('google-ssh')) {
    throw new UsageError(
      `the key comment ${JSON.stringify(comment)} starts with "google-ssh", which the guest agent reads as an expiry; use --expires to set an expiry, or choose another comment`,
    );
  }
  return trimmed;
}

/** A line keyfleet writes. */
export interface OwnedEntry {
  user: string;
  key: PublicKey;
  /** Written after the key when the line does not expire. */
  comment?: string;
  /** Makes the line `google-ssh {"userName":USER,"expireOn":...}` (whole seconds, UTC). */
  expireOn?: Date;
}

/**
 * `USER:TYPE BASE64 google-ssh {"userName":"USER","expireOn":"YYYY-MM-DDTHH:MM:SS+0000"}` when
 * expiring, else `USER:TYPE BASE64[ COMMENT]`. Throws UsageError for a username or comment that
 * could inject a line or a key, or that the agent would skip.
 */
export function formatOwnedLine(entry: OwnedEntry): string {
  checkUserForWrite(entry.user);
  if (entry.key.family === 'UNKNOWN' && entry.key.unsupported) {
    throw new UsageError(
      `the key type ${entry.key.type} is unknown to the Google guest agent, which would skip the line; use an ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa key`,
    );
  }
  const head = `${entry.user}:${entry.key.type} ${entry.key.blob.toString('base64')}`;
  if (entry.expireOn !== undefined) {
    if (Number.isNaN(entry.expireOn.getTime())) throw new UsageError('the expiry date is not a valid date');
    return `${head} google-ssh ${JSON.stringify({ userName: entry.user, expireOn: formatExpireOn(entry.expireOn) })}`;
  }
  const comment = entry.comment === undefined ? '' : checkCommentForWrite(entry.comment);
  return comment === '' ? head : `${head} ${comment}`;
}
