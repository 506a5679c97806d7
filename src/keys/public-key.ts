import { isCertificateType, parseCertificateBlob } from './certificate.js';
import { KeyParseError } from './errors.js';
import { md5Fingerprint, sha256Fingerprint } from './fingerprint.js';
import { CERT_KEY_TYPES, PLAIN_KEY_TYPES, plainTypeInfo, printable, readKeyBody } from './key-body.js';
import type { KeyBody } from './key-body.js';
import type { CertificateInfo, KeyFamily, PublicKey } from './types.js';
import { SshReader, SshWriter } from './wire.js';

/**
 * OpenSSH public keys: the one-line text form (`TYPE BASE64 [COMMENT]`) and the wire blob.
 * Accepts what ssh-keygen 9.x accepts, and reports bits, family and fingerprints exactly as
 * `ssh-keygen -l` prints them. Everything that is not a valid key becomes a KeyParseError whose
 * reason says what was wrong and what is allowed; private key material is never echoed.
 */

export { RSA_MIN_BITS, RSA_MAX_BITS } from './key-body.js';

/** The longest key line accepted (a 16384-bit RSA certificate is well under this). */
export const MAX_LINE_LENGTH = 64 * 1024;

/** Every key type name keyfleet recognises: plain types, then certificate types. */
export const keyTypeNames: readonly string[] = [...PLAIN_KEY_TYPES, ...CERT_KEY_TYPES];
/**
 * Signature-algorithm names OpenSSH also accepts as the type in key text (sshkey_type_from_name):
 * `rsa-sha2-256 AAAA…` is read as the `ssh-rsa` key in the blob, by ssh-keygen and sshd alike.
 */
export const KEY_TYPE_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  'rsa-sha2-256': 'ssh-rsa',
  'rsa-sha2-512': 'ssh-rsa',
  'rsa-sha2-256-cert-v01@openssh.com': 'ssh-rsa-cert-v01@openssh.com',
  'rsa-sha2-512-cert-v01@openssh.com': 'ssh-rsa-cert-v01@openssh.com',
});
const KNOWN_TYPES: ReadonlySet<string> = new Set([...keyTypeNames, ...Object.keys(KEY_TYPE_ALIASES)]);

/**
 * True when `name` is a key type keyfleet knows in key text (plain, certificate, or one of the
 * `rsa-sha2-*` aliases), e.g. `ssh-ed25519`.
 */
export function isKnownKeyType(name: string): boolean {
  return KNOWN_TYPES.has(name);
}

/**
 * True when `name` could be a key type name, known or not: what OpenSSH type names look like
 * (`ssh-…`, `ecdsa-…`, `sk-…`, `…@domain`). authorized_keys uses it to tell options from a type.
 */
export function looksLikeKeyTypeName(name: string): boolean {
  if (name.length === 0 || name.length > 128) return false;
  const c0 = name.charCodeAt(0) | 0x20; // lower-cased letter, or a digit unchanged
  if (!((c0 >= 0x61 && c0 <= 0x7a) || (c0 >= 0x30 && c0 <= 0x39))) return false;
  for (let i = 1; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok =
      (c >= 0x61 && c <= 0x7a) || // a-z
      (c >= 0x41 && c <= 0x5a) || // A-Z
      (c >= 0x30 && c <= 0x39) || // 0-9
      c === 0x2d || // -
      c === 0x2e || // .
      c === 0x5f || // _
      c === 0x40 || // @
      c === 0x2b; // +
    if (!ok) return false;
  }
  return true;
}

const PRIVATE_MARKERS = ['PRIVATE KEY-----', 'PuTTY-User-Key-File', 'b3BlbnNzaC1rZXktdjE'];

/**
 * True when `text` is or contains private key material: a PEM `-----BEGIN ... PRIVATE KEY-----`
 * block, a PuTTY `.ppk` file, or the base64 of an OpenSSH private key (`openssh-key-v1`).
 */
