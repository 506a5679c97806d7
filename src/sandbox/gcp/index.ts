/** The sandbox's Google Cloud emulator: Compute v1 metadata + OS Login v1 (docs/sandbox-gcp.md). */
export { GcpEmulator, startGcpEmulator, type VmView } from './emulator.js';
export { FINGERPRINT_MISMATCH } from './errors.js';
export { opensshPublicKey, osLoginFingerprint } from './seed.js';
export type {
  GcpConnectionInfo,
  GcpKnobs,
  GcpState,
  LoginProfileJson,
  MetadataItem,
  MetadataJson,
  SshPublicKeyJson,
} from './types.js';
