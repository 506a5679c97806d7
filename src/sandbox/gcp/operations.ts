import { FINGERPRINT_MISMATCH } from './errors.js';
import type { OperationState } from './types.js';
import { googleTime } from './util.js';

/**
 * Compute `Operation` rendering. The metadata change itself is applied when the setter is
 * called (so the fingerprint moves at once and a concurrent writer gets its 412); the operation
 * only reports PENDING, then RUNNING, then DONE once its delay has passed, which is what a
 * client that waits on it observes on the real API.
 */

export type OperationStatus = 'PENDING' | 'RUNNING' | 'DONE';

export function operationStatus(op: OperationState, now: number): OperationStatus {
  if (now >= op.doneAt) return 'DONE';
  return now - op.insertTime < (op.doneAt - op.insertTime) / 2 ? 'PENDING' : 'RUNNING';
}

export function renderOperation(
  op: OperationState,
  link: (path: string) => string,
  now: number,
): Record<string, unknown> {
  const status = operationStatus(op, now);
  const out: Record<string, unknown> = {
    kind: 'compute#operation',
    id: op.id,
    name: op.name,
  };
  if (op.zone) out['zone'] = link(`projects/${op.project}/zones/${op.zone}`);
  if (op.clientOperationId !== undefined) out['clientOperationId'] = op.clientOperationId;
  Object.assign(out, {
    operationType: op.operationType,
    targetLink: link(op.targetPath),
    targetId: op.targetId,
    status,
    user: op.user,
    progress: status === 'DONE' ? 100 : 0,
    insertTime: googleTime(op.insertTime),
  });
  if (status !== 'PENDING')
    out['startTime'] = googleTime(op.insertTime + Math.floor((op.doneAt - op.insertTime) / 2));
  if (status === 'DONE') {
    out['endTime'] = googleTime(op.doneAt);
    if (op.failed) {
      out['error'] = { errors: [{ code: 'CONDITION_NOT_MET', message: FINGERPRINT_MISMATCH }] };
      out['httpErrorStatusCode'] = 412;
      out['httpErrorMessage'] = 'PRECONDITION FAILED';
    }
  }
  out['selfLink'] = link(
    op.zone
      ? `projects/${op.project}/zones/${op.zone}/operations/${op.name}`
      : `projects/${op.project}/global/operations/${op.name}`,
  );
  if (!op.zone && op.clientOperationId !== undefined) {
    out['setCommonInstanceMetadataOperationMetadata'] = { clientOperationId: op.clientOperationId };
  }
  return out;
}

export function operationKey(project: string, zone: string | undefined, name: string): string {
  return zone ? `${project}/zones/${zone}/${name}` : `${project}/global/${name}`;
}