export function isPrivateKeyMaterial(text: string): boolean {
  for (const m of PRIVATE_MARKERS) if (text.includes(m)) return true;
  return false;
}

export const PRIVATE_KEY_GIVEN =
  'this is private key material, but a public key is expected here; pass the public key (the .pub file, or `ssh-keygen -y -f KEY` output) and keep the private key secret';

function privateKeyError(): KeyParseError {
  return new KeyParseError(PRIVATE_KEY_GIVEN);
}

// Strict base64 as OpenSSH's b64_pton: the standard alphabet, length a multiple of 4, at most two
// '=' only at the end, and zero bits after the last byte. Buffer.from(…, 'base64') alone would
// silently skip bad characters.
const B64 = new Int8Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((ch, i) => {
  B64[ch.charCodeAt(0)] = i;
});

/** Decodes strict base64, or throws a KeyParseError saying what is wrong. */
export function decodeBase64Strict(s: string, what = 'key blob'): Buffer {
  const len = s.length;
  if (len === 0) throw new KeyParseError(`the ${what} is empty`);
  // Fast path: canonical base64 re-encodes to itself; anything else is explained below.
  const decoded = Buffer.from(s, 'base64');
  if (decoded.toString('base64') === s) return decoded;
  let pad = 0;
  if (s.charCodeAt(len - 1) === 0x3d) pad = s.charCodeAt(len - 2) === 0x3d ? 2 : 1;
  const dataLen = len - pad;
  for (let i = 0; i < dataLen; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || B64[c]! < 0) {
      throw new KeyParseError(
        `the ${what} is not valid base64: character ${JSON.stringify(printable(s[i] ?? '', 4))} at position ${i + 1} (allowed: A-Z a-z 0-9 + / and = padding at the end)`,
      );
    }
  }
  if (len % 4 !== 0) {
    throw new KeyParseError(
      `the ${what} is truncated or damaged: its base64 is ${len} characters, not a multiple of 4 (copy the whole key line)`,
    );
  }
  if (pad > 0) {
    const last = B64[s.charCodeAt(dataLen - 1)]!;
    if ((pad === 1 && (last & 0x03) !== 0) || (pad === 2 && (last & 0x0f) !== 0)) {
      throw new KeyParseError(`the ${what} is not valid base64: non-zero bits before the '=' padding`);
    }
  }
  throw new KeyParseError(`the ${what} is not valid base64 ('=' padding only at the end, at most two)`);
}

function isTypeNameByte(c: number): boolean {
  return c >= 0x21 && c <= 0x7e;
}

/** Reads the leading type string of a blob, insisting it looks like a type name. */
function readTypeName(r: SshReader): string {
  const raw = r.bytes();
  if (raw.length === 0 || raw.length > 128) {
    throw new KeyParseError(
      'the key blob does not start with a key type name (is this an OpenSSH public key?)',
    );
  }
  for (let i = 0; i < raw.length; i++) {
    if (!isTypeNameByte(raw[i]!)) {
      throw new KeyParseError(
        'the key blob does not start with a key type name (is this an OpenSSH public key?)',
      );
    }
  }
  return raw.toString('latin1');
}

/** Options of the public key parsers. */
export interface ParseKeyOptions {
  /**
   * Compute `md5` on first read instead of at parse time (`inspect` reads 100k-line files and
   * prints MD5 only with `-E md5` or `--json`). `key.md5` reads the same either way, but it is
   * then a getter, not an own property: a spread copy (`{ ...key }`) does not carry it.
   */
  lazyMd5?: boolean;
}

/** A PublicKey whose MD5 fingerprint is computed when first read (see ParseKeyOptions.lazyMd5). */
class LazyMd5Key implements PublicKey {
  declare curve?: string;
  declare application?: string;
  declare certificate?: CertificateInfo;
  declare unsupported?: boolean;
  readonly #fpBlob: Buffer;
  #md5: string | undefined;

