import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { compute_v1 } from '@googleapis/compute';
import type { GcpEmulator } from '../../../src/sandbox/gcp/index.js';
import { call, computeClient, computeClientWithToken, fresh, gaxiosError } from './helpers.js';

const MISMATCH = 'Supplied fingerprint does not match current metadata fingerprint.';
const FINGERPRINT_RE = /^[A-Za-z0-9_-]{11}=$/;
const RFC3339_OFFSET_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/;

let emu: GcpEmulator;
beforeEach(async () => {
  emu = await fresh();
});
afterEach(async () => {
  await emu.close();
});

describe('Compute v1 through the official @googleapis/compute client', () => {
  it('projects.get returns the seeded project with its commonInstanceMetadata', async () => {
    const c = computeClient(emu);
    const { data, config } = await c.projects.get({ project: 'ml-prod' });
    expect(String(config.url)).toBe(`${emu.server.url}/compute/v1/projects/ml-prod`);
    expect(data.kind).toBe('compute#project');
    expect(data.name).toBe('ml-prod');
    expect(data.id).toMatch(/^\d{12}$/);
    expect(data.selfLink).toBe(`${emu.computeUrl}/projects/ml-prod`);
    expect(data.creationTimestamp).toMatch(RFC3339_OFFSET_RE);
    const md = data.commonInstanceMetadata!;
    expect(md.kind).toBe('compute#metadata');
    expect(md.fingerprint).toMatch(FINGERPRINT_RE);
    expect(md.items!.map((i) => i.key)).toEqual([
      'ssh-keys',
      'startup-script',
      'enable-guest-attributes',
      'enable-oslogin',
    ]);
    expect(md).toEqual(emu.getProjectMetadata('ml-prod'));
  });

  it('setCommonInstanceMetadata replaces the whole item list, changes the fingerprint and returns a global operation', async () => {
    const c = computeClient(emu);
    const before = (await c.projects.get({ project: 'ml-prod' })).data.commonInstanceMetadata!;
    const { data: op } = await c.projects.setCommonInstanceMetadata({
      project: 'ml-prod',
      requestBody: { fingerprint: before.fingerprint!, items: [{ key: 'only', value: 'this' }] },
    });
    expect(op.kind).toBe('compute#operation');
    expect(op.operationType).toBe('setMetadata');
    expect(op.targetLink).toBe(`${emu.computeUrl}/projects/ml-prod`);
    expect(op.name).toMatch(/^operation-\d{13}-[0-9a-f]{13}-[0-9a-f]{8}-[0-9a-f]{8}$/);
    expect(op.selfLink).toBe(`${emu.computeUrl}/projects/ml-prod/global/operations/${op.name}`);
    expect(op.user).toBe('sandbox-owner@example.com');
    expect(op.insertTime).toMatch(RFC3339_OFFSET_RE);
    expect(op.zone).toBeUndefined();

    const { data: done } = await c.globalOperations.wait({ project: 'ml-prod', operation: op.name! });
    expect(done.status).toBe('DONE');
    expect(done.progress).toBe(100);
    expect(done.error).toBeUndefined();
    expect(done.endTime).toMatch(RFC3339_OFFSET_RE);
    const { data: got } = await c.globalOperations.get({ project: 'ml-prod', operation: op.name! });
    expect(got.id).toBe(op.id);

    const after = (await c.projects.get({ project: 'ml-prod' })).data.commonInstanceMetadata!;
    expect(after.items).toEqual([{ key: 'only', value: 'this' }]);
    expect(after.fingerprint).toMatch(FINGERPRINT_RE);
    expect(after.fingerprint).not.toBe(before.fingerprint);
  });

  it('an operation is PENDING/RUNNING until its delay has passed, and wait returns it DONE', async () => {
    emu.setKnobs({ operationDelayMs: 200 });
    const c = computeClient(emu);
    const fp = emu.getProjectMetadata('ml-prod')!.fingerprint;
    const { data: op } = await c.projects.setCommonInstanceMetadata({
      project: 'ml-prod',
      requestBody: { fingerprint: fp },
    });
    expect(['PENDING', 'RUNNING']).toContain(op.status);
    expect(op.progress).toBe(0);
    // The change is visible at once: the fingerprint moved with the request, not with the operation.
    expect(emu.getProjectMetadata('ml-prod')!.fingerprint).not.toBe(fp);
    const { data: done } = await c.globalOperations.wait({ project: 'ml-prod', operation: op.name! });
    expect(done.status).toBe('DONE');
  });

  it('wait answers a not-yet-DONE operation when its deadline passes first', async () => {
    emu.setKnobs({ operationDelayMs: 60_000, waitDeadlineMs: 20 });
    const c = computeClient(emu);
    const fp = emu.getProjectMetadata('ml-prod')!.fingerprint;
    const { data: op } = await c.projects.setCommonInstanceMetadata({
      project: 'ml-prod',
      requestBody: { fingerprint: fp },
    });
    const { data: waited } = await c.globalOperations.wait({ project: 'ml-prod', operation: op.name! });
    expect(waited.status).not.toBe('DONE');
    expect(waited.name).toBe(op.name);
  });

  it('a stale fingerprint is rejected with 412 conditionNotMet and changes nothing', async () => {
    const c = computeClient(emu);
    const before = emu.getProjectMetadata('ml-prod')!;
    const err = await gaxiosError(
      c.projects.setCommonInstanceMetadata({
        project: 'ml-prod',
        requestBody: { fingerprint: 'AAAAAAAAAAA=', items: [{ key: 'x', value: 'y' }] },
      }),
    );
    expect(err.code).toBe(412);
    expect(err.status).toBe(412);
    expect((err.cause as { errors: { reason: string }[] }).errors[0]!.reason).toBe('conditionNotMet');
    expect(err.response.data).toEqual({
      error: {
        code: 412,
        message: MISMATCH,
        errors: [
          {
            message: MISMATCH,
            domain: 'global',
            reason: 'conditionNotMet',
            location: 'If-Match',
            locationType: 'header',
          },
        ],
      },
    });
    expect(emu.getProjectMetadata('ml-prod')).toEqual(before);
  });

  it('a fingerprint that was current before another write is stale afterwards', async () => {
    const c = computeClient(emu);
    const fp = emu.getProjectMetadata('ml-prod')!.fingerprint;
    await c.projects.setCommonInstanceMetadata({
      project: 'ml-prod',
      requestBody: { fingerprint: fp, items: [{ key: 'a', value: '1' }] },
    });
    const err = await gaxiosError(
      c.projects.setCommonInstanceMetadata({
        project: 'ml-prod',
        requestBody: { fingerprint: fp, items: [{ key: 'b', value: '2' }] },
      }),
    );
    expect(err.response.status).toBe(412);
    expect(emu.getProjectMetadata('ml-prod')!.items).toEqual([{ key: 'a', value: '1' }]);
  });

  it('an omitted fingerprint is rejected by default (requireFingerprint) and accepted when the knob is off', async () => {
    const c = computeClient(emu);
    const err = await gaxiosError(
      c.projects.setCommonInstanceMetadata({ project: 'ml-prod', requestBody: { items: [] } }),
    );
    expect(err.response.status).toBe(412);
    expect(err.response.data.error.errors[0].reason).toBe('conditionNotMet');
    expect(emu.getProjectMetadata('ml-prod')!.items).toHaveLength(4);

    emu.setKnobs({ requireFingerprint: false });
    await c.projects.setCommonInstanceMetadata({
      project: 'ml-prod',
      requestBody: { items: [{ key: 'k', value: 'v' }] },
    });
    expect(emu.getProjectMetadata('ml-prod')!.items).toEqual([{ key: 'k', value: 'v' }]);
  });

  it('a replayed requestId returns the same operation and applies the change once', async () => {
    const c = computeClient(emu);
    const requestId = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
    const fp = emu.getProjectMetadata('ml-prod')!.fingerprint;
    const body = { fingerprint: fp, items: [{ key: 'once', value: '1' }] };
    const { data: first } = await c.projects.setCommonInstanceMetadata({
      project: 'ml-prod',
      requestId,
      requestBody: body,
    });
    const after = emu.getProjectMetadata('ml-prod')!;
    // The retry carries the now-stale fingerprint: a replay is answered from the first request, not re-checked.
    const { data: second } = await c.projects.setCommonInstanceMetadata({
      project: 'ml-prod',
      requestId,
      requestBody: body,
    });
    expect(second.name).toBe(first.name);
    expect(second.id).toBe(first.id);
    expect(first.clientOperationId).toBe(requestId);
    expect(emu.getProjectMetadata('ml-prod')).toEqual(after);

    const bad = await gaxiosError(
      c.projects.setCommonInstanceMetadata({
        project: 'ml-prod',
        requestId: 'not-a-uuid',
        requestBody: body,
      }),
    );
    expect(bad.response.status).toBe(400);
    expect(bad.response.data.error.message).toContain("Invalid value for field 'requestId'");
  });

  it('instances.get returns the instance with its own metadata; locked-1 blocks project keys', async () => {
    const c = computeClient(emu);
    const { data } = await c.instances.get({
      project: 'ml-prod',
      zone: 'us-central1-a',
      instance: 'trainer-1',
    });
    expect(data.kind).toBe('compute#instance');
    expect(data.name).toBe('trainer-1');
    expect(data.status).toBe('RUNNING');
    expect(data.id).toMatch(/^\d+$/);
    expect(data.zone).toBe(`${emu.computeUrl}/projects/ml-prod/zones/us-central1-a`);
    expect(data.selfLink).toBe(`${emu.computeUrl}/projects/ml-prod/zones/us-central1-a/instances/trainer-1`);
    expect(data.metadata!.fingerprint).toMatch(FINGERPRINT_RE);
    expect(data.metadata!.items!.find((i) => i.key === 'ssh-keys')!.value).toMatch(
      /^trainer:ssh-ed25519 AAAA/,
    );

    const locked = await c.instances.get({ project: 'ml-prod', zone: 'us-central1-a', instance: 'locked-1' });
    expect(locked.data.metadata!.items).toContainEqual({ key: 'block-project-ssh-keys', value: 'TRUE' });
  });

  describe('instances.aggregatedList', () => {
    const names = (data: compute_v1.Schema$InstanceAggregatedList) =>
      Object.values(data.items ?? {}).flatMap((s) => (s.instances ?? []).map((i) => i.name));

    it('lists every instance of the project by zone; empty zones carry NO_RESULTS_ON_PAGE (viewer token)', async () => {
      const c = computeClient(emu, 'viewer');
      const { data, config } = await c.instances.aggregatedList({ project: 'ml-prod' });
      expect(String(config.url)).toBe(`${emu.server.url}/compute/v1/projects/ml-prod/aggregated/instances`);
      expect(data.kind).toBe('compute#instanceAggregatedList');
      expect(data.id).toBe('projects/ml-prod/aggregated/instances');
      expect(data.selfLink).toBe(`${emu.computeUrl}/projects/ml-prod/aggregated/instances`);
      expect(data.nextPageToken).toBeUndefined();
      const zone = data.items!['zones/us-central1-a']!;
      expect(zone.warning).toBeUndefined();
      expect(zone.instances!.map((i) => i.name)).toEqual(['locked-1', 'trainer-1']);
      // Each entry is the same Instance that instances.get returns.
      const { data: locked } = await c.instances.get({
        project: 'ml-prod',
        zone: 'us-central1-a',
        instance: 'locked-1',
      });
      expect(zone.instances![0]).toEqual(locked);
      // Instances of other projects are not listed.
      expect(names(data)).toEqual(['locked-1', 'trainer-1']);
      expect(data.items!['zones/us-central1-b']).toEqual({
        warning: {
          code: 'NO_RESULTS_ON_PAGE',
          message: "There are no results for scope 'zones/us-central1-b' on this page.",
          data: [{ key: 'scope', value: 'zones/us-central1-b' }],
        },
      });
      const other = await c.instances.aggregatedList({ project: 'ml-oslogin' });
      expect(names(other.data)).toEqual(['oslogin-1']);
    });

    it('answers the partial response keyfleet asks for (items/*/instances(name,zone,metadata))', async () => {
      const c = computeClient(emu);
      const { data } = await c.instances.aggregatedList({
        project: 'ml-prod',
        fields: 'items/*/instances(name,zone,metadata),nextPageToken',
      });
      expect(data.kind).toBeUndefined();
      const zone = data.items!['zones/us-central1-a']!;
      expect(zone.instances).toEqual([
        {
          name: 'locked-1',
          zone: `${emu.computeUrl}/projects/ml-prod/zones/us-central1-a`,
          metadata: emu.getInstanceMetadata('ml-prod', 'us-central1-a', 'locked-1'),
        },
        {
          name: 'trainer-1',
          zone: `${emu.computeUrl}/projects/ml-prod/zones/us-central1-a`,
          metadata: emu.getInstanceMetadata('ml-prod', 'us-central1-a', 'trainer-1'),
        },
      ]);
      expect(data.items!['zones/us-central1-b']).toEqual({});
    });

    it('filter: comparisons, AND/OR/NOT, has (:) with wildcards, eq regular expressions, nested fields', async () => {
      const c = computeClient(emu);
      const list = async (filter: string) =>
        names((await c.instances.aggregatedList({ project: 'ml-prod', filter })).data);
      expect(await list('name = locked-1')).toEqual(['locked-1']);
      expect(await list('name != "locked-1"')).toEqual(['trainer-1']);
      expect(await list('name:train*')).toEqual(['trainer-1']);
      expect(await list("name eq 'lock.*'")).toEqual(['locked-1']);
      expect(await list("name ne 'lock.*'")).toEqual(['trainer-1']);
      expect(await list('(status = RUNNING) (name = trainer-1)')).toEqual(['trainer-1']);
      expect(await list('name = locked-1 OR name = trainer-1')).toEqual(['locked-1', 'trainer-1']);
      expect(await list('status = RUNNING AND NOT name = trainer-1')).toEqual(['locked-1']);
      // OR binds tighter than AND (Google's filter grammar): locked-1 AND (locked-1 OR trainer-1).
      expect(await list('name = locked-1 AND name = locked-1 OR name = trainer-1')).toEqual(['locked-1']);
      expect(await list('zone = us-central1-a')).toEqual(['locked-1', 'trainer-1']);
      expect(await list('metadata.items.key = block-project-ssh-keys')).toEqual(['locked-1']);
      expect(await list('deletionProtection = false')).toEqual(['locked-1', 'trainer-1']);
      expect(await list('name = nothing-here')).toEqual([]);

      for (const bad of ['name =', 'name = a OR', '(name = a', 'name ! a', 'name eq "("']) {
        const err = await gaxiosError(c.instances.aggregatedList({ project: 'ml-prod', filter: bad }));
        expect(err.response.status).toBe(400);
        expect(err.response.data.error.errors[0].reason).toBe('invalid');
        expect(err.response.data.error.message).toBe(
          `Invalid value for field 'filter': '${bad}'. Invalid list filter expression.`,
        );
      }
    });

    it('pages with maxResults and pageToken until nextPageToken is absent', async () => {
      for (const name of ['a-1', 'b-2', 'c-3']) {
        emu.state.instances[`ml-prod/europe-west4-a/${name}`] = {
          ...structuredClone(emu.state.instances['ml-prod/us-central1-a/trainer-1']!),
          zone: 'europe-west4-a',
          name,
        };
      }
      const c = computeClient(emu, 'viewer');
      const pages: (string | null | undefined)[][] = [];
      let pageToken: string | undefined;
      do {
        const { data } = await c.instances.aggregatedList({
          project: 'ml-prod',
          maxResults: 2,
          ...(pageToken ? { pageToken } : {}),
        });
        pages.push(names(data));
        // Every page names every zone; those without results on it carry the warning.
        expect(data.items!['zones/us-east1-b']!.warning!.code).toBe('NO_RESULTS_ON_PAGE');
        pageToken = data.nextPageToken ?? undefined;
      } while (pageToken && pages.length < 10);
      expect(pages).toEqual([['a-1', 'b-2'], ['c-3', 'locked-1'], ['trainer-1']]);

      const filtered = await c.instances.aggregatedList({
        project: 'ml-prod',
        filter: 'name:*-*',
        maxResults: 4,
      });
      expect(names(filtered.data)).toEqual(['a-1', 'b-2', 'c-3', 'locked-1']);
      expect(filtered.data.nextPageToken).toBeTruthy();

      for (const [params, field] of [
        [{ maxResults: 501 }, 'maxResults'],
        [{ pageToken: 'not-a-token' }, 'pageToken'],
      ] as const) {
        const err = await gaxiosError(c.instances.aggregatedList({ project: 'ml-prod', ...params }));
        expect(err.response.status).toBe(400);
        expect(err.response.data.error.message).toContain(`Invalid value for field '${field}'`);
      }
    });

    it('an unknown project is 404 notFound', async () => {
      const err = await gaxiosError(
        computeClient(emu).instances.aggregatedList({ project: 'no-such-project' }),
      );
      expect(err.response.status).toBe(404);
      expect(err.response.data.error.errors[0].reason).toBe('notFound');
      expect(err.response.data.error.message).toBe("The resource 'projects/no-such-project' was not found");
    });
  });

  it('instances.setMetadata applies with the current fingerprint, returns a zonal operation, and 412s when stale', async () => {
    const c = computeClient(emu);
    const where = { project: 'ml-prod', zone: 'us-central1-a', instance: 'trainer-1' };
    const before = (await c.instances.get(where)).data;
    const { data: op } = await c.instances.setMetadata({
      ...where,
      requestBody: { fingerprint: before.metadata!.fingerprint!, items: [{ key: 'ssh-keys', value: 'x:y' }] },
    });
    expect(op.operationType).toBe('setMetadata');
    expect(op.zone).toBe(`${emu.computeUrl}/projects/ml-prod/zones/us-central1-a`);
    expect(op.targetLink).toBe(before.selfLink);
    expect(op.targetId).toBe(before.id);
    expect(op.selfLink).toBe(`${emu.computeUrl}/projects/ml-prod/zones/us-central1-a/operations/${op.name}`);
    const { data: done } = await c.zoneOperations.wait({
      project: 'ml-prod',
      zone: 'us-central1-a',
      operation: op.name!,
    });
    expect(done.status).toBe('DONE');
    const after = (await c.instances.get(where)).data;
    expect(after.metadata!.items).toEqual([{ key: 'ssh-keys', value: 'x:y' }]);
    expect(after.metadata!.fingerprint).not.toBe(before.metadata!.fingerprint);
    expect(after.fingerprint).not.toBe(before.fingerprint);
    // A zonal operation is not a global one.
    expect(
      (await gaxiosError(c.globalOperations.get({ project: 'ml-prod', operation: op.name! }))).response
        .status,
    ).toBe(404);

    const err = await gaxiosError(
      c.instances.setMetadata({
        ...where,
        requestBody: { fingerprint: before.metadata!.fingerprint!, items: [] },
      }),
    );
    expect(err.response.status).toBe(412);
    expect(err.response.data.error.errors[0].reason).toBe('conditionNotMet');
    expect(emu.getInstanceMetadata('ml-prod', 'us-central1-a', 'trainer-1')!.items).toEqual([
      { key: 'ssh-keys', value: 'x:y' },
    ]);
  });

  describe('limits (400, nothing written)', () => {
    const cases: [string, () => { key: string; value?: string }[]][] = [
      ['a value over 262144 bytes', () => [{ key: 'big', value: 'x'.repeat(262145) }]],
      [
        'a total over 512 KiB',
        () => [
          { key: 'a', value: 'x'.repeat(262144) },
          { key: 'b', value: 'x'.repeat(262144) },
        ],
      ],
      ['a key with a space', () => [{ key: 'bad key', value: 'v' }]],
      ['a key with a dot', () => [{ key: 'bad.key', value: 'v' }]],
      ['a key of 128 bytes', () => [{ key: 'k'.repeat(128), value: 'v' }]],
      [
        'a duplicate key',
        () => [
          { key: 'dup', value: '1' },
          { key: 'dup', value: '2' },
        ],
      ],
      ['an item without key', () => [{ value: 'v' } as { key: string; value: string }]],
    ];
    for (const [name, items] of cases) {
      it(`rejects ${name}`, async () => {
        const c = computeClient(emu);
        const before = emu.getProjectMetadata('ml-prod')!;
        const err = await gaxiosError(
          c.projects.setCommonInstanceMetadata({
            project: 'ml-prod',
            requestBody: { fingerprint: before.fingerprint, items: items() },
          }),
        );
        expect(err.response.status).toBe(400);
        expect(err.response.data.error.code).toBe(400);
        expect(err.response.data.error.errors[0].domain).toBe('global');
        expect(['invalid', 'required']).toContain(err.response.data.error.errors[0].reason);
        expect(emu.getProjectMetadata('ml-prod')).toEqual(before);
      });
    }

    it('accepts the boundaries: a 262144-byte value and a 127-byte key', async () => {
      const c = computeClient(emu);
      const fp = emu.getProjectMetadata('ml-prod')!.fingerprint;
      const items = [
        { key: 'big', value: 'x'.repeat(262144) },
        { key: 'k'.repeat(127), value: 'v' },
      ];
      await c.projects.setCommonInstanceMetadata({
        project: 'ml-prod',
        requestBody: { fingerprint: fp, items },
      });
      expect(emu.getProjectMetadata('ml-prod')!.items).toEqual(items);
    });
  });

  it('a viewer token reads but gets 403 forbidden on every setter', async () => {
    const c = computeClient(emu, 'viewer');
    const fp = (await c.projects.get({ project: 'ml-prod' })).data.commonInstanceMetadata!.fingerprint!;
    const err = await gaxiosError(
      c.projects.setCommonInstanceMetadata({ project: 'ml-prod', requestBody: { fingerprint: fp } }),
    );
    expect(err.response.status).toBe(403);
    expect(err.response.data.error.errors[0].reason).toBe('forbidden');
    expect(err.response.data.error.message).toBe(
      "Required 'compute.projects.setCommonInstanceMetadata' permission for 'projects/ml-prod'",
    );
    const where = { project: 'ml-prod', zone: 'us-central1-a', instance: 'trainer-1' };
    const ifp = (await c.instances.get(where)).data.metadata!.fingerprint!;
    const err2 = await gaxiosError(c.instances.setMetadata({ ...where, requestBody: { fingerprint: ifp } }));
    expect(err2.response.status).toBe(403);
    expect(err2.response.data.error.message).toBe(
      "Required 'compute.instances.setMetadata' permission for 'projects/ml-prod/zones/us-central1-a/instances/trainer-1'",
    );
    expect(emu.getProjectMetadata('ml-prod')!.fingerprint).toBe(fp);
  });

  it('unknown projects, instances and operations are 404 notFound with the resource path', async () => {
    const c = computeClient(emu);
    const p = await gaxiosError(c.projects.get({ project: 'no-such-project' }));
    expect(p.response.status).toBe(404);
    expect(p.response.data).toEqual({
      error: {
        code: 404,
        message: "The resource 'projects/no-such-project' was not found",
        errors: [
          {
            message: "The resource 'projects/no-such-project' was not found",
            domain: 'global',
            reason: 'notFound',
          },
        ],
      },
    });
    const i = await gaxiosError(
      c.instances.get({ project: 'ml-prod', zone: 'us-central1-a', instance: 'ghost' }),
    );
    expect(i.response.data.error.message).toBe(
      "The resource 'projects/ml-prod/zones/us-central1-a/instances/ghost' was not found",
    );
    const s = await gaxiosError(
      c.projects.setCommonInstanceMetadata({ project: 'nope', requestBody: { fingerprint: 'x' } }),
    );
    expect(s.response.status).toBe(404);
    const o = await gaxiosError(
      c.zoneOperations.get({ project: 'ml-prod', zone: 'us-central1-a', operation: 'operation-1' }),
    );
    expect(o.response.data.error.message).toBe(
      "The resource 'projects/ml-prod/zones/us-central1-a/operations/operation-1' was not found",
    );
  });

  it('401 without a token and with a wrong one', async () => {
    const none = await call(emu, 'GET', '/compute/v1/projects/ml-prod', { token: null });
    expect(none.status).toBe(401);
    expect(none.body.error.status).toBe('UNAUTHENTICATED');
    expect(none.body.error.errors[0].reason).toBe('required');
    expect(none.headers.get('www-authenticate')).toContain('Bearer');

    const c = computeClientWithToken(emu, 'kfgc_wrongwrongwrongwrongwrongwrong');
    const err = await gaxiosError(c.projects.get({ project: 'ml-prod' }));
    expect(err.response.status).toBe(401);
    expect(err.response.data.error.errors[0].reason).toBe('authError');
  });

  it('?fields= returns a partial response', async () => {
    const c = computeClient(emu);
    const { data } = await c.projects.get({
      project: 'ml-prod',
      fields: 'name,commonInstanceMetadata/fingerprint',
    });
    expect(data).toEqual({
      name: 'ml-prod',
      commonInstanceMetadata: { fingerprint: emu.getProjectMetadata('ml-prod')!.fingerprint },
    });
    const { data: d2 } = await c.projects.get({
      project: 'ml-prod',
      fields: 'commonInstanceMetadata(items(key))',
    });
    expect(d2.commonInstanceMetadata!.items!.map((i) => i.key)).toContain('ssh-keys');
    expect(d2.commonInstanceMetadata!.items!.every((i) => i.value === undefined)).toBe(true);
  });

  it('operations can be deleted by the owner only', async () => {
    const c = computeClient(emu);
    const fp = emu.getProjectMetadata('ml-prod')!.fingerprint;
    const { data: op } = await c.projects.setCommonInstanceMetadata({
      project: 'ml-prod',
      requestBody: { fingerprint: fp },
    });
    const viewer = computeClient(emu, 'viewer');
    expect(
      (await gaxiosError(viewer.globalOperations.delete({ project: 'ml-prod', operation: op.name! })))
        .response.status,
    ).toBe(403);
    const del = await c.globalOperations.delete({ project: 'ml-prod', operation: op.name! });
    expect(del.status).toBe(204);
    expect(
      (await gaxiosError(c.globalOperations.get({ project: 'ml-prod', operation: op.name! }))).response
        .status,
    ).toBe(404);
  });
});

