/**
 * Turning a key as a platform returns it into a PlacedKey. The fingerprint is always computed
 * here from the key material, because platforms strip (GitHub) or rewrite (GitLab) comments and
 * some return no fingerprint at all.
 */
import { md5Fingerprint, normalizeFingerprint, sha256Fingerprint } from '../keys/fingerprint.js';
import { formatPublicKey, parsePublicKey } from '../keys/public-key.js';
import type { PublicKey } from '../keys/types.js';
import type { PlacedKey } from './types.js';

interface KeyFacts {
  type: string;
  bits: number;
  fingerprint: string;
  md5: string;
}

/** Type, bits and fingerprints of `TYPE BASE64 [COMMENT]`, even for a type the key core cannot fully parse. */
export function keyFacts(text: string): KeyFacts {
  try {
    const k = parsePublicKey(text);
    return { type: k.type, bits: k.bits, fingerprint: k.fingerprint, md5: k.md5 };
  } catch {
    // A platform may hold a key type newer than our parser: still fingerprint the blob.
    const [type = 'unknown', b64 = ''] = text.trim().split(/\s+/);
    const blob = Buffer.from(b64, 'base64');
    return { type, bits: 0, fingerprint: sha256Fingerprint(blob), md5: md5Fingerprint(blob) };
  }
}

type ExtraFields = Omit<PlacedKey, 'target' | 'id' | 'publicKey' | 'fingerprint' | 'type' | 'bits'>;
/** Optional fields as platforms return them: missing, null or empty values are left out. */
export type PlacedExtra = { [K in keyof ExtraFields]?: ExtraFields[K] | null | undefined };

/** Builds a PlacedKey, leaving out the optional fields the platform did not give. */
export function placedKey(
  target: string,
  id: string | number,
  keyText: string,
  extra: PlacedExtra = {},
): PlacedKey {
  const facts = keyFacts(keyText);
  const out: PlacedKey = {
    target,
    id: String(id),
    publicKey: keyText.trim(),
    fingerprint: facts.fingerprint,
    type: facts.type,
    bits: facts.bits,
  };
  for (const [k, v] of Object.entries(extra) as [keyof PlacedExtra, unknown][]) {
    if (v !== undefined && v !== null && v !== '') (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** The PlacedKey a dry run reports: the local key as it would be placed (no id yet). */
export function plannedKey(target: string, key: PublicKey, extra: PlacedExtra = {}): PlacedKey {
  return placedKey(target, '', formatPublicKey(key), extra);
}

/**
 * True when `placed` has this fingerprint. `fingerprint` may be `SHA256:…` or MD5 (`MD5:aa:…`
 * or bare hex pairs), as users copy them from ssh-keygen or GitLab.
 */
export function hasFingerprint(placed: PlacedKey, fingerprint: string): boolean {
  const want = normalizeFingerprint(fingerprint);
  if (want === undefined) return false;
  if (want.startsWith('SHA256:')) return placed.fingerprint === want;
  return keyFacts(placed.publicKey).md5 === want;
}

/** A title for platforms that need one: the key's comment, or a name from its fingerprint. */
export function defaultTitle(key: PublicKey): string {
  const comment = key.comment.trim();
  if (comment !== '' && comment.length <= 200) return comment;
  return `keyfleet ${key.fingerprint.slice(7, 19)}`;
}
