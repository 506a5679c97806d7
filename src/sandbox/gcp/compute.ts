import type { EmuRequest, EmuResponse, Router } from '../http.js';
import type { GcpEmulator } from './emulator.js';
import {
  computeForbidden,
  computeInvalid,
  computeNotFound,
  fingerprintMismatch,
  isResponse,
} from './errors.js';
import { parseListFilter } from './list-filter.js';
import { parseMetadataBody, renderMetadata } from './metadata.js';
import { operationKey, operationStatus, renderOperation } from './operations.js';
import type { InstanceState, MetadataState, OperationState, ProjectState } from './types.js';
import {
  googleTime,
  isValidRequestId,
  newFingerprint,
  numericId,
  operationName,
  parseFields,
  pickFields,
} from './util.js';

/**
 * Compute Engine v1: project and instance metadata with the fingerprint precondition, and the
 * global and zonal operations their setters return (API-CONTRACTS.md section 3).
 */

const ROOT = '/compute/v1/projects/:project';
const MAX_OPERATIONS = 5000;
/** Compute's cap and default for `maxResults`. */
const MAX_RESULTS = 500;
/**
 * Scopes every aggregated list names, besides the zones that hold instances: the real list names
 * every zone, with a NO_RESULTS_ON_PAGE warning for the empty ones, and clients must skip those.
 */
const LISTED_ZONES = ['europe-west4-a', 'us-central1-a', 'us-central1-b', 'us-central1-c', 'us-east1-b'];

/** Permissions a viewer lacks (403 with Compute's "Required '…' permission for '…'"). */
const WRITE_PERMISSION = {
  project: 'compute.projects.setCommonInstanceMetadata',
  instance: 'compute.instances.setMetadata',
  globalOpDelete: 'compute.globalOperations.delete',
  zoneOpDelete: 'compute.zoneOperations.delete',
} as const;

