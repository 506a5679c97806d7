/**
 * The keys layer's public surface (`keyfleet/keys`). Each module adds its own line.
 */
export type * from './types.js';
export { KeyParseError, EncryptedKeyError } from './errors.js';
export { sha256Fingerprint, md5Fingerprint, normalizeFingerprint, isFingerprint } from './fingerprint.js';
export { SshReader, SshWriter } from './wire.js';
export {
  parsePublicKey,
  parsePublicKeyBlob,
  formatPublicKey,
  isPrivateKeyMaterial,
  isKnownKeyType,
  looksLikeKeyTypeName,
  keyTypeNames,
  KEY_TYPE_ALIASES,
  keygenTypeLabel,
  decodeBase64Strict,
  MAX_LINE_LENGTH,
  RSA_MIN_BITS,
  RSA_MAX_BITS,
} from './public-key.js';
export {
  parseCertificateBlob,
  isCertificateType,
  certificateToJson,
  certTimeToIso,
  CERT_FOREVER,
} from './certificate.js';
export type { CertificateJson } from './certificate.js';
export { ecPointProblem, CURVES } from './curves.js';
export type { CurveName } from './curves.js';
export {
  parseAuthorizedKeysLine,
  parseAuthorizedKeysOptions,
  formatAuthorizedKeysLine,
  formatAuthorizedKeysOptions,
  parseExpiryTime,
  optionsExpiry,
  AUTHORIZED_KEYS_OPTION_NAMES,
} from './authorized-keys.js';
export type { AuthorizedKeysLine } from './authorized-keys.js';
export {
  parseKnownHostsLine,
  formatKnownHostsLine,
  hostMatches,
  hostLookupName,
  hashHostName,
  matchPattern,
} from './known-hosts.js';
export type { KnownHostsLine, KnownHostsMarker } from './known-hosts.js';
export { evaluateKey, failsPolicy, resolvePolicy, DEFAULT_POLICY, FINDING_CODES } from './policy.js';
export type { Policy, PolicyResult, PolicyFinding, FindingCode } from './policy.js';
export { parsePrivateKey, isPrivateKeyText } from './private-key.js';
export type { ParsedPrivateKey, ParsePrivateKeyOptions, PrivateKeyFormat } from './private-key.js';
export { generateKeyPair, generateKeyPairAsync, privateKeyToOpenSsh, resolveKeySpec } from './generate.js';
export type { GenerateKeyOptions, GenerateKeyType, GeneratedKeyPair, KeySpec } from './generate.js';
export { encodeOpenSshPrivateKey } from './openssh-private.js';
export type { OpenSshPrivateKeyParts } from './openssh-private.js';
export { sshPublicBlob, opensshPrivateFields } from './node-key.js';
export { SSH_CIPHER_NAMES, DEFAULT_CIPHER, DEFAULT_KDF_ROUNDS } from './cipher.js';
