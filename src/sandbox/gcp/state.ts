import { SandboxError } from '../errors.js';
import { baseState } from './seed.js';
import type { GcpState } from './types.js';

/**
 * Restores a state saved by `exportState()`. Checks the shape enough to fail with a clear
 * message on a foreign or truncated file instead of crashing on the first request.
 */
export function importState(raw: unknown): GcpState {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SandboxError('gcp sandbox state: expected a JSON object as saved by the sandbox');
  }
  const s = raw as Partial<GcpState>;
  if (s.version !== 1) {
    throw new SandboxError(
      `gcp sandbox state: unsupported version ${JSON.stringify(s.version)}; this sandbox reads version 1`,
    );
  }
  for (const field of [
    'tokens',
    'projects',
    'instances',
    'operations',
    'requestIds',
    'osloginUsers',
  ] as const) {
    const v = s[field];
    if (v !== undefined && (v === null || typeof v !== 'object' || Array.isArray(v))) {
      throw new SandboxError(`gcp sandbox state: field ${field} must be an object`);
    }
  }
  const base = baseState();
  const state: GcpState = {
    version: 1,
    tokens: s.tokens && Object.keys(s.tokens).length ? s.tokens : base.tokens,
    projects: s.projects ?? {},
    instances: s.instances ?? {},
    operations: s.operations ?? {},
    requestIds: s.requestIds ?? {},
    osloginUsers: s.osloginUsers ?? {},
  };
  return structuredClone(state);
}
