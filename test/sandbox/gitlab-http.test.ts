/**
 * The GitLab emulator's exact contract over raw HTTP (API-CONTRACTS.md §2): auth and scopes,
 * admin and role checks, Grape and model error bodies, fingerprint lookup, deploy-key linking,
 * pagination headers, throttling and injected faults.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitlabEmulator, type GitlabEmulator } from '../../src/sandbox/gitlab/index.js';
import { call, makeCertificateLine, makeKey, makeKeys } from './helpers.js';

let emu: GitlabEmulator;
let api: string;
const as = (name: string) => ({ 'private-token': emu.token(name) });
const post = (path: string, name: string, body: unknown) =>
  call(`${api}${path}`, { method: 'POST', headers: as(name), body });

beforeAll(async () => {
  emu = await startGitlabEmulator();
  api = emu.apiUrl;
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  emu.reset();
  await call(`${emu.url}/_sandbox/faults`, { method: 'DELETE' });
});

describe('authentication, scopes and roles', () => {
  it('401 {"message":"401 Unauthorized"} without or with a wrong token', async () => {
    for (const headers of [{}, { 'private-token': 'kfgl_wrongwrongwrongwrongwrong' }]) {
      const r = await call(`${api}/user/keys`, { headers });
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ message: '401 Unauthorized' });
    }
    // A wrong token is 401 even where no token is needed.
    expect(
      (await call(`${api}/users/alice/keys`, { headers: { authorization: 'Bearer nope-nope-nope' } })).status,
    ).toBe(401);
  });

  it('accepts PRIVATE-TOKEN, Authorization: Bearer and ?private_token=', async () => {
    const t = emu.token('alice');
    for (const r of [
      await call(`${api}/user`, { headers: { 'private-token': t } }),
      await call(`${api}/user`, { headers: { authorization: `Bearer ${t}` } }),
      await call(`${api}/user?private_token=${t}`),
    ]) {
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ id: 2, username: 'alice', is_admin: false });
    }
    expect((await call(`${api}/user`, { headers: as('root') })).json).toMatchObject({
      id: 1,
      is_admin: true,
    });
  });

  it('read_user may GET the Users API only; other calls are 403 insufficient_scope', async () => {
    expect((await call(`${api}/user/keys`, { headers: as('alice-read') })).status).toBe(200);
    const write = await post('/user/keys', 'alice-read', { title: 't', key: makeKey().line });
    expect(write.status).toBe(403);
    expect(write.json).toEqual({
      error: 'insufficient_scope',
      error_description: 'The request requires higher privileges than provided by the access token.',
      scope: 'api',
    });
    expect(write.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    // read_api reads projects; it cannot add deploy keys.
    expect(
      (await call(`${api}/projects/ml%2Ftrainer/deploy_keys`, { headers: as('alice-read') })).status,
    ).toBe(200);
    expect(
      (await post('/projects/ml%2Ftrainer/deploy_keys', 'alice-read', { title: 't', key: makeKey().line }))
        .status,
    ).toBe(403);
  });

  it('admin-only endpoints answer 403 {"message":"403 Forbidden"} to others', async () => {
    const k = emu.addUserKey('alice', makeKey().line);
    for (const path of [
      `/keys/${k.id}`,
      `/keys?fingerprint=${encodeURIComponent(`SHA256:${'A'.repeat(43)}`)}`,
      '/deploy_keys',
    ]) {
      const r = await call(`${api}${path}`, { headers: as('alice') });
      expect(r.status).toBe(403);
      expect(r.json).toEqual({ message: '403 Forbidden' });
    }
    const r = await post('/users/3/keys', 'alice', { title: 't', key: makeKey().line });
    expect(r.json).toEqual({ message: '403 Forbidden' });
    expect((await call(`${api}/users/3/keys/${k.id}`, { method: 'DELETE', headers: as('bob') })).status).toBe(
      403,
    );
  });

  it('Sudo: an admin token with the sudo scope acts as another user', async () => {
    const r = await call(`${api}/user`, { headers: { ...as('root'), sudo: 'bob' } });
    expect(r.json).toMatchObject({ username: 'bob' });
    const notAdmin = await call(`${api}/user`, { headers: { ...as('alice'), sudo: 'bob' } });
    expect(notAdmin.status).toBe(403);
  });

  it('projects by numeric id or URL-encoded path; invisible ones are 404 Project Not Found', async () => {
    const byPath = await call(`${api}/projects/ml%2Fplatform%2Finfra`, { headers: as('alice') });
    expect(byPath.status).toBe(200);
    expect(byPath.json).toMatchObject({
      id: 103,
      path_with_namespace: 'ml/platform/infra',
      name_with_namespace: 'ml / platform / infra',
      namespace: { full_path: 'ml/platform', kind: 'group' },
      permissions: { project_access: null, group_access: { access_level: 40 } },
    });
    expect((await call(`${api}/projects/103`, { headers: as('bob') })).status).toBe(200);
    const hidden = await call(`${api}/projects/ml%2Ftrainer`, { headers: as('carol') });
    expect(hidden.status).toBe(404);
    expect(hidden.json).toEqual({ message: '404 Project Not Found' });
    expect((await call(`${api}/projects/ml%2Ftrainer`)).status).toBe(404);
  });

  it('users lookup by username and by id', async () => {
    const r = await call(`${api}/users?username=alice`);
    expect(r.json).toEqual([expect.objectContaining({ id: 2, username: 'alice', name: 'Alice Liddell' })]);
    expect((await call(`${api}/users?username=nobody`)).json).toEqual([]);
    expect((await call(`${api}/users/3`)).json).toMatchObject({ username: 'bob' });
    const missing = await call(`${api}/users/999/keys`);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ message: '404 User Not Found' });
  });
});

describe('user keys', () => {
  it('rewrites the comment to "<name> (<host>)" and keeps expires_at and usage_type', async () => {
    const k = makeKey('my comment with spaces');
    const r = await post('/user/keys', 'bob', {
      title: 'laptop',
      key: k.line,
      expires_at: '2099-06-01T12:00:00Z',
    });
    expect(r.status).toBe(201);
    expect(r.json).toEqual({
      id: expect.any(Number),
      title: 'laptop',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      expires_at: '2099-06-01T12:00:00.000Z',
      last_used_at: null,
      key: `${k.bare} Bob Baker (127.0.0.1)`,
      usage_type: 'auth_and_signing',
    });
    await call(`${emu.url}/_sandbox/settings`, {
      method: 'POST',
      body: { publicHost: 'gitlab.example.com' },
    });
    const pub = await call(`${api}/users/bob/keys`);
    expect((pub.json as { key: string }[])[0]?.key).toBe(`${k.bare} Bob Baker (gitlab.example.com)`);
  });

  it('Grape parameter errors: missing key/title, bad expires_at, bad usage_type', async () => {
    expect((await post('/user/keys', 'bob', {})).json).toEqual({ error: 'key is missing, title is missing' });
    expect(
      (await post('/user/keys', 'bob', { key: makeKey().line, title: 't', expires_at: 'soon' })).json,
    ).toEqual({
      error: 'expires_at is invalid',
    });
    const bad = await post('/user/keys', 'bob', { key: makeKey().line, title: 't', usage_type: 'login' });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error: 'usage_type does not have a valid value' });
  });

  it('model validation errors: blank or long title, invalid key, expired, taken', async () => {
    const blank = await post('/user/keys', 'bob', { title: '', key: makeKey().line });
    expect(blank.json).toEqual({ message: { title: ["can't be blank"] } });
    const long = await post('/user/keys', 'bob', { title: 'x'.repeat(256), key: makeKey().line });
    expect(long.json).toEqual({ message: { title: ['is too long (maximum is 255 characters)'] } });
    const invalid = await post('/user/keys', 'bob', { title: 't', key: 'hello world' });
    expect(invalid.status).toBe(400);
    expect(invalid.json).toEqual({
      message: { key: ['is invalid'], fingerprint_sha256: ['cannot be generated'] },
    });
    const garbled = await post('/user/keys', 'bob', { title: 't', key: 'ssh-ed25519 AAAAgarbage' });
    expect(garbled.json).toEqual({ message: { fingerprint_sha256: ['cannot be generated'] } });
    const expired = await post('/user/keys', 'bob', {
      title: 't',
      key: makeKey().line,
      expires_at: '2020-01-01',
    });
    expect(expired.json).toEqual({ message: { expires_at: ['has expired'] } });
    const cert = makeCertificateLine();
    expect(cert).toBeDefined();
    expect((await post('/user/keys', 'bob', { title: 't', key: cert })).json).toMatchObject({
      message: { key: ['is invalid'] },
    });
    // GitLab still accepts DSA keys unless an admin restricts them.
    expect((await post('/user/keys', 'bob', { title: 't', key: makeKey('d', 'dsa').line })).status).toBe(201);
  });

  it('404 "Key Not Found" for someone else\'s key on /user/keys/:id', async () => {
    const k = emu.addUserKey('alice', makeKey().line);
    const r = await call(`${api}/user/keys/${k.id}`, { headers: as('bob') });
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ message: '404 Key Not Found' });
    expect((await call(`${api}/user/keys/${k.id}`, { method: 'DELETE', headers: as('bob') })).json).toEqual({
      message: '404 Key Not Found',
    });
    const del = await call(`${api}/user/keys/${k.id}`, { method: 'DELETE', headers: as('alice') });
    expect(del.status).toBe(204);
  });
});

describe('fingerprint lookup (GET /keys?fingerprint=, admin)', () => {
  it('finds user keys by SHA256 (URL-encoded) and MD5, deploy keys with their projects', async () => {
    const u = makeKey();
    const d = makeKey();
    const uk = emu.addUserKey('alice', u.line);
    const { key: dk } = emu.addDeployKey('ml/trainer', d.line, { canPush: true });
    const bySha = await call(`${api}/keys?fingerprint=${encodeURIComponent(u.fingerprint)}`, {
      headers: as('root'),
    });
    expect(bySha.status).toBe(200);
    expect(bySha.json).toMatchObject({ id: uk.id, user: { username: 'alice' } });
    const lower = await call(
      `${api}/keys?fingerprint=${encodeURIComponent('sha256:' + u.fingerprint.slice(7))}`,
      {
        headers: as('root'),
      },
    );
    expect((lower.json as { id: number }).id).toBe(uk.id);
    const byMd5 = await call(`${api}/keys?fingerprint=${u.md5}`, { headers: as('root') });
    expect((byMd5.json as { id: number }).id).toBe(uk.id);
    const deploy = await call(`${api}/keys?fingerprint=${encodeURIComponent(d.fingerprint)}`, {
      headers: as('root'),
    });
    expect(deploy.json).toMatchObject({
      id: dk.id,
      fingerprint: d.md5,
      deploy_keys_projects: [{ deploy_key_id: dk.id, project_id: 101, can_push: true }],
    });
  });

  it('400 "Failed to return the key" for malformed fingerprints; 400 when missing; 404 when unknown', async () => {
    for (const fp of ['SHA256:short', `SHA256:${'A'.repeat(40)}`, 'MD5:' + makeKey().md5, 'zz:zz']) {
      const r = await call(`${api}/keys?fingerprint=${encodeURIComponent(fp)}`, { headers: as('root') });
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ message: 'Failed to return the key' });
    }
    // A "+" left unencoded arrives as a space, as in Rack: the key is not found by that text.
    let plus = makeKey();
    while (!plus.fingerprint.includes('+')) plus = makeKey();
    emu.addUserKey('alice', plus.line);
    const raw = await call(`${api}/keys?fingerprint=${plus.fingerprint}`, { headers: as('root') });
    expect(raw.status).not.toBe(200);
    expect((await call(`${api}/keys`, { headers: as('root') })).json).toEqual({
      error: 'fingerprint is missing',
    });
    const unknown = await call(`${api}/keys?fingerprint=${encodeURIComponent(makeKey().fingerprint)}`, {
      headers: as('root'),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ message: '404 Key Not Found' });
    expect((await call(`${api}/keys/999999`, { headers: as('root') })).json).toEqual({
      message: '404 Not found',
    });
  });

  it('fingerprint_sha256 carries a SHA256: prefix only when the knob says so', async () => {
    const d = makeKey();
    emu.addDeployKey('ml/trainer', d.line);
    const get = async () =>
      (
        (await call(`${api}/projects/101/deploy_keys`, { headers: as('alice') })).json as {
          fingerprint_sha256: string;
        }[]
      )[0]?.fingerprint_sha256;
    expect(await get()).toBe(d.fingerprint.slice(7));
    await call(`${emu.url}/_sandbox/settings`, { method: 'POST', body: { fingerprintSha256Prefix: true } });
    expect(await get()).toBe(d.fingerprint);
  });
});

describe('project deploy keys', () => {
  it('POST semantics (§2.6): same key on the same project returns the link; taken elsewhere as a user key is 400', async () => {
    const k = makeKey('ci');
    const a = await post('/projects/101/deploy_keys', 'alice', {
      title: 'first',
      key: k.line,
      can_push: true,
    });
    expect(a.status).toBe(201);
    expect(a.json).toMatchObject({ title: 'first', key: k.line, can_push: true });
    const again = await post('/projects/101/deploy_keys', 'alice', {
      title: 'second',
      key: `${k.line}\n`,
      can_push: false,
    });
    expect(again.status).toBe(201);
    expect(again.json).toMatchObject({ id: (a.json as { id: number }).id, title: 'first', can_push: true });
    const u = makeKey();
    emu.addUserKey('bob', u.line);
    const taken = await post('/projects/101/deploy_keys', 'alice', { title: 't', key: u.line });
    expect(taken.status).toBe(400);
    expect(taken.json).toEqual({ message: { 'deploy_key.fingerprint_sha256': ['has already been taken'] } });
    const invalid = await post('/projects/101/deploy_keys', 'alice', { title: '', key: 'nope' });
    expect(invalid.json).toEqual({
      message: {
        'deploy_key.title': ["can't be blank"],
        'deploy_key.key': ['is invalid'],
        'deploy_key.fingerprint_sha256': ['cannot be generated'],
      },
    });
    const past = await post('/projects/101/deploy_keys', 'alice', {
      title: 't',
      key: makeKey().line,
      expires_at: '2001-01-01',
    });
    expect(past.json).toEqual({ message: { 'deploy_key.expires_at': ['has expired'] } });
    expect(
      (
        await post('/projects/101/deploy_keys', 'alice', {
          title: 't',
          key: makeKey().line,
          can_push: 'maybe',
        })
      ).json,
    ).toEqual({
      error: 'can_push is invalid',
    });
  });

  it('a key from a project the user does not maintain is not reachable: 400 taken, enable 404', async () => {
    const k = makeKey();
    const { key } = emu.addDeployKey('ml/trainer', k.line, { userId: 2 });
    // bob is only a Reporter everywhere, so make him Maintainer of datasets alone for this test.
    emu.state.projects.find((p) => p.id === 102)!.members['3'] = 40;
    const taken = await post('/projects/102/deploy_keys', 'bob', { title: 'x', key: k.line });
    expect(taken.json).toEqual({ message: { 'deploy_key.fingerprint_sha256': ['has already been taken'] } });
    const enable = await post(`/projects/102/deploy_keys/${key.id}/enable`, 'bob', {});
    expect(enable.status).toBe(404);
    expect(enable.json).toEqual({ message: '404 Deploy key Not Found' });
    const ok = await post(`/projects/102/deploy_keys/${key.id}/enable`, 'alice', {});
    expect(ok.status).toBe(201);
    delete emu.state.projects.find((p) => p.id === 102)!.members['3'];
  });

  it('GET/PUT/DELETE one key: 404 texts, PUT needs a field, DELETE of the last link deletes the key', async () => {
    const { key } = emu.addDeployKey('ml/trainer', makeKey().line, { userId: 2 });
    expect((await call(`${api}/projects/101/deploy_keys/999`, { headers: as('alice') })).json).toEqual({
      message: '404 Not found',
    });
    const put = (body: unknown) =>
      call(`${api}/projects/101/deploy_keys/${key.id}`, { method: 'PUT', headers: as('alice'), body });
    expect((await put({})).json).toEqual({
      error: 'title, can_push are missing, at least one parameter must be provided',
    });
    expect((await put({ can_push: true })).json).toMatchObject({ can_push: true });
    expect((await put({ title: '' })).json).toEqual({ message: { 'deploy_key.title': ["can't be blank"] } });
    expect(
      (await call(`${api}/projects/102/deploy_keys/${key.id}`, { method: 'DELETE', headers: as('alice') }))
        .json,
    ).toEqual({
      message: '404 Deploy key Not Found',
    });
    const del = await call(`${api}/projects/101/deploy_keys/${key.id}`, {
      method: 'DELETE',
      headers: as('alice'),
    });
    expect(del.status).toBe(204);
    expect(emu.state.keys.find((k) => k.id === key.id)).toBeUndefined();
  });

  it("a title change by someone other than the key's owner is silently ignored", async () => {
    const { key } = emu.addDeployKey('ml/trainer', makeKey().line, { userId: 1, title: 'owned by root' });
    const r = await call(`${api}/projects/101/deploy_keys/${key.id}`, {
      method: 'PUT',
      headers: as('alice'),
      body: { title: 'renamed', can_push: true },
    });
    expect(r.json).toMatchObject({ title: 'owned by root', can_push: true });
  });

  it('GET /users/:id/project_deploy_keys: deploy keys of the projects both users maintain, else 403', async () => {
    const trainer = emu.addDeployKey('ml/trainer', makeKey('t@ci').line, { title: 'trainer ci' }).key;
    const shared = emu.addDeployKey('ml/datasets', makeKey('s@ci').line, { canPush: true }).key;
    emu.addDeployKey('ml/trainer', shared.key); // the same key on a second project: listed once
    const infra = emu.addDeployKey('ml/platform/infra', makeKey().line).key;
    const ids = (r: { json: unknown }) => (r.json as { id: number }[]).map((k) => k.id);

    // Their own: every project alice maintains (Maintainer of group ml, inherited by its projects).
    const own = await call(`${api}/users/alice/project_deploy_keys`, { headers: as('alice') });
    expect(own.status).toBe(200);
    expect(ids(own)).toEqual([trainer.id, shared.id, infra.id]);
    expect((own.json as unknown[])[0]).toEqual({
      id: trainer.id,
      title: 'trainer ci',
      created_at: trainer.createdAt,
      expires_at: null,
      last_used_at: null,
      key: trainer.key,
      usage_type: 'auth',
      fingerprint: trainer.fingerprint,
      fingerprint_sha256: trainer.fingerprintSha256,
    });
    expect(own.headers.get('x-total')).toBe('3');
    // By numeric id, and with a read_user token (a GET of the Users API).
    expect(ids(await call(`${api}/users/2/project_deploy_keys`, { headers: as('alice-read') }))).toEqual(
      ids(own),
    );

    const noCommon = { message: '403 Forbidden - No common authorized project found' };
    // bob is a Reporter everywhere: no project both maintain, either way round.
    for (const [path, who] of [
      ['/users/alice/project_deploy_keys', 'bob'],
      ['/users/bob/project_deploy_keys', 'alice'],
      // Admin rights are not project roles: root maintains nothing by membership.
      ['/users/root/project_deploy_keys', 'root'],
    ] as const) {
      const r = await call(`${api}${path}`, { headers: as(who) });
      expect(r.status).toBe(403);
      expect(r.json).toEqual(noCommon);
    }
    // Without a token nobody maintains anything.
    expect((await call(`${api}/users/alice/project_deploy_keys`)).json).toEqual(noCommon);
    // An unknown user is 404.
    const ghost = await call(`${api}/users/nobody/project_deploy_keys`, { headers: as('alice') });
    expect(ghost.status).toBe(404);
    expect(ghost.json).toEqual({ message: '404 User Not Found' });

    // Only the projects in common: bob made Maintainer of ml/datasets alone.
    const datasets = emu.state.projects.find((p) => p.id === 102)!;
    datasets.members['3'] = 40;
    try {
      expect(ids(await call(`${api}/users/bob/project_deploy_keys`, { headers: as('alice') }))).toEqual([
        shared.id,
      ]);
      expect(ids(await call(`${api}/users/alice/project_deploy_keys`, { headers: as('bob') }))).toEqual([
        shared.id,
      ]);
    } finally {
      delete datasets.members['3'];
    }
  });

  it('public deploy keys survive losing their last project', async () => {
    const { key } = emu.addDeployKey('ml/trainer', makeKey().line, { public: true });
    await call(`${api}/projects/101/deploy_keys/${key.id}`, { method: 'DELETE', headers: as('alice') });
    const pub = await call(`${api}/deploy_keys?public=true`, { headers: as('root') });
    expect((pub.json as { id: number }[]).map((k) => k.id)).toEqual([key.id]);
  });
});

describe('pagination, throttling, unknown routes and faults', () => {
  it('x-total, x-total-pages, x-page, x-per-page, x-next-page, x-prev-page and Link', async () => {
    for (const k of makeKeys(45)) emu.addUserKey('carol', k.line);
    const r = await call(`${api}/users/carol/keys?page=2`);
    expect((r.json as unknown[]).length).toBe(20);
    expect(
      Object.fromEntries(
        ['x-page', 'x-per-page', 'x-next-page', 'x-prev-page', 'x-total', 'x-total-pages'].map((h) => [
          h,
          r.headers.get(h),
        ]),
      ),
    ).toEqual({
      'x-page': '2',
      'x-per-page': '20',
      'x-next-page': '3',
      'x-prev-page': '1',
      'x-total': '45',
      'x-total-pages': '3',
    });
    const u = (p: number) => `<${api}/users/carol/keys?page=${p}&per_page=20>`;
    expect(r.headers.get('link')).toBe(
      `${u(1)}; rel="prev", ${u(3)}; rel="next", ${u(1)}; rel="first", ${u(3)}; rel="last"`,
    );
    const last = await call(`${api}/users/carol/keys?page=3&per_page=20`);
    expect(last.headers.get('x-next-page')).toBe('');
    const max = await call(`${api}/users/carol/keys?per_page=1000`);
    expect(max.headers.get('x-per-page')).toBe('100');
    // Tokens given in the query never appear in Link.
    const q = await call(`${api}/user/keys?private_token=${emu.token('carol')}&per_page=10`);
    expect(q.headers.get('link')).not.toContain(emu.token('carol'));
  });

  it('throttling knob: 429 "Retry later" with Retry-After and RateLimit-* headers, then recovery', async () => {
    await call(`${emu.url}/_sandbox/rate-limit`, { method: 'POST', body: { count: 1, retryAfter: 5 } });
    const r = await call(`${api}/user`, { headers: as('alice') });
    expect(r.status).toBe(429);
    expect(r.text).toBe('Retry later\n');
    expect(r.headers.get('retry-after')).toBe('5');
    for (const h of [
      'ratelimit-limit',
      'ratelimit-observed',
      'ratelimit-remaining',
      'ratelimit-reset',
      'ratelimit-resettime',
      'ratelimit-name',
    ]) {
      expect(r.headers.get(h)).not.toBeNull();
    }
    expect((await call(`${api}/user`, { headers: as('alice') })).status).toBe(200);
    // A real budget per user: the third request in the period is throttled.
    await call(`${emu.url}/_sandbox/rate-limit`, { method: 'POST', body: { limit: 2, periodSeconds: 3600 } });
    await call(`${api}/user`, { headers: as('bob') });
    await call(`${api}/user`, { headers: as('bob') });
    const third = await call(`${api}/user`, { headers: as('bob') });
    expect(third.status).toBe(429);
    expect(third.headers.get('ratelimit-observed')).toBe('3');
    await call(`${emu.url}/_sandbox/rate-limit`, { method: 'POST', body: { reset: true, limit: 0 } });
    expect((await call(`${api}/user`, { headers: as('bob') })).status).toBe(200);
  });

  it('unknown routes are 404 {"error":"404 Not Found"}; a wrong method is 405', async () => {
    const r = await call(`${api}/no/such/thing`, { headers: as('alice') });
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ error: '404 Not Found' });
    const m = await call(`${api}/user/keys`, { method: 'PATCH', headers: as('alice') });
    expect(m.status).toBe(405);
  });

  it('injected faults and hangs (shared knobs of http.ts)', async () => {
    await call(`${emu.url}/_sandbox/faults`, {
      method: 'POST',
      body: { inject: [{ status: 503, count: 1, method: 'POST' }] },
    });
    expect((await call(`${api}/user`, { headers: as('alice') })).status).toBe(200);
    expect((await post('/user/keys', 'alice', { title: 't', key: makeKey().line })).status).toBe(503);
    expect((await post('/user/keys', 'alice', { title: 't', key: makeKey().line })).status).toBe(201);
    await call(`${emu.url}/_sandbox/faults`, { method: 'POST', body: { hang: [{ count: 1 }] } });
    await expect(
      fetch(`${api}/user`, { headers: as('alice'), signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow();
    expect((await call(`${api}/user`, { headers: as('alice') })).status).toBe(200);
  });
});
