import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../../src/keys/public-key.js';
import { opensshPublicKey, startGcpEmulator, type GcpEmulator } from '../../../src/sandbox/gcp/index.js';
import { googleTime, newFingerprint, parseFields, pickFields } from '../../../src/sandbox/gcp/util.js';
import { call, computeClient, fresh } from './helpers.js';

const started: GcpEmulator[] = [];
async function start(opts: { seed?: boolean; state?: unknown } = {}): Promise<GcpEmulator> {
  const emu = await fresh(opts);
  started.push(emu);
  return emu;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.close()));
});

function sshKeyLines(emu: GcpEmulator): string[] {
  return emu
    .getProjectMetadata('ml-prod')!
    .items!.find((i) => i.key === 'ssh-keys')!
    .value!.split('\n');
}

describe('seed and connection info', () => {
  it('connectionInfo is the contract gcp section', async () => {
    const emu = await start();
    const info = emu.connectionInfo();
    expect(Object.keys(info).sort()).toEqual(
      ['computeUrl', 'instances', 'osloginUrl', 'projects', 'token', 'tokens', 'osloginUsers'].sort(),
    );
    expect(info.computeUrl).toBe(`http://127.0.0.1:${emu.server.port}/compute/v1`);
    expect(info.osloginUrl).toBe(`http://127.0.0.1:${emu.server.port}`);
    expect(info.token).toBe(info.tokens['owner']);
    for (const t of Object.values(info.tokens)) expect(t).toMatch(/^kfgc_[A-Za-z0-9]{24,}$/);
    expect(Object.keys(info.tokens)).toEqual(expect.arrayContaining(['owner', 'viewer']));
    expect(info.projects).toEqual(['ml-prod', 'ml-oslogin']);
    expect(info.instances).toEqual(
      expect.arrayContaining(['ml-prod/us-central1-a/trainer-1', 'ml-prod/us-central1-a/locked-1']),
    );
    expect(info.osloginUsers).toEqual(['alice@example.com', 'ci-runner@ml-prod.iam.gserviceaccount.com']);
    expect(emu.name).toBe('gcp');
  });

  it('ml-prod ssh-keys holds valid keys of others, expired and unexpired google-ssh lines, and invalid lines', async () => {
    const emu = await start();
    const lines = sshKeyLines(emu);
    const valid = lines.filter((l) => /^[a-z]+:ssh-/.test(l) && !l.includes('!!!'));
    for (const l of valid) expect(() => parsePublicKey(l.slice(l.indexOf(':') + 1))).not.toThrow();
    const expiring = lines.filter((l) => l.includes(' google-ssh '));
    expect(expiring).toHaveLength(2);
    const expiries = expiring.map((l) =>
      Date.parse(JSON.parse(l.slice(l.indexOf('{'))).expireOn.replace(/\+0000$/, 'Z')),
    );
    expect(expiries.filter((t) => t < Date.now())).toHaveLength(1);
    expect(expiries.filter((t) => t > Date.now())).toHaveLength(1);
    expect(lines.some((l) => /^ssh-ed25519 /.test(l))).toBe(true); // no colon
    expect(lines.some((l) => l.startsWith(':ssh-'))).toBe(true); // empty user
    expect(lines.some((l) => l.includes('this-is-not-base64'))).toBe(true); // garbage key
    expect(lines.some((l) => l.includes(' from="10.0.0.0/8" ') || l.includes(',from="10.0.0.0/8" '))).toBe(
      true,
    ); // options
    expect(lines).toContain('');
    const items = Object.fromEntries(emu.getProjectMetadata('ml-prod')!.items!.map((i) => [i.key, i.value]));
    expect(items['startup-script']).toContain('#!/bin/bash');
    expect(items['enable-guest-attributes']).toBe('TRUE');
    expect(emu.getProjectMetadata('ml-oslogin')!.items).toContainEqual({
      key: 'enable-oslogin',
      value: 'TRUE',
    });
    expect(emu.getInstanceMetadata('ml-prod', 'us-central1-a', 'locked-1')!.items).toContainEqual({
      key: 'block-project-ssh-keys',
      value: 'TRUE',
    });
  });

  it('seed: false starts empty but with owner and viewer tokens', async () => {
    const emu = await start({ seed: false });
    const info = emu.connectionInfo();
    expect(info.projects).toEqual([]);
    expect(info.osloginUsers).toEqual([]);
    expect(Object.keys(info.tokens).sort()).toEqual(['owner', 'viewer']);
    expect((await call(emu, 'GET', '/compute/v1/projects/ml-prod')).status).toBe(404);
  });
});

