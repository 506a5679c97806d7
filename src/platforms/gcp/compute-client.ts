/**
 * The Compute Engine v1 calls keyfleet makes, through Google's official client
 * (`@googleapis/compute`): project and instance metadata, their setters, operation waits, and
 * the instance listing the warnings use. Every failure becomes a PlatformError (errors.ts).
 */
import { randomUUID } from 'node:crypto';
import type { compute_v1 } from '@googleapis/compute';
import type { GcpAuth } from './auth.js';
import { isMissingCredentials, missingCredentials } from './auth.js';
import { fromGaxios, type CallContext } from './errors.js';
import type { MetadataItem } from './merge.js';
import {
  describeScope,
  setterPermission,
  type Metadata,
  type MetadataApi,
  type MetadataScope,
  type Operation,
} from './metadata-writer.js';

export const DEFAULT_COMPUTE_URL = 'https://compute.googleapis.com/compute/v1';

/** An instance's name, zone and metadata, for the warnings about a project's VMs. */
export interface InstanceSummary {
  project: string;
  zone: string;
  name: string;
  metadata: Metadata;
}

function items(m: compute_v1.Schema$Metadata | undefined): Metadata {
  return {
    fingerprint: m?.fingerprint ?? null,
    items: (m?.items ?? []).map((i) =>
      i.value === undefined || i.value === null ? { key: i.key ?? '' } : { key: i.key ?? '', value: i.value },
    ),
  };
}

/**
 * The client's method paths already start with `/compute/v1/`; its per-call `rootUrl` is the
 * part before that (a computeUrl without that suffix keeps its own path as a prefix).
 */
export function rootUrlOf(computeUrl: string): string {
  const trimmed = computeUrl.replace(/\/+$/, '');
  const base = trimmed.endsWith('/compute/v1') ? trimmed.slice(0, -'/compute/v1'.length) : trimmed;
  return base + '/';
}

export class ComputeClient implements MetadataApi {
  private constructor(
    private readonly api: compute_v1.Compute,
    private readonly rootUrl: string,
  ) {}

  static async create(auth: GcpAuth, computeUrl: string = DEFAULT_COMPUTE_URL): Promise<ComputeClient> {
    const { compute } = await import('@googleapis/compute');
    return new ComputeClient(compute({ version: 'v1', auth: auth.client }), rootUrlOf(computeUrl));
  }

  private async call<T>(
    ctx: CallContext,
    fn: (opts: { rootUrl: string }) => Promise<{ data: T }>,
  ): Promise<T> {
    try {
      return (await fn({ rootUrl: this.rootUrl })).data;
    } catch (err) {
      if (isMissingCredentials(err)) throw missingCredentials(err);
      throw fromGaxios(err, ctx);
    }
  }

  async getProject(project: string): Promise<compute_v1.Schema$Project> {
    return this.call(
      { resource: `project ${project}`, permission: 'compute.projects.get', api: 'compute' },
      (o) => this.api.projects.get({ project }, o),
    );
  }

  async getInstance(project: string, zone: string, instance: string): Promise<compute_v1.Schema$Instance> {
    return this.call(
      {
        resource: `instance ${project}/${zone}/${instance}`,
        permission: 'compute.instances.get',
        api: 'compute',
      },
      (o) => this.api.instances.get({ project, zone, instance }, o),
    );
  }

  /** Every instance of the project with its metadata (aggregatedList, all pages). */
  async listInstances(project: string): Promise<InstanceSummary[]> {
    const out: InstanceSummary[] = [];
    let pageToken: string | undefined;
    do {
      const page: compute_v1.Schema$InstanceAggregatedList = await this.call(
        { resource: `project ${project}`, permission: 'compute.instances.list', api: 'compute' },
        (o) =>
          this.api.instances.aggregatedList(
            {
              project,
              ...(pageToken ? { pageToken } : {}),
              fields: 'items/*/instances(name,zone,metadata),nextPageToken',
            },
            o,
          ),
      );
      for (const scoped of Object.values(page.items ?? {})) {
        for (const i of scoped.instances ?? []) {
          out.push({
            project,
            zone: (i.zone ?? '').split('/').pop() ?? '',
            name: i.name ?? '',
            metadata: items(i.metadata),
          });
        }
      }
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    return out;
  }

  async read(scope: MetadataScope): Promise<Metadata> {
    if (scope.kind === 'project') return items((await this.getProject(scope.project)).commonInstanceMetadata);
    return items((await this.getInstance(scope.project, scope.zone, scope.instance)).metadata);
  }

  async write(
    scope: MetadataScope,
    metadata: { fingerprint: string; items: MetadataItem[] },
  ): Promise<Operation> {
    const ctx: CallContext = {
      resource: describeScope(scope),
      permission: setterPermission(scope),
      api: 'compute',
    };
    const requestBody: compute_v1.Schema$Metadata = {
      fingerprint: metadata.fingerprint,
      items: metadata.items.map((i) =>
        typeof i.value === 'string' ? { key: i.key, value: i.value } : { key: i.key },
      ),
    };
    // A fresh requestId per attempt: Compute de-duplicates a replayed request instead of applying it twice.
    const requestId = randomUUID();
    if (scope.kind === 'project') {
      return this.call(ctx, (o) =>
        this.api.projects.setCommonInstanceMetadata({ project: scope.project, requestId, requestBody }, o),
      );
    }
    return this.call(ctx, (o) =>
      this.api.instances.setMetadata(
        { project: scope.project, zone: scope.zone, instance: scope.instance, requestId, requestBody },
        o,
      ),
    );
  }

  async waitOperation(scope: MetadataScope, operation: string): Promise<Operation> {
    if (scope.kind === 'project') {
      return this.call(
        { resource: `operation ${operation}`, permission: 'compute.globalOperations.get', api: 'compute' },
        (o) => this.api.globalOperations.wait({ project: scope.project, operation }, o),
      );
    }
    return this.call(
      { resource: `operation ${operation}`, permission: 'compute.zoneOperations.get', api: 'compute' },
      (o) => this.api.zoneOperations.wait({ project: scope.project, zone: scope.zone, operation }, o),
    );
  }
}
