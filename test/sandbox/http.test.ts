/** The HTTP layer under every emulator: routing, bodies, 405s, and the shared fault knobs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Router, serve, type EmulatorServer } from '../../src/sandbox/http.js';
import { call } from './helpers.js';

describe('Router', () => {
  const r = new Router()
    .add('GET', '/projects/:id/keys/:key', () => ({ status: 200 }))
    .add('GET', '/tree/:rest*', () => ({ status: 200 }))
    .add('POST', '/projects/:id/keys/:key', () => ({ status: 201 }));

  it("matches params, decoding each segment (GitLab's URL-encoded project paths)", () => {
    const m = r.match('GET', '/projects/ml%2Fplatform%2Finfra/keys/7');
    expect(m && 'params' in m ? m.params : undefined).toEqual({ id: 'ml/platform/infra', key: '7' });
  });

  it('a `:name*` segment takes the rest of the path; lengths must match otherwise', () => {
    const m = r.match('GET', '/tree/a/b%20c/d');
    expect(m && 'params' in m ? m.params : undefined).toEqual({ rest: 'a/b c/d' });
    expect(r.match('GET', '/projects/1/keys')).toBeUndefined();
    expect(r.match('GET', '/tree')).toBeUndefined();
  });

  it('reports the allowed methods of a known path', () => {
    expect(r.match('DELETE', '/projects/1/keys/2')).toEqual({ allowed: ['GET', 'POST'] });
  });
});

describe('serve()', () => {
  let plain: EmulatorServer;
  let custom: EmulatorServer;
  beforeAll(async () => {
    const router = new Router()
      .add('POST', '/echo', (req) => ({ status: 200, body: { body: req.body ?? null } }))
      .add('GET', '/_sandbox/ping', () => ({ status: 200, body: { pong: true } }))
      .add('GET', '/hello', () => ({ status: 200, body: { hello: 'world' } }));
    plain = await serve({ router, notFound: () => ({ status: 404, body: { nope: true } }) });
    custom = await serve({
      router,
      notFound: () => ({ status: 404, body: {} }),
      methodNotAllowed: (_req, allowed) => ({ status: 405, body: { error: '405 Not Allowed', allowed } }),
    });
  });
  afterAll(async () => {
    await plain.close();
    await custom.close();
  });

  it('listens on 127.0.0.1 on a port chosen at run time', () => {
    expect(plain.url).toBe(`http://127.0.0.1:${plain.port}`);
    expect(plain.port).toBeGreaterThan(0);
    expect(plain.port).not.toBe(custom.port);
  });

  it('parses JSON and form bodies; marks invalid JSON', async () => {
    expect((await call(`${plain.url}/echo`, { method: 'POST', body: { a: 1 } })).json).toEqual({
      body: { a: 1 },
    });
    const form = await call(`${plain.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'title=t&can_push=true',
    });
    expect(form.json).toEqual({ body: { title: 't', can_push: 'true' } });
    const bad = await call(`${plain.url}/echo`, { method: 'POST', body: '{x' });
    expect(bad.json).toEqual({ body: { __invalidJson: '{x' } });
  });

  it('unknown route and wrong method answers, default and per emulator', async () => {
    expect((await call(`${plain.url}/missing`)).json).toEqual({ nope: true });
    const a = await call(`${plain.url}/hello`, { method: 'DELETE' });
    expect(a.status).toBe(405);
    expect(a.headers.get('allow')).toBe('GET');
    const b = await call(`${custom.url}/hello`, { method: 'DELETE' });
    expect(b.json).toEqual({ error: '405 Not Allowed', allowed: ['GET'] });
  });

  it('fault knobs: inject by path and method, latency, hang; DELETE resets; /_sandbox/ is exempt', async () => {
    const set = (body: unknown) => call(`${plain.url}/_sandbox/faults`, { method: 'POST', body });
    const state = await set({
      inject: [{ status: 500, count: 2, pathPrefix: '/hello', body: { boom: 1 } }],
      latencyMs: 5,
    });
    expect(state.json).toMatchObject({ latencyMs: 5, inject: [{ status: 500, count: 2 }] });
    expect((await call(`${plain.url}/_sandbox/ping`)).status).toBe(200);
    expect((await call(`${plain.url}/echo`, { method: 'POST', body: {} })).status).toBe(200);
    const f1 = await call(`${plain.url}/hello`);
    expect(f1.status).toBe(500);
    expect(f1.json).toEqual({ boom: 1 });
    expect((await call(`${plain.url}/hello`)).status).toBe(500);
    expect((await call(`${plain.url}/hello`)).status).toBe(200);

    await set({ inject: [{ status: 429, count: 1, method: 'POST' }] });
    expect((await call(`${plain.url}/hello`)).status).toBe(200);
    const f2 = await call(`${plain.url}/echo`, { method: 'POST', body: {} });
    expect(f2.status).toBe(429);
    expect(f2.json).toEqual({ message: 'injected fault: HTTP 429' });

    await set({ hang: [{ count: 5 }] });
    const reset = await call(`${plain.url}/_sandbox/faults`, { method: 'DELETE' });
    expect(reset.json).toEqual({ latencyMs: 0, inject: [], hang: [] });
    expect((await call(`${plain.url}/hello`)).status).toBe(200);
  });
});