describe('state export / import', () => {
  it('round-trips metadata, fingerprints, operations, requestIds, tokens and OS Login through JSON', async () => {
    const a = await start();
    const c = computeClient(a);
    const fp = a.getProjectMetadata('ml-prod')!.fingerprint;
    const requestId = '6f1f7a3e-0b7c-4e0a-9b9e-0c1d2e3f4a5b';
    const { data: op } = await c.projects.setCommonInstanceMetadata({
      project: 'ml-prod',
      requestId,
      requestBody: { fingerprint: fp, items: [{ key: 'ssh-keys', value: 'zoe:ssh-ed25519 AAAA' }] },
    });
    const imported = await call(
      a,
      'POST',
      `/v1/users/${encodeURIComponent('ci-runner@ml-prod.iam.gserviceaccount.com')}:importSshPublicKey?projectId=ml-prod`,
      { body: { key: opensshPublicKey(generateKeyPairSync('ed25519').publicKey, 'ci@runner') } },
    );
    expect(imported.status).toBe(200);

    const saved = JSON.parse(JSON.stringify(a.exportState())) as unknown;
    const b = await start({ state: saved });
    expect(b.server.port).not.toBe(a.server.port);
    expect(b.getProjectMetadata('ml-prod')).toEqual(a.getProjectMetadata('ml-prod'));
    expect(b.getInstanceMetadata('ml-prod', 'us-central1-a', 'trainer-1')).toEqual(
      a.getInstanceMetadata('ml-prod', 'us-central1-a', 'trainer-1'),
    );
    expect(
      Object.keys(b.getLoginProfile('ci-runner@ml-prod.iam.gserviceaccount.com')!.sshPublicKeys!),
    ).toHaveLength(1);
    expect(b.getLoginProfile('ci-runner@ml-prod.iam.gserviceaccount.com')).toEqual(
      a.getLoginProfile('ci-runner@ml-prod.iam.gserviceaccount.com'),
    );
    const { tokens: ta, ...restA } = a.connectionInfo();
    const { tokens: tb, ...restB } = b.connectionInfo();
    expect(tb).toEqual(ta);
    expect({ ...restB, computeUrl: '', osloginUrl: '' }).toEqual({
      ...restA,
      computeUrl: '',
      osloginUrl: '',
    });

    // The old token works on the new server, the old operation is still there, and the requestId still replays.
    const cb = computeClient(b);
    const { data: again } = await cb.globalOperations.get({ project: 'ml-prod', operation: op.name! });
    expect(again.id).toBe(op.id);
    const { data: replay } = await cb.projects.setCommonInstanceMetadata({
      project: 'ml-prod',
      requestId,
      requestBody: {},
    });
    expect(replay.name).toBe(op.name);
    expect((await call(b, 'GET', '/_sandbox/gcp/state', { token: null })).body).toEqual(b.exportState());
  });

  it('refuses foreign state with a clear error', async () => {
    await expect(startGcpEmulator({ state: [] })).rejects.toThrow(/expected a JSON object/);
    await expect(startGcpEmulator({ state: { version: 2 } })).rejects.toThrow(/unsupported version 2/);
    await expect(startGcpEmulator({ state: { version: 1, projects: 'x' } })).rejects.toThrow(
      /projects must be an object/,
    );
  });
});

