/**
 * The GitHub emulator's exact contract over raw HTTP (API-CONTRACTS.md §1): status codes,
 * error bodies, headers, pagination links, scopes, rate limits, conditional requests, faults.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGithubEmulator, type GithubEmulator } from '../../src/sandbox/github/index.js';
import { call, makeCertificateLine, makeKey, makeKeys } from './helpers.js';

let emu: GithubEmulator;
const as = (name: string) => ({ authorization: `Bearer ${emu.token(name)}` });

beforeAll(async () => {
  emu = await startGithubEmulator();
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  emu.reset();
  await call(`${emu.url}/_sandbox/faults`, { method: 'DELETE' });
});

describe('authentication and scopes', () => {
  it('401 "Requires authentication" without a token, "Bad credentials" with a wrong one', async () => {
    const none = await call(`${emu.url}/user/keys`);
    expect(none.status).toBe(401);
    expect(none.json).toEqual({
      message: 'Requires authentication',
      documentation_url:
        'https://docs.github.com/rest/users/keys#list-public-ssh-keys-for-the-authenticated-user',
    });
    const bad = await call(`${emu.url}/users/alice/keys`, {
      headers: { authorization: 'token kfgh_wrongwrongwrongwrongwrong' },
    });
    expect(bad.status).toBe(401);
    expect((bad.json as { message: string }).message).toBe('Bad credentials');
  });

  it('accepts both `Bearer` and `token` and reports X-OAuth-Scopes / X-Accepted-OAuth-Scopes', async () => {
    const a = await call(`${emu.url}/user`, { headers: { authorization: `token ${emu.token('bob')}` } });
    expect(a.status).toBe(200);
    expect((a.json as { login: string }).login).toBe('bob');
    expect(a.headers.get('x-oauth-scopes')).toBe('admin:public_key, repo');
    const b = await call(`${emu.url}/user/keys`, { headers: as('no-scopes') });
    expect(b.status).toBe(404);
    expect(b.headers.get('x-oauth-scopes')).toBe('');
    expect(b.headers.get('x-accepted-oauth-scopes')).toBe(
      'admin:public_key, read:public_key, write:public_key',
    );
  });

  it('DELETE /user/keys/{id} needs admin:public_key: 404 for a read-only token, 204 with admin', async () => {
    const k = emu.addUserKey('alice', makeKey().line);
    expect(
      (await call(`${emu.url}/user/keys/${k.id}`, { method: 'DELETE', headers: as('alice-readonly') }))
        .status,
    ).toBe(404);
    const ok = await call(`${emu.url}/user/keys/${k.id}`, { method: 'DELETE', headers: as('alice') });
    expect(ok.status).toBe(204);
    expect(ok.text).toBe('');
  });

  it("another user's key id is 404 on /user/keys/{id}", async () => {
    const k = emu.addUserKey('bob', makeKey().line);
    expect((await call(`${emu.url}/user/keys/${k.id}`, { headers: as('alice') })).status).toBe(404);
    expect(
      (await call(`${emu.url}/user/keys/${k.id}`, { method: 'DELETE', headers: as('alice') })).status,
    ).toBe(404);
    expect((await call(`${emu.url}/user/keys/${k.id}`, { headers: as('bob') })).status).toBe(200);
  });
});

describe('key bodies and validation', () => {
  it('stores `type base64` (comment stripped) and uses the comment as the title when none is given', async () => {
    const k = makeKey('ml@workstation');
    const r = await call(`${emu.url}/user/keys`, {
      method: 'POST',
      headers: as('alice'),
      body: { key: `  ${k.line}\n` },
    });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({
      key: k.bare,
      title: 'ml@workstation',
      read_only: false,
      verified: true,
      last_used: null,
    });
  });

  it('422 bodies: missing key, wrong types, invalid key, key in use', async () => {
    const post = (body: unknown, path = '/user/keys') =>
      call(`${emu.url}${path}`, { method: 'POST', headers: as('alice'), body });
    const missing = await post({ title: 'x' });
    expect(missing.status).toBe(422);
    expect((missing.json as { message: string }).message).toBe('Invalid request.\n\n"key" wasn\'t supplied.');
    const wrongType = await post({ key: makeKey().line, read_only: 'yes' }, '/repos/mlops/trainer/keys');
    expect(wrongType.status).toBe(422);
    expect((wrongType.json as { message: string }).message).toContain("For 'properties/read_only'");

    const invalid = await post({ key: 'ssh-rsa not-base64!' });
    expect(invalid.status).toBe(422);
    expect(invalid.json).toEqual({
      message: 'Validation Failed',
      errors: [
        {
          resource: 'PublicKey',
          code: 'custom',
          field: 'key',
          message:
            "key is invalid. It must begin with 'ssh-ed25519', 'ssh-rsa', 'ssh-dss', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', or 'ecdsa-sha2-nistp521'. Check that you're copying the public half of the key",
        },
      ],
      documentation_url:
        'https://docs.github.com/rest/users/keys#create-a-public-ssh-key-for-the-authenticated-user',
    });

    const k = makeKey();
    emu.addDeployKey('mlops/infra', k.line);
    const inUse = await post({ key: k.line }, '/repos/mlops/trainer/keys');
    expect(inUse.status).toBe(422);
    expect(inUse.json).toEqual({
      message: 'Validation Failed',
      errors: [{ resource: 'PublicKey', code: 'custom', field: 'key', message: 'key is already in use' }],
      documentation_url: 'https://docs.github.com/rest/deploy-keys#create-a-deploy-key',
    });
  });

  it('400 "Problems parsing JSON" for a body that is not JSON', async () => {
    const r = await call(`${emu.url}/user/keys`, { method: 'POST', headers: as('alice'), body: '{not json' });
    expect(r.status).toBe(400);
    expect((r.json as { message: string }).message).toBe('Problems parsing JSON');
  });

  it('the invalid-key message and a "status" field are knobs', async () => {
    await call(`${emu.url}/_sandbox/settings`, {
      method: 'POST',
      body: {
        invalidKeyMessage: 'Key is invalid. You must supply a key in OpenSSH public key format',
        errorStatusField: true,
      },
    });
    const r = await call(`${emu.url}/user/keys`, {
      method: 'POST',
      headers: as('alice'),
      body: { key: 'nope' },
    });
    expect(r.json).toMatchObject({
      status: '422',
      errors: [{ message: 'Key is invalid. You must supply a key in OpenSSH public key format' }],
    });
    const nf = await call(`${emu.url}/user/keys/999999`, { headers: as('alice') });
    expect((nf.json as { status: string }).status).toBe('404');
  });

  it('accepts ecdsa and rsa keys; refuses DSA (dropped by GitHub in 2022) and certificates', async () => {
    const post = (key: string) =>
      call(`${emu.url}/user/keys`, { method: 'POST', headers: as('alice'), body: { key } });
    for (const kind of ['ecdsa', 'rsa'] as const)
      expect((await post(makeKey('x', kind).line)).status).toBe(201);
    const dsa = await post(makeKey('x', 'dsa').line);
    expect(dsa.status).toBe(422);
    expect((dsa.json as { errors: { field: string }[] }).errors[0]?.field).toBe('key');
    const cert = makeCertificateLine(); // ssh-keygen is installed wherever these tests run (.ci/run)
    expect(cert).toMatch(/^ssh-ed25519-cert-v01@openssh.com /);
    expect((await post(cert!)).status).toBe(422);
  });
});

describe('pagination', () => {
  it('per_page default 30, max 100 (clamped); Link with next/last then prev/first, absolute URLs', async () => {
    for (const k of makeKeys(250)) emu.addUserKey('bob', k.line);
    const first = await call(`${emu.url}/user/keys`, { headers: as('bob') });
    expect((first.json as unknown[]).length).toBe(30);
    expect(first.headers.get('link')).toBe(
      `<${emu.url}/user/keys?page=2>; rel="next", <${emu.url}/user/keys?page=9>; rel="last"`,
    );
    const clamped = await call(`${emu.url}/user/keys?per_page=500&page=2`, { headers: as('bob') });
    expect((clamped.json as unknown[]).length).toBe(100);
    expect(clamped.headers.get('link')).toBe(
      `<${emu.url}/user/keys?per_page=500&page=1>; rel="prev", <${emu.url}/user/keys?per_page=500&page=3>; rel="next", ` +
        `<${emu.url}/user/keys?per_page=500&page=3>; rel="last", <${emu.url}/user/keys?per_page=500&page=1>; rel="first"`,
    );
    const last = await call(`${emu.url}/user/keys?per_page=100&page=3`, { headers: as('bob') });
    expect((last.json as unknown[]).length).toBe(50);
    expect(last.headers.get('link')).toBe(
      `<${emu.url}/user/keys?per_page=100&page=2>; rel="prev", <${emu.url}/user/keys?per_page=100&page=1>; rel="first"`,
    );
    const single = await call(`${emu.url}/users/alice/keys`);
    expect(single.headers.get('link')).toBeNull();
  });
});

describe('rate limits', () => {
  it('x-ratelimit-* on every response, including 404s and 401s', async () => {
    const r = await call(`${emu.url}/no/such/route`, { headers: as('alice') });
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    for (const h of ['limit', 'remaining', 'used', 'reset'])
      expect(r.headers.get(`x-ratelimit-${h}`)).toMatch(/^\d+$/);
    expect(r.headers.get('x-ratelimit-limit')).toBe('5000');
    expect(r.headers.get('x-ratelimit-resource')).toBe('core');
    const anon = await call(`${emu.url}/meta`);
    expect(anon.headers.get('x-ratelimit-limit')).toBe('60');
  });

  it('counts requests, exhausts to 403 with remaining 0 and the message, and resets', async () => {
    const a = await call(`${emu.url}/user`, { headers: as('ci-bot') });
    const b = await call(`${emu.url}/user`, { headers: as('ci-bot') });
    expect(Number(b.headers.get('x-ratelimit-used'))).toBe(Number(a.headers.get('x-ratelimit-used')) + 1);
    expect(Number(b.headers.get('x-ratelimit-remaining'))).toBe(
      Number(a.headers.get('x-ratelimit-remaining')) - 1,
    );

    await call(`${emu.url}/_sandbox/rate-limit`, { method: 'POST', body: { login: 'ci-bot', remaining: 0 } });
    const limited = await call(`${emu.url}/user`, { headers: as('ci-bot') });
    expect(limited.status).toBe(403);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.json).toEqual({
      message: 'API rate limit exceeded for user ID 1003.',
      documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
    });
    // Other users are unaffected.
    expect((await call(`${emu.url}/user`, { headers: as('bob') })).status).toBe(200);

    const reset = await call(`${emu.url}/_sandbox/rate-limit`, { method: 'POST', body: { reset: true } });
    expect((reset.json as Record<string, { remaining: number }>)['ci-bot']?.remaining).toBe(5000);
    expect((await call(`${emu.url}/user`, { headers: as('ci-bot') })).status).toBe(200);
  });

  it('a configurable limit applies to every user', async () => {
    await call(`${emu.url}/_sandbox/rate-limit`, { method: 'POST', body: { limit: 2, reset: true } });
    expect((await call(`${emu.url}/user`, { headers: as('bob') })).headers.get('x-ratelimit-limit')).toBe(
      '2',
    );
    await call(`${emu.url}/user`, { headers: as('bob') });
    expect((await call(`${emu.url}/user`, { headers: as('bob') })).status).toBe(403);
    await call(`${emu.url}/_sandbox/rate-limit`, { method: 'POST', body: { limit: 5000, reset: true } });
  });

  it('secondary limit: 403 (or 429) with retry-after and the secondary-limit message', async () => {
    await call(`${emu.url}/_sandbox/rate-limit`, {
      method: 'POST',
      body: { secondary: { count: 2, retryAfter: 30, status: 429 } },
    });
    for (let i = 0; i < 2; i++) {
      const r = await call(`${emu.url}/user/keys`, { headers: as('alice') });
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toBe('30');
      expect((r.json as { message: string }).message).toMatch(/^You have exceeded a secondary rate limit/);
    }
    expect((await call(`${emu.url}/user/keys`, { headers: as('alice') })).status).toBe(200);
  });

  it('304 responses carry the ETag and do not count', async () => {
    emu.addUserKey('alice', makeKey().line);
    const first = await call(`${emu.url}/user/keys`, { headers: as('alice') });
    const etag = first.headers.get('etag')!;
    const second = await call(`${emu.url}/user/keys`, { headers: { ...as('alice'), 'if-none-match': etag } });
    expect(second.status).toBe(304);
    expect(second.text).toBe('');
    expect(second.headers.get('etag')).toBe(etag);
    expect(second.headers.get('x-ratelimit-used')).toBe(first.headers.get('x-ratelimit-used'));
    emu.addUserKey('alice', makeKey().line);
    const changed = await call(`${emu.url}/user/keys`, {
      headers: { ...as('alice'), 'if-none-match': etag },
    });
    expect(changed.status).toBe(200);
  });
});

describe('meta, repos and faults', () => {
  it('GET /meta without host keys is still a valid ApiOverview', async () => {
    emu.setHostKeys([]);
    const r = await call(`${emu.url}/meta`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      verifiable_password_authentication: false,
      ssh_keys: [],
      ssh_key_fingerprints: {},
    });
  });

  it('PUT /_sandbox/host-keys publishes keys with unprefixed fingerprints', async () => {
    const ed = makeKey('h1');
    const ec = makeKey('h2', 'ecdsa');
    const put = await call(`${emu.url}/_sandbox/host-keys`, {
      method: 'PUT',
      body: { keys: [ed.line, ec.line] },
    });
    expect(put.status).toBe(200);
    const meta = (await call(`${emu.url}/meta`)).json as {
      ssh_keys: string[];
      ssh_key_fingerprints: Record<string, string>;
    };
    expect(meta.ssh_keys).toEqual([ed.bare, ec.bare]);
    expect(meta.ssh_key_fingerprints).toEqual({
      SHA256_ED25519: ed.fingerprint.slice(7),
      SHA256_ECDSA: ec.fingerprint.slice(7),
    });
    const bad = await call(`${emu.url}/_sandbox/host-keys`, { method: 'PUT', body: { keys: ['garbage'] } });
    expect(bad.status).toBe(400);
  });

  it('GET /repos/{o}/{r}: 200 with permissions for a collaborator, 404 for others and unknown repos', async () => {
    const r = await call(`${emu.url}/repos/mlops/datasets`, { headers: as('ci-bot') });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      full_name: 'mlops/datasets',
      private: true,
      permissions: { admin: false, pull: true, push: false },
    });
    expect((await call(`${emu.url}/repos/mlops/datasets`, { headers: as('bob') })).status).toBe(404);
    expect((await call(`${emu.url}/repos/mlops/datasets`)).status).toBe(404);
    expect((await call(`${emu.url}/repos/mlops/nope`, { headers: as('alice') })).status).toBe(404);
  });

  it('deploy-key endpoints need a token (401) and hide repos without admin (404)', async () => {
    expect((await call(`${emu.url}/repos/mlops/trainer/keys`)).status).toBe(401);
    const r = await call(`${emu.url}/repos/mlops/trainer/keys`, { headers: as('ci-bot') });
    expect(r.status).toBe(404);
    expect(r.json).toEqual({
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest/deploy-keys#list-deploy-keys',
    });
    const k = emu.addDeployKey('mlops/trainer', makeKey().line);
    expect((await call(`${emu.url}/repos/mlops/infra/keys/${k.id}`, { headers: as('alice') })).status).toBe(
      404,
    );
  });

  it('injected 5xx and 429 answer the next matching requests, then normal service resumes', async () => {
    await call(`${emu.url}/_sandbox/faults`, {
      method: 'POST',
      body: {
        inject: [
          { status: 502, count: 1, pathPrefix: '/user/keys' },
          { status: 429, count: 1, headers: { 'retry-after': '1' } },
        ],
      },
    });
    const a = await call(`${emu.url}/user/keys`, { headers: as('alice') });
    expect(a.status).toBe(502);
    const b = await call(`${emu.url}/user`, { headers: as('alice') });
    expect(b.status).toBe(429);
    expect(b.headers.get('retry-after')).toBe('1');
    expect((await call(`${emu.url}/user/keys`, { headers: as('alice') })).status).toBe(200);
  });

  it('a hung request never answers (the client times out); control endpoints are never hung', async () => {
    await call(`${emu.url}/_sandbox/faults`, {
      method: 'POST',
      body: { hang: [{ count: 1, pathPrefix: '/user' }] },
    });
    // The knob itself and other control endpoints keep answering.
    expect((await call(`${emu.url}/_sandbox/rate-limit`)).status).toBe(200);
    await expect(
      fetch(`${emu.url}/user`, { headers: as('alice'), signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow();
    expect((await call(`${emu.url}/user`, { headers: as('alice') })).status).toBe(200);
  });
});

describe('token and policy knobs', () => {
  it('deleting the token that created a deploy key deletes the key (GitHub §1.7)', async () => {
    const fresh = await startGithubEmulator();
    try {
      const k = makeKey();
      const revoked = fresh.token('alice');
      const made = await call(`${fresh.url}/repos/mlops/trainer/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fresh.token('alice')}` },
        body: { key: k.line },
      });
      const other = fresh.addDeployKey('mlops/trainer', makeKey().line);
      const del = await call(`${fresh.url}/_sandbox/tokens/alice`, { method: 'DELETE' });
      expect(del.json).toEqual({ deletedDeployKeys: [(made.json as { id: number }).id] });
      expect(fresh.state.keys.map((x) => x.id)).toEqual([other.id]);
      const gone = await call(`${fresh.url}/user`, { headers: { authorization: `Bearer ${revoked}` } });
      expect(gone.status).toBe(401);
      expect((gone.json as { message: string }).message).toBe('Bad credentials');
    } finally {
      await fresh.close();
    }
  });

  it('a deploy key disabled by policy shows enabled: false and no longer grants access', async () => {
    const k = makeKey();
    const key = emu.addDeployKey('mlops/trainer', k.line);
    const r = await call(`${emu.url}/_sandbox/deploy-keys/${key.id}`, {
      method: 'POST',
      body: { enabled: false },
    });
    expect(r.status).toBe(200);
    const got = await call(`${emu.url}/repos/mlops/trainer/keys/${key.id}`, { headers: as('alice') });
    expect(got.json).toMatchObject({ enabled: false });
    expect(emu.access(k.fingerprint, 'mlops/trainer')).toMatchObject({ allowed: false });
  });

  it("the root path is GitHub's 404 with rate-limit headers", async () => {
    const r = await call(`${emu.url}/`);
    expect(r.status).toBe(404);
    expect(r.headers.get('x-ratelimit-limit')).toBe('60');
  });
});