export function registerComputeRoutes(router: Router, emu: () => GcpEmulator): void {
  const withStatus = () => emu().knobs.computeErrorStatus;

  const project = (req: EmuRequest): ProjectState | EmuResponse => {
    const p = emu().state.projects[req.params['project']!];
    return p ?? computeNotFound(`projects/${req.params['project']}`, withStatus());
  };
  const instance = (req: EmuRequest): InstanceState | EmuResponse => {
    const {
      project: p,
      zone: z,
      instance: i,
    } = req.params as { project: string; zone: string; instance: string };
    return (
      emu().state.instances[`${p}/${z}/${i}`] ??
      computeNotFound(`projects/${p}/zones/${z}/instances/${i}`, withStatus())
    );
  };
  const respond = (req: EmuRequest, body: Record<string, unknown>): EmuResponse => {
    const fields = req.query.get('fields');
    if (!fields) return { status: 200, body };
    const tree = parseFields(fields);
    if (!tree) return computeInvalid(`Invalid field selection ${fields}`, withStatus(), 'invalidParameter');
    return { status: 200, body: pickFields(body, tree) };
  };

  router.add('GET', ROOT, (req) => {
    const p = project(req);
    return isResponse(p) ? p : respond(req, renderProject(emu(), p));
  });

  router.add('POST', `${ROOT}/setCommonInstanceMetadata`, (req) => {
    const p = project(req);
    if (isResponse(p)) return p;
    return setMetadata(emu(), req, {
      target: p,
      permission: WRITE_PERMISSION.project,
      resourcePath: `projects/${p.name}`,
      project: p.name,
      targetId: p.id,
    });
  });

  router.add('GET', `${ROOT}/zones/:zone/instances/:instance`, (req) => {
    const i = instance(req);
    return isResponse(i) ? i : respond(req, renderInstance(emu(), i));
  });

  // instances.aggregatedList: any token that can read the project may list (compute.instances.list).
  router.add('GET', `${ROOT}/aggregated/instances`, (req) => {
    const p = project(req);
    if (isResponse(p)) return p;
    const listed = aggregatedInstances(emu(), p, req.query);
    return isResponse(listed) ? listed : respond(req, listed);
  });

  router.add('POST', `${ROOT}/zones/:zone/instances/:instance/setMetadata`, (req) => {
    const i = instance(req);
    if (isResponse(i)) return i;
    return setMetadata(emu(), req, {
      target: i,
      permission: WRITE_PERMISSION.instance,
      resourcePath: `projects/${i.project}/zones/${i.zone}/instances/${i.name}`,
      project: i.project,
      zone: i.zone,
      targetId: i.id,
    });
  });

  // Operations: global and zonal, GET / wait / DELETE.
  for (const scope of ['global', 'zones/:zone'] as const) {
    const base = `${ROOT}/${scope}/operations/:operation`;
    const find = (req: EmuRequest): OperationState | EmuResponse => {
      const {
        project: p,
        zone,
        operation,
      } = req.params as { project: string; zone?: string; operation: string };
      const path = zone
        ? `projects/${p}/zones/${zone}/operations/${operation}`
        : `projects/${p}/global/operations/${operation}`;
      return emu().state.operations[operationKey(p, zone, operation)] ?? computeNotFound(path, withStatus());
    };
    router.add('GET', base, (req) => {
      const op = find(req);
      return isResponse(op)
        ? op
        : respond(
            req,
            renderOperation(op, (l) => emu().link(l), Date.now()),
          );
    });
    router.add('POST', `${base}/wait`, async (req) => {
      let op = find(req);
      if (isResponse(op)) return op;
      // Like the real wait: block until DONE or the deadline, whichever comes first.
      const deadline = Date.now() + emu().knobs.waitDeadlineMs;
      const { signal } = emu().closing;
      while (operationStatus(op, Date.now()) !== 'DONE' && Date.now() < deadline && !signal.aborted) {
        await sleep(Math.max(1, Math.min(op.doneAt, deadline) - Date.now()), signal);
        const again = find(req);
        if (isResponse(again)) return again;
        op = again;
      }
      return respond(
        req,
        renderOperation(op, (l) => emu().link(l), Date.now()),
      );
    });
    router.add('DELETE', base, (req) => {
      const op = find(req);
      if (isResponse(op)) return op;
      if (emu().caller(req).role !== 'owner') {
        const zone = req.params['zone'];
        return computeForbidden(
          zone ? WRITE_PERMISSION.zoneOpDelete : WRITE_PERMISSION.globalOpDelete,
          zone
            ? `projects/${op.project}/zones/${zone}/operations/${op.name}`
            : `projects/${op.project}/global/operations/${op.name}`,
          withStatus(),
        );
      }
      delete emu().state.operations[operationKey(op.project, op.zone, op.name)];
      return { status: 204 };
    });
  }
}

/** Resolves after `ms`, or at once when the emulator closes. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

interface SetterTarget {
  target: { metadata: MetadataState; fingerprint?: string };
  permission: string;
  resourcePath: string;
  project: string;
  zone?: string;
  targetId: string;
}

/**
 * The shared semantics of setCommonInstanceMetadata and instances.setMetadata: permission,
 * idempotent `requestId`, body limits, the fingerprint precondition, then a whole-list replace
 * and an operation. Checks and the write run without an await, so concurrent writers are
 * serialized exactly as the fingerprint says.
 */
