import { createHmac, timingSafeEqual } from 'node:crypto';
import { KeyParseError } from './errors.js';
import { printable } from './key-body.js';
import {
  MAX_LINE_LENGTH,
  isKnownKeyType,
  isPrivateKeyMaterial,
  parsePublicKey,
  PRIVATE_KEY_GIVEN,
} from './public-key.js';
import type { PublicKey } from './types.js';

/**
 * known_hosts lines (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 * `[@cert-authority|@revoked] PATTERNS TYPE BASE64 [COMMENT]`, where PATTERNS is a comma list of
 * host patterns (`*`, `?`, `!` negation, `[host]:port`) or one hashed entry `|1|salt|hmac`.
 */

export type KnownHostsMarker = '@cert-authority' | '@revoked';

export interface KnownHostsLine {
  marker?: KnownHostsMarker;
  /** The host patterns as written (one `|1|…` string for a hashed entry). */
  hosts: string[];
  hashed: boolean;
  key: PublicKey;
}

const HASH_MAGIC = '|1|';
const SHA1_LEN = 20;

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function fail(reason: string): never {
  throw new KeyParseError(`invalid known_hosts line: ${reason}`);
}

/** Splits `|1|salt|hash` into its decoded salt and hash, or undefined when malformed. */
function decodeHashed(entry: string): { salt: Buffer; hash: Buffer } | undefined {
  if (!entry.startsWith(HASH_MAGIC)) return undefined;
  const rest = entry.slice(HASH_MAGIC.length);
  const bar = rest.indexOf('|');
  if (bar < 0) return undefined;
  const b64 = /^[A-Za-z0-9+/]+={0,2}$/;
  const saltText = rest.slice(0, bar);
  const hashText = rest.slice(bar + 1);
  if (!b64.test(saltText) || !b64.test(hashText)) return undefined;
  const salt = Buffer.from(saltText, 'base64');
  const hash = Buffer.from(hashText, 'base64');
  if (salt.length !== SHA1_LEN || hash.length !== SHA1_LEN) return undefined;
  return { salt, hash };
}

/**
 * Parses one known_hosts line. Returns null for blank lines and `#` comments; throws a
 * KeyParseError for a malformed line (unknown marker, bad hashed entry, missing key...).
 */
export function parseKnownHostsLine(line: string): KnownHostsLine | null {
  const len = line.length;
  if (len > MAX_LINE_LENGTH) {
    throw new KeyParseError(
      `the line is ${len} characters long; a key line is at most ${MAX_LINE_LENGTH} characters`,
    );
  }
  let i = 0;
  while (i < len && (isBlank(line.charCodeAt(i)) || line.charCodeAt(i) === 0x0d)) i++;
  if (i === len || line.charCodeAt(i) === 0x23 /* # */ || line.charCodeAt(i) === 0x0a) return null;

  const token = (): string => {
    const start = i;
    while (i < len && !isBlank(line.charCodeAt(i))) i++;
    const t = line.slice(start, i);
    while (i < len && isBlank(line.charCodeAt(i))) i++;
    return t;
  };

  let marker: KnownHostsMarker | undefined;
  let hostsText = token();
  if (hostsText.startsWith('@')) {
    if (hostsText !== '@cert-authority' && hostsText !== '@revoked') {
      if (isPrivateKeyMaterial(line)) throw new KeyParseError(PRIVATE_KEY_GIVEN);
      fail(`unknown marker ${JSON.stringify(printable(hostsText))} (allowed: @cert-authority, @revoked)`);
    }
    marker = hostsText;
    hostsText = token();
  }
  if (hostsText === '' || isKnownKeyType(hostsText)) {
    fail('missing host patterns before the key (expected "[MARKER] HOSTS TYPE BASE64 [COMMENT]")');
  }
  if (i >= len) {
    if (isPrivateKeyMaterial(line)) throw new KeyParseError(PRIVATE_KEY_GIVEN);
    fail('missing the key after the host patterns (expected "[MARKER] HOSTS TYPE BASE64 [COMMENT]")');
  }

  let hashed = false;
  let hosts: string[];
  if (hostsText.startsWith('|')) {
    if (decodeHashed(hostsText) === undefined) {
      fail('malformed hashed host entry (expected |1|<base64 20-byte salt>|<base64 20-byte HMAC-SHA1>)');
    }
    hashed = true;
    hosts = [hostsText];
  } else {
    hosts = hostsText.split(',');
    if (hosts.some((h) => h === '' || h === '!')) fail('empty host pattern in the comma-separated host list');
  }

  const key = parsePublicKey(line.slice(i));
  const out: KnownHostsLine = { hosts, hashed, key };
  if (marker !== undefined) out.marker = marker;
  return out;
}

/** The name OpenSSH looks up for `host` on `port`: `host` for port 22 (or none), else `[host]:port`. */
export function hostLookupName(host: string, port?: number): string {
  const h = host.toLowerCase();
  return port === undefined || port === 22 || port === 0 ? h : `[${h}]:${port}`;
}

/**
 * Wildcard match as OpenSSH's match_pattern: `*` any run, `?` one character. Iterative with
 * single-star backtracking, so no pattern can make it exponential.
 */
export function matchPattern(text: string, pattern: string): boolean {
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '*') {
      starP = p++;
      starT = t;
    } else if (pc !== undefined && (pc === '?' || pc === text[t])) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** The HMAC-SHA1 hashed form `|1|salt|hash` of `name` (as `ssh-keygen -H` writes it). */
export function hashHostName(name: string, salt: Buffer): string {
  const hash = createHmac('sha1', salt).update(name).digest();
  return `${HASH_MAGIC}${salt.toString('base64')}|${hash.toString('base64')}`;
}

/**
 * True when the entry's host patterns match `host` (on `port`, default 22), as ssh does:
 * hashed entries by HMAC-SHA1 of the lookup name; plain patterns case-insensitively with `*`,
 * `?`, and `!` negation (a matching negated pattern means no match, whatever else matches).
 */
export function hostMatches(
  entry: Pick<KnownHostsLine, 'hosts' | 'hashed'>,
  host: string,
  port?: number,
): boolean {
  const name = hostLookupName(host, port);
  if (entry.hashed) {
    const h = entry.hosts[0] === undefined ? undefined : decodeHashed(entry.hosts[0]);
    if (h === undefined) return false;
    const mac = createHmac('sha1', h.salt).update(name).digest();
    return timingSafeEqual(mac, h.hash);
  }
  let matched = false;
  for (const raw of entry.hosts) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (matchPattern(name, pattern)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** `[MARKER ]HOSTS TYPE BASE64[ COMMENT]`. */
export function formatKnownHostsLine(entry: KnownHostsLine, options: { comment?: boolean } = {}): string {
  const key = entry.key.type + ' ' + entry.key.blob.toString('base64');
  const withComment =
    options.comment !== false && entry.key.comment !== '' ? key + ' ' + entry.key.comment : key;
  return `${entry.marker !== undefined ? entry.marker + ' ' : ''}${entry.hosts.join(',')} ${withComment}`;
}