describe('control endpoints', () => {
  it('GET /_sandbox/gcp/vm returns both metadata sets (as the metadata server shapes them) and OS Login profiles', async () => {
    const emu = await start();
    const r = await call(
      emu,
      'GET',
      '/_sandbox/gcp/vm?project=ml-prod&zone=us-central1-a&instance=locked-1',
      { token: null },
    );
    expect(r.status).toBe(200);
    expect(r.body.project.projectId).toBe('ml-prod');
    expect(typeof r.body.project.numericProjectId).toBe('number');
    expect(r.body.project.attributes['ssh-keys']).toBe(sshKeyLines(emu).join('\n'));
    expect(r.body.instance.attributes['block-project-ssh-keys']).toBe('TRUE');
    expect(r.body.instance.name).toBe('locked-1');
    expect(r.body.projectMetadata).toEqual(emu.getProjectMetadata('ml-prod'));
    expect(r.body.instanceMetadata).toEqual(emu.getInstanceMetadata('ml-prod', 'us-central1-a', 'locked-1'));
    const alice = r.body.osLoginProfiles.find((p: { name: string }) => p.name === 'alice@example.com');
    // Alice has no account in ml-prod yet: the view shows the one OS Login would provision.
    expect(alice.posixAccounts).toEqual([
      expect.objectContaining({ username: 'alice_example_com', accountId: 'ml-prod' }),
    ]);
    expect(Object.keys(alice.sshPublicKeys)).toHaveLength(1);
    expect(r.body).toEqual(JSON.parse(JSON.stringify(emu.vmView('ml-prod', 'us-central1-a', 'locked-1'))));

    expect(
      (
        await call(emu, 'GET', '/_sandbox/gcp/vm?project=ml-prod&zone=us-central1-a&instance=nope', {
          token: null,
        })
      ).status,
    ).toBe(404);
    expect((await call(emu, 'GET', '/_sandbox/gcp/vm?project=ml-prod', { token: null })).status).toBe(400);
  });

  it('knobs can be read, changed, validated and reset over HTTP', async () => {
    const emu = await start();
    const set = await call(emu, 'POST', '/_sandbox/gcp/knobs', {
      token: null,
      body: { requireFingerprint: false, maxValueBytes: 10 },
    });
    expect(set.body).toMatchObject({ requireFingerprint: false, maxValueBytes: 10 });
    const c = computeClient(emu);
    await expect(
      c.projects.setCommonInstanceMetadata({
        project: 'ml-prod',
        requestBody: { items: [{ key: 'a', value: 'x'.repeat(11) }] },
      }),
    ).rejects.toMatchObject({ status: 400 });
    expect((await call(emu, 'POST', '/_sandbox/gcp/knobs', { token: null, body: { nope: 1 } })).status).toBe(
      400,
    );
    expect(
      (await call(emu, 'POST', '/_sandbox/gcp/knobs', { token: null, body: { maxValueBytes: 'big' } }))
        .status,
    ).toBe(400);
    const reset = await call(emu, 'DELETE', '/_sandbox/gcp/knobs', { token: null });
    expect(reset.body).toMatchObject({
      requireFingerprint: true,
      maxValueBytes: 262144,
      preconditionEnabled: true,
    });
    expect(
      (await call(emu, 'POST', '/_sandbox/gcp/precondition', { token: null, body: { enabled: 'no' } }))
        .status,
    ).toBe(400);
    expect(
      (await call(emu, 'POST', '/_sandbox/gcp/fail-operations', { token: null, body: { count: -1 } })).status,
    ).toBe(400);
  });

  it('computeErrorStatus adds a top-level status to Compute errors', async () => {
    const emu = await start();
    emu.setKnobs({ computeErrorStatus: true });
    const r = await call(emu, 'POST', '/compute/v1/projects/ml-prod/setCommonInstanceMetadata', {
      body: { fingerprint: 'stale' },
    });
    expect(r.status).toBe(412);
    expect(r.body.error.status).toBe('FAILED_PRECONDITION');
    expect(r.body.error.errors[0].reason).toBe('conditionNotMet');
  });

  it('unknown URLs and wrong methods answer google.rpc.Status JSON', async () => {
    const emu = await start();
    const wrongMethod = await call(emu, 'GET', '/compute/v1/projects/ml-prod/setCommonInstanceMetadata');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(wrongMethod.body.error.status).toBe('METHOD_NOT_ALLOWED');
    const unknown = await call(emu, 'GET', '/compute/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.status).toBe('NOT_FOUND');
  });

  it('the shared fault knobs of http.ts apply to this emulator too', async () => {
    const emu = await start();
    await call(emu, 'POST', '/_sandbox/faults', {
      token: null,
      body: { inject: [{ status: 503, count: 1, pathPrefix: '/compute/' }] },
    });
    expect((await call(emu, 'GET', '/compute/v1/projects/ml-prod')).status).toBe(503);
    expect((await call(emu, 'GET', '/compute/v1/projects/ml-prod')).status).toBe(200);
  });
});

describe('value helpers', () => {
  it('fingerprints are 8 random bytes in padded base64url', () => {
    const seen = new Set(Array.from({ length: 50 }, () => newFingerprint()));
    expect(seen.size).toBe(50);
    for (const f of seen) {
      expect(f).toMatch(/^[A-Za-z0-9_-]{11}=$/);
      expect(Buffer.from(f, 'base64url')).toHaveLength(8);
    }
  });

  it('googleTime writes Pacific time with a numeric offset that parses back to the same instant', () => {
    for (const ms of [Date.UTC(2021, 3, 23, 23, 41, 19, 748), Date.UTC(2026, 0, 15, 8, 0, 0, 5)]) {
      const t = googleTime(ms);
      expect(t).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/);
      expect(Date.parse(t)).toBe(ms);
    }
    expect(googleTime(Date.UTC(2021, 3, 23, 23, 41, 19, 748))).toBe('2021-04-23T16:41:19.748-07:00');
  });

  it('parseFields/pickFields implement the partial-response syntax', () => {
    const obj = { a: 1, b: { c: 2, d: 3 }, e: [{ f: 1, g: 2 }, { f: 3 }] };
    expect(pickFields(obj, parseFields('a,b/c')!)).toEqual({ a: 1, b: { c: 2 } });
    expect(pickFields(obj, parseFields('e(f),b(c,d)')!)).toEqual({
      e: [{ f: 1 }, { f: 3 }],
      b: { c: 2, d: 3 },
    });
    expect(pickFields(obj, parseFields('b/c,b/d')!)).toEqual({ b: { c: 2, d: 3 } });
    expect(pickFields(obj, parseFields('b,b/c')!)).toEqual({ b: { c: 2, d: 3 } });
    for (const bad of ['', 'a,', 'a(b', 'a/', '(a)', 'a)']) expect(parseFields(bad)).toBeUndefined();
  });
});
