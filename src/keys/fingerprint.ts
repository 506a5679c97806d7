import { createHash } from 'node:crypto';

/**
 * Fingerprints exactly as `ssh-keygen -l` prints them: SHA256 over the wire blob, base64
 * without padding, prefixed `SHA256:`; MD5 as colon-separated lowercase hex, prefixed `MD5:`.
 */
export function sha256Fingerprint(blob: Uint8Array): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

export function md5Fingerprint(blob: Uint8Array): string {
  const hex = createHash('md5').update(blob).digest('hex');
  return 'MD5:' + hex.replace(/(..)(?!$)/g, '$1:');
}

const SHA256_RE = /^SHA256:[A-Za-z0-9+/]{43}$/;
const MD5_RE = /^(MD5:)?([0-9a-f]{2}:){15}[0-9a-f]{2}$/i;

/** True when `text` looks like a fingerprint (SHA256 or MD5), as opposed to key text or a path. */
export function isFingerprint(text: string): boolean {
  return SHA256_RE.test(text) || MD5_RE.test(text);
}

/**
 * Normalizes a user-supplied fingerprint: `SHA256:` base64 kept as is (padding removed), bare
 * 43-char base64 gets the prefix, MD5 gets `MD5:` and lowercase. Returns undefined when the
 * text is not a fingerprint.
 */
export function normalizeFingerprint(text: string): string | undefined {
  const t = text.trim().replace(/=+$/, '');
  if (SHA256_RE.test(t)) return t;
  if (/^[A-Za-z0-9+/]{43}$/.test(t)) return 'SHA256:' + t;
  if (/^sha256:[A-Za-z0-9+/]{43}$/i.test(t)) return 'SHA256:' + t.slice(7);
  if (MD5_RE.test(t)) return 'MD5:' + t.replace(/^MD5:/i, '').toLowerCase();
  return undefined;
}
