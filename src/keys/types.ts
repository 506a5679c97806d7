/**
 * The key model shared by every layer. A key is identified by its wire blob; the comment is
 * metadata that platforms strip or rewrite, so equality is always by `fingerprint`.
 */

/** Plain key algorithms keyfleet understands fully (validation, bits, generation where possible). */
export type KeyAlgorithm =
  | 'ssh-ed25519'
  | 'ecdsa-sha2-nistp256'
  | 'ecdsa-sha2-nistp384'
  | 'ecdsa-sha2-nistp521'
  | 'ssh-rsa'
  | 'sk-ssh-ed25519@openssh.com'
  | 'sk-ecdsa-sha2-nistp256@openssh.com'
  | 'ssh-dss';

/** Short family names as ssh-keygen prints them in `-l` output: ED25519, ECDSA, RSA, ED25519-SK, ECDSA-SK, DSA. */
export type KeyFamily = 'ED25519' | 'ECDSA' | 'RSA' | 'ED25519-SK' | 'ECDSA-SK' | 'DSA' | 'UNKNOWN';

export interface CertificateInfo {
  /** e.g. `ssh-ed25519-cert-v01@openssh.com` */
  certType: string;
  /** `user` or `host` */
  role: 'user' | 'host';
  serial: bigint;
  keyId: string;
  principals: string[];
  /** Seconds since epoch; 0 means "from the beginning". */
  validAfter: bigint;
  /** Seconds since epoch; 0xFFFFFFFFFFFFFFFF means "forever". */
  validBefore: bigint;
  criticalOptions: Record<string, string>;
  extensions: string[];
  /** The signing CA key's type and fingerprint. */
  caType: string;
  caFingerprint: string;
  /** The CA's signature algorithm, e.g. `ssh-ed25519` or `rsa-sha2-512` (`ssh-rsa` = SHA-1, refused by OpenSSH 8.2+). */
  signatureType?: string;
  /** `SHA256:...` of the whole certificate blob (`fingerprint` is the certified key's, as ssh-keygen prints). */
  certFingerprint?: string;
}

export interface PublicKey {
  /** The type name from the blob, e.g. `ssh-ed25519` or `ssh-rsa-cert-v01@openssh.com`. */
  type: string;
  /** Family as ssh-keygen names it (for a certificate: the family of the certified key). */
  family: KeyFamily;
  /** Bits as `ssh-keygen -l` reports them (256 for ed25519, the curve size for ECDSA, modulus bits for RSA). */
  bits: number;
  /** The full wire blob (for a certificate: the whole certificate blob). */
  blob: Buffer;
  /**
   * `SHA256:...` exactly as ssh-keygen prints it: of `blob`, except that for a certificate it is
   * the certified plain key's fingerprint (ssh-keygen fingerprints certificates that way).
   */
  fingerprint: string;
  /** `MD5:aa:bb:...`, over the same bytes as `fingerprint`. */
  md5: string;
  /** Comment text after the blob, or '' when none. */
  comment: string;
  /** The ECDSA curve name (nistp256...) for ECDSA keys, undefined otherwise. */
  curve?: string;
  /** For sk keys: the application string (usually `ssh:`). */
  application?: string;
  /** Set when the key is an OpenSSH certificate. */
  certificate?: CertificateInfo;
  /** True when the type is recognized but not supported (ssh-dss) or unknown: bits may be 0. */
  unsupported?: boolean;
}

/** One option of an authorized_keys line, e.g. `{ name: 'command', value: 'ls -l' }` or `{ name: 'restrict' }`. */
export interface KeyOption {
  name: string;
  value?: string;
}

/** What a line of input turned out to be; `inspect` reports each. */
export interface KeyEntry {
  /** `file:line` (or `file` for a whole-file private key). */
  source: string;
  key: PublicKey;
  /** authorized_keys options (empty when none). */
  options: KeyOption[];
  /** For known_hosts lines: the host patterns and marker. */
  knownHost?: { marker?: '@cert-authority' | '@revoked'; hosts: string[]; hashed: boolean };
  /** True when the public key was derived from a private key file (the private half is never kept). */
  fromPrivateKey?: boolean;
}

/** A finding from policy evaluation. */
export interface Finding {
  code: string;
  severity: 'info' | 'low' | 'medium' | 'high' | 'critical';
  message: string;
}

export type Verdict = 'ok' | 'weak' | 'forbidden' | 'expired';