  constructor(
    public type: string,
    public family: KeyFamily,
    public bits: number,
    public blob: Buffer,
    public fingerprint: string,
    fpBlob: Buffer,
    public comment: string,
  ) {
    this.#fpBlob = fpBlob;
  }

  get md5(): string {
    return (this.#md5 ??= md5Fingerprint(this.#fpBlob));
  }

  set md5(value: string) {
    this.#md5 = value;
  }
}

function makeKey(
  type: string,
  family: KeyFamily,
  body: KeyBody | undefined,
  blob: Buffer,
  fpBlob: Buffer,
  comment: string,
  options: ParseKeyOptions,
): PublicKey {
  const bits = body?.bits ?? 0;
  const fingerprint = sha256Fingerprint(fpBlob);
  const key: PublicKey = options.lazyMd5
    ? new LazyMd5Key(type, family, bits, blob, fingerprint, fpBlob, comment)
    : { type, family, bits, blob, fingerprint, md5: md5Fingerprint(fpBlob), comment };
  if (body?.curve !== undefined) key.curve = body.curve;
  if (body?.application !== undefined) key.application = body.application;
  if (body === undefined || body.unsupported) key.unsupported = true;
  return key;
}

/**
 * Decodes a public key wire blob of any type: the plain types, their certificates, `ssh-dss`
 * (parsed, `unsupported: true`) and unknown types (family UNKNOWN, bits 0, `unsupported: true`,
 * fingerprint still computed over the blob). Trailing bytes are an error, as in ssh-keygen.
 */
export function parsePublicKeyBlob(blob: Buffer, comment = '', options: ParseKeyOptions = {}): PublicKey {
  const r = new SshReader(blob);
  const type = readTypeName(r);
  const info = plainTypeInfo(type);
  if (info !== undefined) {
    const body = readKeyBody(r, type);
    r.end();
    const fpBlob = body.canonicalFields
      ? new SshWriter().string(type).raw(body.canonicalFields).toBuffer()
      : blob;
    return makeKey(type, body.family, body, blob, fpBlob, comment, options);
  }
  if (isCertificateType(type)) {
    const cert = parseCertificateBlob(blob, type);
    const family = cert.body?.family ?? 'UNKNOWN';
    const key = makeKey(type, family, cert.body, blob, cert.plainBlob, comment, options);
    key.certificate = cert.info;
    return key;
  }
  // An unknown type (e.g. a post-quantum hybrid newer than us): reported, never crashed on.
  return makeKey(type, 'UNKNOWN', undefined, blob, blob, comment, options);
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function isLineSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

/** End of the token starting at `from`: the first space, tab, CR or LF before `end`. */
function tokenEnd(text: string, from: number, end: number): number {
  let e = end;
  for (const ch of TOKEN_BREAKS) {
    const x = text.indexOf(ch, from);
    if (x >= 0 && x < e) e = x;
  }
  return e;
}
const TOKEN_BREAKS = [' ', '\t', '\n', '\r'];

const UNICODE_SPACE = /[\u00a0\u1680\u2000-\u200d\u2028\u2029\u202f\u205f\u3000\ufeff]/;

/** What a text that is not a one-line OpenSSH key most likely is, for the error message. */
function notAKeyReason(text: string, first: string): string {
  if (text.charCodeAt(0) === 0xfeff) {
    return 'the text starts with a byte-order mark (U+FEFF); save it as plain UTF-8 without BOM';
  }
  const odd = UNICODE_SPACE.exec(text);
  if (odd) {
    const code = odd[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return `the text contains a non-ASCII space or invisible character (U+${code}), often from copying out of a web page or chat; retype the spaces between type, key and comment`;
  }
  if (text.includes('---- BEGIN SSH2 PUBLIC KEY ----')) {
    return 'this is an RFC 4716 (SSH2) public key; convert it to OpenSSH format with `ssh-keygen -i -f FILE`';
  }
  if (text.includes('-----BEGIN PUBLIC KEY-----') || text.includes('-----BEGIN RSA PUBLIC KEY-----')) {
    return 'this is a PEM public key; convert it to OpenSSH format with `ssh-keygen -i -m PKCS8 -f FILE`';
  }
  if (first.startsWith('AAAA')) {
    return 'the key type is missing: the text starts with the base64 key; write the type first (e.g. "ssh-ed25519 AAAA... comment")';
  }
  if (!looksLikeKeyTypeName(first)) {
    return `the text does not start with a key type (expected e.g. ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, sk-ssh-ed25519@openssh.com, followed by the base64 key)`;
  }
  return `missing the base64 key after the key type ${JSON.stringify(printable(first))} (expected "TYPE BASE64 [COMMENT]")`;
}

/**
 * Parses one `TYPE BASE64 [COMMENT]` line (surrounding whitespace ignored; the comment is the
 * rest of the line and may contain spaces). The type in the text must equal the type in the
 * blob. Private key material gets a KeyParseError that says so and never echoes it.
 */
export function parsePublicKey(text: string, options: ParseKeyOptions = {}): PublicKey {
  const len = text.length;
  if (len > MAX_LINE_LENGTH) {
    throw new KeyParseError(
      `the line is ${len} characters long; a public key line is at most ${MAX_LINE_LENGTH} characters (is this a key file?)`,
    );
  }
  let i = 0;
  while (i < len && isLineSpace(text.charCodeAt(i))) i++;
  let end = len;
  while (end > i && isLineSpace(text.charCodeAt(end - 1))) end--;
  if (i === end)
    throw new KeyParseError('the input is empty; expected a public key line "TYPE BASE64 [COMMENT]"');

  let j = i;
  while (j < end && !isLineSpace(text.charCodeAt(j))) j++;
  const typeText = text.slice(i, j);
  const known = KNOWN_TYPES.has(typeText);
  if (!known && isPrivateKeyMaterial(text)) throw privateKeyError();
  if (!known && (!looksLikeKeyTypeName(typeText) || typeText.startsWith('AAAA'))) {
    throw new KeyParseError(notAKeyReason(text, typeText));
  }

  let k = j;
  while (k < end && isBlank(text.charCodeAt(k))) k++;
  // The base64 token is the long part of the line: find its end with native indexOf.
  let m = tokenEnd(text, k, end);
  if (k === m) {
    throw new KeyParseError(notAKeyReason(text, typeText));
  }
  const b64 = text.slice(k, m);
  while (m < end && isBlank(text.charCodeAt(m))) m++;
  const comment = m < end ? text.slice(m, end) : '';
  if (comment.includes('\n') || comment.includes('\r')) {
    throw new KeyParseError(
      'the input holds more than one line; a key is one line "TYPE BASE64 [COMMENT]" (if it was wrapped when copied, join the lines)',
    );
  }

  let key: PublicKey;
  try {
    key = parsePublicKeyBlob(decodeBase64Strict(b64), comment, options);
  } catch (err) {
    if (err instanceof KeyParseError && isPrivateKeyMaterial(text)) throw privateKeyError();
    throw err;
  }
  if (key.type !== typeText && KEY_TYPE_ALIASES[typeText] !== key.type) {
    throw new KeyParseError(
      `the key type in the text (${printable(typeText)}) does not match the type inside the key blob (${printable(key.type)})`,
    );
  }
  return key;
}

/** `TYPE BASE64[ COMMENT]`, the form ssh-keygen writes to `.pub` files. */
export function formatPublicKey(key: PublicKey, options: { comment?: boolean } = {}): string {
  const base = key.type + ' ' + key.blob.toString('base64');
  return options.comment !== false && key.comment !== '' ? base + ' ' + key.comment : base;
}

/**
 * The type label ssh-keygen prints in parentheses at the end of a `-l` line: the family, with
 * `-CERT` appended for a certificate (e.g. `ED25519-CERT`, `ECDSA-SK-CERT`).
 */
export function keygenTypeLabel(key: PublicKey): string {
  return key.certificate ? `${key.family}-CERT` : key.family;
}
