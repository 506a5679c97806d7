/**
 * keyfleet's Pulumi layer (`keyfleet/pulumi`): the `SshKeyDistribution` component, the dynamic
 * resources it uses where no provider package does the job, and the rotation schedule.
 */
export { SshKeyDistribution, fingerprintLabel } from './ssh-key-distribution.js';
export type * from './args/types.js';
export { ComponentArgsError } from './args/errors.js';
export {
  validatePublicKeyText,
  resolveGenerate,
  resolvePlacements,
  resolveArgs,
  validateExpiry,
} from './args/validation.js';
export type { ValidatedKey, ResolvedGenerate, Placement, ResolvedArgs } from './args/validation.js';
export {
  parseDuration,
  resolveSchedule,
  planRotation,
  generation,
  generationStamp,
  DEFAULT_ROTATION_ANCHOR,
} from './rotation.js';
export type { RotationSchedule, Generation, RotationPlan } from './rotation.js';
export {
  GitlabUserKey,
  GitlabDeployKey,
  gitlabUserKeyProvider,
  gitlabDeployKeyProvider,
} from './providers/gitlab-key.js';
export type { GitlabUserKeyArgs, GitlabDeployKeyArgs, ModuleLoader } from './providers/gitlab-key.js';
export { GcpMetadataSshKey, gcpMetadataSshKeyProvider } from './providers/gcp-metadata-key.js';
export type { GcpMetadataSshKeyArgs } from './providers/gcp-metadata-key.js';
export type * from './providers/types.js';
export { POLICY_RULES, checkResource, keysIn, TYPES as RESOURCE_TYPES } from './policy-rules.js';
export type { PolicyRule, ResourceUnderTest, EnforcementLevel } from './policy-rules.js';
