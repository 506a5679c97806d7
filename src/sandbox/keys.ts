/**
 * Key material as the emulators store it: parsed by keyfleet's key core (never a parser of our
 * own), reduced to what the platforms keep and compare.
 */
import { KeyParseError } from '../keys/errors.js';
import { parsePublicKey } from '../keys/public-key.js';
import type { KeyFamily } from '../keys/types.js';

export interface StoredKeyMaterial {
  /** e.g. `ssh-ed25519`. */
  type: string;
  family: KeyFamily;
  bits: number;
  /** Base64 of the wire blob. */
  blob: string;
  /** `SHA256:…` as ssh-keygen prints it. */
  fingerprint: string;
  /** MD5 as lowercase colon-separated hex, without the `MD5:` prefix (GitLab's `fingerprint`). */
  md5: string;
  /** The comment after the blob, '' when none. */
  comment: string;
  /** True for OpenSSH certificates. */
  certificate: boolean;
}

/** Parses one `TYPE BASE64 [COMMENT]` line; undefined when it is not a valid public key. */
export function parseKeyMaterial(text: string): StoredKeyMaterial | undefined {
  try {
    const k = parsePublicKey(text);
    return {
      type: k.type,
      family: k.family,
      bits: k.bits,
      blob: k.blob.toString('base64'),
      fingerprint: k.fingerprint,
      md5: k.md5.replace(/^MD5:/, ''),
      comment: k.comment,
      certificate: k.certificate !== undefined,
    };
  } catch (err) {
    if (err instanceof KeyParseError) return undefined;
    throw err;
  }
}