function setMetadata(emu: GcpEmulator, req: EmuRequest, t: SetterTarget): EmuResponse {
  const { knobs, state } = emu;
  const withStatus = knobs.computeErrorStatus;
  const caller = emu.caller(req);
  if (caller.role !== 'owner') return computeForbidden(t.permission, t.resourcePath, withStatus);

  const requestId = req.query.get('requestId') ?? undefined;
  if (requestId !== undefined) {
    if (!isValidRequestId(requestId)) {
      return computeInvalid(
        `Invalid value for field 'requestId': '${requestId}'. The request ID must be a valid UUID with the exception that zero UUID is not supported (00000000-0000-0000-0000-000000000000).`,
        withStatus,
      );
    }
    const previous = state.requestIds[`${t.project}|${requestId}`];
    const op = previous ? state.operations[previous] : undefined;
    if (op) return { status: 200, body: renderOperation(op, (l) => emu.link(l), Date.now()) };
  }

  const parsed = parseMetadataBody(req.body, knobs);
  if (!parsed.ok) return computeInvalid(parsed.message, withStatus, parsed.reason);

  if (knobs.preconditionEnabled) {
    const stale =
      parsed.fingerprint === undefined
        ? knobs.requireFingerprint
        : parsed.fingerprint !== t.target.metadata.fingerprint;
    if (stale) return fingerprintMismatch(withStatus);
  }

  const now = Date.now();
  const op: OperationState = {
    name: operationName(now),
    id: numericId(19),
    project: t.project,
    operationType: 'setMetadata',
    targetPath: t.resourcePath,
    targetId: t.targetId,
    user: caller.principal,
    insertTime: now,
    doneAt: now + Math.max(0, knobs.operationDelayMs),
  };
  if (t.zone) op.zone = t.zone;
  if (requestId !== undefined) op.clientOperationId = requestId;

  if (knobs.failNextOperations > 0) {
    // The asynchronous form of the precondition failure (API-CONTRACTS.md 3.2): nothing changes.
    knobs.failNextOperations--;
    op.failed = true;
  } else {
    t.target.metadata = { fingerprint: newFingerprint(), items: parsed.items };
    if (t.target.fingerprint !== undefined) t.target.fingerprint = newFingerprint();
  }

  const key = operationKey(op.project, op.zone, op.name);
  state.operations[key] = op;
  if (requestId !== undefined) state.requestIds[`${t.project}|${requestId}`] = key;
  pruneOperations(emu);
  return { status: 200, body: renderOperation(op, (l) => emu.link(l), now) };
}

/** Bounds memory and the state file: the oldest finished operations go first. */
function pruneOperations(emu: GcpEmulator): void {
  const ops = emu.state.operations;
  const keys = Object.keys(ops);
  if (keys.length <= MAX_OPERATIONS) return;
  const now = Date.now();
  let excess = keys.length - Math.floor(MAX_OPERATIONS * 0.8);
  const dropped = new Set<string>();
  for (const k of keys) {
    if (excess <= 0) break;
    if (now >= ops[k]!.doneAt) {
      delete ops[k];
      dropped.add(k);
      excess--;
    }
  }
  for (const [rid, k] of Object.entries(emu.state.requestIds))
    if (dropped.has(k)) delete emu.state.requestIds[rid];
}

/**
 * One page of `instances.aggregatedList`: the project's instances that pass `filter`, ordered by
 * zone and name, `maxResults` at a time; the page token is the offset of the next page.
 */
