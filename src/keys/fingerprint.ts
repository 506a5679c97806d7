import { createHash, hash as oneShotHash } from 'node:crypto';

// Both run once per key line in `inspect` (100k-line files): one-shot crypto.hash (Node 20.12+)
// and no regex keep each near a microsecond.
const HEX_PAIRS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Fingerprints exactly as `ssh-keygen -l` prints them: SHA256 over the wire blob, base64
 * without padding, prefixed `SHA256:`; MD5 as colon-separated lowercase hex, prefixed `MD5:`.
 */
export function sha256Fingerprint(blob: Uint8Array): string {
  // A SHA-256 digest is 32 bytes: 44 base64 characters, the last one '=' padding.
  const b64 = oneShotHash
    ? oneShotHash('sha256', blob, 'base64')
    : createHash('sha256').update(blob).digest('base64');
  return 'SHA256:' + b64.slice(0, 43);
}

export function md5Fingerprint(blob: Uint8Array): string {
  const d = oneShotHash ? oneShotHash('md5', blob, 'buffer') : createHash('md5').update(blob).digest();
  let out = 'MD5:' + HEX_PAIRS[d[0]!]!;
  for (let i = 1; i < d.length; i++) out += ':' + HEX_PAIRS[d[i]!]!;
  return out;
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