describe('the lost-update demonstration and the asynchronous failure', () => {
  /** 20 writers that all read the same metadata, then each write their own line back (no retry). */
  async function naiveWriters(): Promise<{ ok: number; conflicts: number; lines: string[] }> {
    const c = computeClient(emu);
    const read = (await c.projects.get({ project: 'ml-prod' })).data.commonInstanceMetadata!;
    const base = read.items!.find((i) => i.key === 'ssh-keys')!.value!;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, n) =>
        c.projects.setCommonInstanceMetadata({
          project: 'ml-prod',
          requestBody: {
            fingerprint: read.fingerprint!,
            items: read.items!.map((i) =>
              i.key === 'ssh-keys' ? { key: 'ssh-keys', value: `${base}\nwriter${n}:ssh-ed25519 AAAA` } : i,
            ),
          },
        }),
      ),
    );
    const value = emu.getProjectMetadata('ml-prod')!.items!.find((i) => i.key === 'ssh-keys')!.value!;
    return {
      ok: results.filter((r) => r.status === 'fulfilled').length,
      conflicts: results.filter(
        (r) => r.status === 'rejected' && (r.reason as { status?: number }).status === 412,
      ).length,
      lines: value.split('\n').filter((l) => l.startsWith('writer')),
    };
  }

  it('with the precondition on, exactly one of 20 concurrent writers with the same fingerprint wins', async () => {
    const r = await naiveWriters();
    expect(r).toMatchObject({ ok: 1, conflicts: 19 });
    expect(r.lines).toHaveLength(1);
  });

  it('with the precondition switched off over HTTP, all 20 "succeed" and 19 updates are lost', async () => {
    const sw = await call(emu, 'POST', '/_sandbox/gcp/precondition', {
      token: null,
      body: { enabled: false },
    });
    expect(sw.body).toEqual({ enabled: false });
    const r = await naiveWriters();
    expect(r).toMatchObject({ ok: 20, conflicts: 0 });
    expect(r.lines).toHaveLength(1);
  });

  it('fail-operations makes the next operation end DONE with CONDITION_NOT_MET (HTTP 200) and change nothing', async () => {
    const knob = await call(emu, 'POST', '/_sandbox/gcp/fail-operations', {
      token: null,
      body: { count: 1 },
    });
    expect(knob.body).toEqual({ failNextOperations: 1 });
    const c = computeClient(emu);
    const before = emu.getProjectMetadata('ml-prod')!;
    const { data: op, status } = await c.projects.setCommonInstanceMetadata({
      project: 'ml-prod',
      requestBody: { fingerprint: before.fingerprint, items: [{ key: 'lost', value: '1' }] },
    });
    expect(status).toBe(200);
    const { data: done } = await c.globalOperations.wait({ project: 'ml-prod', operation: op.name! });
    expect(done.status).toBe('DONE');
    expect(done.error).toEqual({ errors: [{ code: 'CONDITION_NOT_MET', message: MISMATCH }] });
    expect(done.httpErrorStatusCode).toBe(412);
    expect(emu.getProjectMetadata('ml-prod')).toEqual(before);

    // Only one: the next write goes through.
    const { data: op2 } = await c.projects.setCommonInstanceMetadata({
      project: 'ml-prod',
      requestBody: { fingerprint: before.fingerprint, items: [{ key: 'kept', value: '1' }] },
    });
    const { data: done2 } = await c.globalOperations.wait({ project: 'ml-prod', operation: op2.name! });
    expect(done2.error).toBeUndefined();
    expect(emu.getProjectMetadata('ml-prod')!.items).toEqual([{ key: 'kept', value: '1' }]);
  });

  it('the asynchronous failure also applies to instance setMetadata (zonal operation)', async () => {
    emu.failNextOperations(1);
    const c = computeClient(emu);
    const before = emu.getInstanceMetadata('ml-prod', 'us-central1-a', 'locked-1')!;
    const { data: op } = await c.instances.setMetadata({
      project: 'ml-prod',
      zone: 'us-central1-a',
      instance: 'locked-1',
      requestBody: { fingerprint: before.fingerprint, items: [] },
    });
    const { data: done } = await c.zoneOperations.wait({
      project: 'ml-prod',
      zone: 'us-central1-a',
      operation: op.name!,
    });
    expect(done.httpErrorStatusCode).toBe(412);
    expect(done.error!.errors![0]!.code).toBe('CONDITION_NOT_MET');
    expect(emu.getInstanceMetadata('ml-prod', 'us-central1-a', 'locked-1')).toEqual(before);
  });
});