function aggregatedInstances(
  emu: GcpEmulator,
  p: ProjectState,
  query: URLSearchParams,
): Record<string, unknown> | EmuResponse {
  const withStatus = emu.knobs.computeErrorStatus;
  const invalid = (field: string, value: string, why: string) =>
    computeInvalid(`Invalid value for field '${field}': '${value}'. ${why}`, withStatus);

  const filterText = query.get('filter')?.trim() ?? '';
  const filter = filterText ? parseListFilter(filterText) : () => true;
  if (!filter) return invalid('filter', filterText, 'Invalid list filter expression.');

  const maxText = query.get('maxResults');
  const max = maxText === null ? MAX_RESULTS : Number(maxText);
  if (!/^\d+$/.test(maxText ?? '0') || max > MAX_RESULTS) {
    return invalid('maxResults', maxText ?? '', `Must be an integer from 0 to ${MAX_RESULTS}.`);
  }
  // proto3 cannot tell 0 from unset: 0 means the default, as in Compute.
  const pageSize = max === 0 ? MAX_RESULTS : max;

  const tokenText = query.get('pageToken');
  const offset = tokenText ? decodePageToken(tokenText) : 0;
  if (offset === undefined) return invalid('pageToken', tokenText ?? '', 'Invalid page token.');

  const all = Object.values(emu.state.instances)
    .filter((i) => i.project === p.name)
    .sort((a, b) => (a.zone === b.zone ? cmp(a.name, b.name) : cmp(a.zone, b.zone)));
  const matching = all
    .map((i) => ({ zone: i.zone, json: renderInstance(emu, i) }))
    .filter((i) => filter(i.json));
  const page = matching.slice(offset, offset + pageSize);

  const byZone = new Map<string, unknown[]>();
  for (const i of page) byZone.set(i.zone, [...(byZone.get(i.zone) ?? []), i.json]);
  const items: Record<string, unknown> = {};
  for (const z of [...new Set([...LISTED_ZONES, ...all.map((i) => i.zone)])].sort()) {
    const zone = `zones/${z}`;
    const instances = byZone.get(z);
    items[zone] = instances
      ? { instances }
      : {
          warning: {
            code: 'NO_RESULTS_ON_PAGE',
            message: `There are no results for scope '${zone}' on this page.`,
            data: [{ key: 'scope', value: zone }],
          },
        };
  }
  const next = offset + pageSize;
  return {
    kind: 'compute#instanceAggregatedList',
    id: `projects/${p.name}/aggregated/instances`,
    items,
    ...(next < matching.length ? { nextPageToken: encodePageToken(next) } : {}),
    selfLink: emu.link(`projects/${p.name}/aggregated/instances`),
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Opaque to clients, like Compute's; here just the offset of the next page. */
function encodePageToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function decodePageToken(token: string): number | undefined {
  const m = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
  return m ? Number(m[1]) : undefined;
}

function renderProject(emu: GcpEmulator, p: ProjectState): Record<string, unknown> {
  return {
    kind: 'compute#project',
    id: p.id,
    creationTimestamp: googleTime(p.created),
    name: p.name,
    commonInstanceMetadata: renderMetadata(p.metadata),
    quotas: [
      { metric: 'SNAPSHOTS', limit: 5000, usage: 0 },
      { metric: 'NETWORKS', limit: 15, usage: 1 },
    ],
    selfLink: emu.link(`projects/${p.name}`),
    defaultServiceAccount: `${p.id}-compute@developer.gserviceaccount.com`,
    xpnProjectStatus: 'UNSPECIFIED_XPN_PROJECT_STATUS',
    defaultNetworkTier: 'PREMIUM',
    vmDnsSetting: 'ZONAL_ONLY',
  };
}

function renderInstance(emu: GcpEmulator, i: InstanceState): Record<string, unknown> {
  const zonePath = `projects/${i.project}/zones/${i.zone}`;
  return {
    kind: 'compute#instance',
    id: i.id,
    creationTimestamp: googleTime(i.created),
    name: i.name,
    tags: { fingerprint: '42WmSpB8rSM=' },
    machineType: emu.link(`${zonePath}/machineTypes/${i.machineType}`),
    status: 'RUNNING',
    zone: emu.link(zonePath),
    canIpForward: false,
    networkInterfaces: [
      {
        kind: 'compute#networkInterface',
        network: emu.link(`projects/${i.project}/global/networks/default`),
        networkIP: i.networkIP,
        name: 'nic0',
        stackType: 'IPV4_ONLY',
      },
    ],
    disks: [],
    metadata: renderMetadata(i.metadata),
    selfLink: emu.link(`${zonePath}/instances/${i.name}`),
    labelFingerprint: '42WmSpB8rSM=',
    startRestricted: false,
    deletionProtection: false,
    fingerprint: i.fingerprint,
    lastStartTimestamp: googleTime(i.created),
  };
}
