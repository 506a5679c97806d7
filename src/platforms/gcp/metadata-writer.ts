/**
 * Read-modify-write of project or instance metadata without losing anyone's update.
 *
 * The Compute setters replace the whole item list and accept it only with the fingerprint of the
 * metadata they were computed from; a stale fingerprint is HTTP 412 `conditionNotMet` (or the
 * same message as the Operation's error). On that, the change is recomputed from a fresh read and
 * tried again with jittered exponential backoff, a bounded number of times. Inside one process,
 * writers to the same project or instance are queued, so they never race each other at all.
 */
import { PlatformError } from '../errors.js';
import type { MetadataItem } from './merge.js';

export type MetadataScope =
  | { kind: 'project'; project: string }
  | { kind: 'instance'; project: string; zone: string; instance: string };

export interface Metadata {
  fingerprint?: string | null;
  items?: MetadataItem[] | null;
}

export interface OperationError {
  code?: string | null;
  message?: string | null;
}

export interface Operation {
  name?: string | null;
  status?: string | null;
  error?: { errors?: OperationError[] | null } | null;
  httpErrorStatusCode?: number | null;
  httpErrorMessage?: string | null;
}

/** The three calls the writer needs; compute-client.ts implements them with @googleapis/compute. */
export interface MetadataApi {
  read(scope: MetadataScope): Promise<Metadata>;
  write(scope: MetadataScope, metadata: { fingerprint: string; items: MetadataItem[] }): Promise<Operation>;
  /** One `…/operations/NAME/wait` call (it may return before DONE). */
  waitOperation(scope: MetadataScope, name: string): Promise<Operation>;
}

export function describeScope(scope: MetadataScope): string {
  return scope.kind === 'project'
    ? `project ${scope.project}`
    : `instance ${scope.project}/${scope.zone}/${scope.instance}`;
}

/** The setter's IAM permission, for hints. */
export function setterPermission(scope: MetadataScope): string {
  return scope.kind === 'project'
    ? 'compute.projects.setCommonInstanceMetadata'
    : 'compute.instances.setMetadata';
}

// --- per-scope queue -------------------------------------------------------------------------

const queues = new Map<string, Promise<unknown>>();

function scopeKey(scope: MetadataScope): string {
  return scope.kind === 'project'
    ? `p/${scope.project}`
    : `i/${scope.project}/${scope.zone}/${scope.instance}`;
}

/** Runs `fn` after every earlier call for the same scope in this process has settled. */
export function withScopeLock<T>(scope: MetadataScope, fn: () => Promise<T>): Promise<T> {
  const key = scopeKey(scope);
  const prev = queues.get(key) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return run;
}

// --- conflicts -----------------------------------------------------------------------------

const FINGERPRINT_MESSAGES = [/supplied fingerprint does not match/i, /invalid fingerprint/i];

/** True for Compute's stale-fingerprint answer, whether as HTTP 412 or as an Operation error. */
export function isFingerprintConflict(err: unknown): boolean {
  if (err instanceof PlatformError) {
    if (err.status === 412) return true;
    return FINGERPRINT_MESSAGES.some((re) => re.test(err.platformMessage));
  }
  return false;
}

function operationConflict(op: Operation): boolean {
  if (op.httpErrorStatusCode === 412) return true;
  const errors = op.error?.errors ?? [];
  return errors.some(
    (e) => e.code === 'CONDITION_NOT_MET' || FINGERPRINT_MESSAGES.some((re) => re.test(e.message ?? '')),
  );
}

class RetryableConflict extends Error {}

// --- the writer ----------------------------------------------------------------------------

export interface WriterOptions {
  /** Attempts in all (reads + writes), default 8. */
  maxAttempts?: number;
  /** First backoff ceiling, default 100 ms; doubles each attempt up to `maxDelayMs`. */
  baseDelayMs?: number;
  /** Default 5000 ms. */
  maxDelayMs?: number;
  /** Calls to `…/wait` before giving up on an operation that never reaches DONE, default 60 (~2 h on real GCE). */
  maxWaits?: number;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** What `mutate` decides from the current items: new items to write, or undefined for "nothing to do". */
export interface Mutation<T> {
  items?: MetadataItem[];
  result: T;
}

export interface UpdateResult<T> {
  result: T;
  /** True when metadata was written. */
  written: boolean;
  attempts: number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Reads the metadata of `scope`, lets `mutate` compute the new item list from the current one,
 * writes it with the fingerprint it was computed from, and waits for the operation. On a
 * fingerprint conflict everything is recomputed from a fresh read. `mutate` must be pure: it may
 * run several times, and may throw (e.g. a size-limit error) to stop before anything is written.
 */
export async function updateMetadata<T>(
  api: MetadataApi,
  scope: MetadataScope,
  mutate: (items: MetadataItem[]) => Mutation<T>,
  options: WriterOptions = {},
): Promise<UpdateResult<T>> {
  const maxAttempts = options.maxAttempts ?? 8;
  const base = options.baseDelayMs ?? 100;
  const cap = options.maxDelayMs ?? 5000;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;

  return withScopeLock(scope, async () => {
    for (let attempt = 1; ; attempt++) {
      const current = await api.read(scope);
      const items = (current.items ?? []).map((i) => ({ ...i }));
      const change = mutate(items);
      if (change.items === undefined) return { result: change.result, written: false, attempts: attempt };
      try {
        const op = await api.write(scope, { fingerprint: current.fingerprint ?? '', items: change.items });
        await waitForOperation(api, scope, op, options.maxWaits ?? 60);
        return { result: change.result, written: true, attempts: attempt };
      } catch (err) {
        if (!(err instanceof RetryableConflict) && !isFingerprintConflict(err)) throw err;
        if (attempt >= maxAttempts) {
          throw new PlatformError({
            platform: 'gcp',
            status: 412,
            code: 'GCP_CONFLICT',
            platformMessage: `gave up changing the metadata of ${describeScope(scope)} after ${attempt} attempts: another writer changed it every time (fingerprint conflict, conditionNotMet)`,
            hint: "nothing was written and no one else's change was lost; run the command again, or find the process that rewrites this metadata in a loop",
          });
        }
        // Full jitter: a random wait below an exponentially growing ceiling spreads the retries of
        // writers that collided, so one of them wins the next round.
        const ceiling = Math.min(cap, base * 2 ** (attempt - 1));
        await sleep(Math.floor(random() * ceiling));
      }
    }
  });
}

/** Waits until the operation is DONE; a fingerprint failure becomes a retry, any other failure a PlatformError. */
async function waitForOperation(
  api: MetadataApi,
  scope: MetadataScope,
  first: Operation,
  maxWaits: number,
): Promise<void> {
  let op = first;
  for (let waits = 0; op.status !== 'DONE'; waits++) {
    if (!op.name) {
      throw new PlatformError({
        platform: 'gcp',
        platformMessage: 'the metadata setter returned an operation without a name',
      });
    }
    if (waits >= maxWaits) {
      throw new PlatformError({
        platform: 'gcp',
        code: 'GCP_OPERATION_TIMEOUT',
        platformMessage: `operation ${op.name} on ${describeScope(scope)} did not finish (status ${op.status ?? 'unknown'})`,
        hint: 'the change may still be applied; check with `keyfleet list` before trying again',
      });
    }
    op = await api.waitOperation(scope, op.name);
  }
  const errors = op.error?.errors ?? [];
  if (errors.length === 0 && !op.httpErrorStatusCode) return;
  if (operationConflict(op)) throw new RetryableConflict();
  const message =
    errors.map((e) => e.message ?? e.code ?? 'unknown error').join('; ') || op.httpErrorMessage || 'failed';
  throw new PlatformError({
    platform: 'gcp',
    ...(op.httpErrorStatusCode ? { status: op.httpErrorStatusCode } : {}),
    code: 'GCP_OPERATION_FAILED',
    platformMessage: `operation ${op.name ?? ''} changing the metadata of ${describeScope(scope)} failed: ${message}`,
    hint:
      op.httpErrorStatusCode === 403
        ? `the credentials lack ${setterPermission(scope)}`
        : 'nothing else was changed; check the operation in the Cloud console or with `gcloud compute operations describe`',
  });
}
