/**
 * The GitHub emulator driven by the official client, @octokit/rest: if Octokit (and its
 * paginate and throttling plugins) works against it unchanged, the emulator speaks GitHub.
 */
import { Octokit } from '@octokit/rest';
import { throttling } from '@octokit/plugin-throttling';
import { RequestError } from '@octokit/request-error';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGithubEmulator, type GithubEmulator } from '../../src/sandbox/github/index.js';
import { makeKey, makeKeys } from './helpers.js';

let emu: GithubEmulator;
// Octokit logs every failed request; the failures here are the point of the tests.
const log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const client = (name = 'alice') => new Octokit({ baseUrl: emu.url, auth: emu.token(name), log });

beforeAll(async () => {
  emu = await startGithubEmulator();
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => emu.reset());

async function rejection(p: Promise<unknown>): Promise<RequestError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(RequestError);
    return err as RequestError;
  }
  throw new Error('expected the request to fail');
}

describe('user keys through Octokit', () => {
  it('creates, lists, gets and deletes a key; GitHub keeps `type base64` without the comment', async () => {
    const gh = client();
    const k = makeKey('laptop@alice');
    const created = await gh.rest.users.createPublicSshKeyForAuthenticatedUser({
      key: k.line,
      title: 'laptop',
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ key: k.bare, title: 'laptop', verified: true, read_only: false });
    expect(created.data.url).toBe(`${emu.url}/user/keys/${created.data.id}`);
    expect(created.data.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const list = await gh.rest.users.listPublicSshKeysForAuthenticatedUser();
    expect(list.data.map((x) => x.id)).toEqual([created.data.id]);
    const got = await gh.rest.users.getPublicSshKeyForAuthenticatedUser({ key_id: created.data.id });
    expect(got.data.key).toBe(k.bare);

    const del = await gh.rest.users.deletePublicSshKeyForAuthenticatedUser({ key_id: created.data.id });
    expect(del.status).toBe(204);
    const gone = await rejection(
      gh.rest.users.getPublicSshKeyForAuthenticatedUser({ key_id: created.data.id }),
    );
    expect(gone.status).toBe(404);
  });

  it('refuses a key registered anywhere (user or deploy key) with 422 "key is already in use"', async () => {
    const k = makeKey();
    await client('bob').rest.users.createPublicSshKeyForAuthenticatedUser({ key: k.line });
    const err = await rejection(
      client().rest.repos.createDeployKey({ owner: 'mlops', repo: 'trainer', key: k.line }),
    );
    expect(err.status).toBe(422);
    expect(err.response?.data).toEqual({
      message: 'Validation Failed',
      errors: [{ resource: 'PublicKey', code: 'custom', field: 'key', message: 'key is already in use' }],
      documentation_url: 'https://docs.github.com/rest/deploy-keys#create-a-deploy-key',
    });
    // The same key with another comment is the same key.
    const again = await rejection(
      client().rest.users.createPublicSshKeyForAuthenticatedUser({ key: `${k.bare} other-comment` }),
    );
    expect(again.status).toBe(422);
  });

  it('rejects an invalid key with 422, field key, code custom', async () => {
    const err = await rejection(
      client().rest.users.createPublicSshKeyForAuthenticatedUser({ key: 'ssh-ed25519 AAAAnotakey' }),
    );
    expect(err.status).toBe(422);
    const data = err.response?.data as { errors: { field: string; code: string; message: string }[] };
    expect(data.errors[0]).toMatchObject({ resource: 'PublicKey', field: 'key', code: 'custom' });
    expect(data.errors[0]?.message).toMatch(/^key is invalid/);
  });

  it('hides /user/keys writes from a read-only token with 404', async () => {
    const err = await rejection(
      client('alice-readonly').rest.users.createPublicSshKeyForAuthenticatedUser({ key: makeKey().line }),
    );
    expect(err.status).toBe(404);
    expect(err.response?.headers['x-accepted-oauth-scopes']).toBe('admin:public_key, write:public_key');
    expect(err.response?.headers['x-oauth-scopes']).toBe('read:public_key');
    // ...which can still read.
    const list = await client('alice-readonly').rest.users.listPublicSshKeysForAuthenticatedUser();
    expect(list.status).toBe(200);
  });

  it('paginates past 100 keys with octokit.paginate (Link rel="next")', async () => {
    for (const k of makeKeys(120)) emu.addUserKey('ci-bot', k.line);
    const gh = client('ci-bot');
    const all = await gh.paginate(gh.rest.users.listPublicSshKeysForAuthenticatedUser, { per_page: 100 });
    expect(all).toHaveLength(120);
    expect(new Set(all.map((k) => k.id)).size).toBe(120);
    const pub = await client('alice').paginate(client('alice').rest.users.listPublicKeysForUser, {
      username: 'ci-bot',
      per_page: 50,
    });
    expect(pub.map((k) => k.id)).toEqual(all.map((k) => k.id));
  });

  it("lists anyone's public keys without a token", async () => {
    const k = makeKey();
    emu.addUserKey('bob', k.line, 'bob laptop');
    const anon = new Octokit({ baseUrl: emu.url, log });
    const res = await anon.rest.users.listPublicKeysForUser({ username: 'bob' });
    expect(res.data).toEqual([{ id: expect.any(Number), key: k.bare, created_at: expect.any(String) }]);
    const missing = await rejection(anon.rest.users.listPublicKeysForUser({ username: 'nobody-here' }));
    expect(missing.status).toBe(404);
  });

  it('answers 304 to If-None-Match with the ETag it sent', async () => {
    const gh = client();
    emu.addUserKey('alice', makeKey().line);
    const first = await gh.rest.users.listPublicSshKeysForAuthenticatedUser();
    const etag = first.headers.etag;
    expect(etag).toMatch(/^W\/"[0-9a-f]{64}"$/);
    const err = await rejection(
      gh.rest.users.listPublicSshKeysForAuthenticatedUser({ headers: { 'if-none-match': etag! } }),
    );
    expect(err.status).toBe(304);
  });
});

describe('deploy keys through Octokit', () => {
  it('creates read-only and read/write keys, lists, gets and deletes them', async () => {
    const gh = client();
    const ro = makeKey();
    const rw = makeKey();
    const a = await gh.rest.repos.createDeployKey({
      owner: 'mlops',
      repo: 'trainer',
      key: ro.line,
      title: 'ci',
      read_only: true,
    });
    expect(a.status).toBe(201);
    expect(a.headers.location).toBe(`${emu.url}/repos/mlops/trainer/keys/${a.data.id}`);
    expect(a.data).toMatchObject({
      key: ro.bare,
      title: 'ci',
      read_only: true,
      added_by: 'alice',
      enabled: true,
      last_used: null,
    });
    const b = await gh.rest.repos.createDeployKey({ owner: 'mlops', repo: 'trainer', key: rw.line });
    expect(b.data.read_only).toBe(false); // omitted means read/write

    const list = await gh.rest.repos.listDeployKeys({ owner: 'mlops', repo: 'trainer' });
    expect(list.data.map((k) => k.id)).toEqual([a.data.id, b.data.id]);
    const got = await gh.rest.repos.getDeployKey({ owner: 'mlops', repo: 'trainer', key_id: b.data.id });
    expect(got.data.url).toBe(`${emu.url}/repos/mlops/trainer/keys/${b.data.id}`);
    await gh.rest.repos.deleteDeployKey({ owner: 'mlops', repo: 'trainer', key_id: a.data.id });
    const after = await gh.rest.repos.listDeployKeys({ owner: 'mlops', repo: 'trainer' });
    expect(after.data.map((k) => k.id)).toEqual([b.data.id]);
  });

  it('answers 404 to a collaborator who is not an admin, and for repos the token cannot see', async () => {
    const bob = client('bob');
    expect((await bob.rest.repos.get({ owner: 'mlops', repo: 'trainer' })).data.permissions).toMatchObject({
      admin: false,
      push: true,
    });
    expect((await rejection(bob.rest.repos.listDeployKeys({ owner: 'mlops', repo: 'trainer' }))).status).toBe(
      404,
    );
    expect((await rejection(bob.rest.repos.get({ owner: 'mlops', repo: 'infra' }))).status).toBe(404);
    // alice without the repo scope cannot see the private repo at all.
    expect(
      (await rejection(client('alice-readonly').rest.repos.get({ owner: 'mlops', repo: 'trainer' }))).status,
    ).toBe(404);
  });

  it('paginates deploy keys past 100', async () => {
    for (const k of makeKeys(105, 'dk')) emu.addDeployKey('mlops/datasets', k.line);
    const gh = client();
    const all = await gh.paginate(gh.rest.repos.listDeployKeys, {
      owner: 'mlops',
      repo: 'datasets',
      per_page: 100,
    });
    expect(all).toHaveLength(105);
  });
});

describe('meta, user and rate limits through Octokit', () => {
  it("GET /user names the token's login; /meta is a valid ApiOverview", async () => {
    expect((await client('ci-bot').rest.users.getAuthenticated()).data.login).toBe('ci-bot');
    const host = makeKey('host');
    emu.setHostKeys([host.line]);
    const meta = await new Octokit({ baseUrl: emu.url, log }).rest.meta.get();
    expect(meta.data.verifiable_password_authentication).toBe(false);
    expect(meta.data.ssh_keys).toEqual([host.bare]);
    expect(meta.data.ssh_key_fingerprints).toEqual({
      SHA256_ED25519: host.fingerprint.slice('SHA256:'.length),
    });
  });

  it('plugin-throttling waits for the reset after the primary limit is exhausted, then succeeds', async () => {
    const Throttled = Octokit.plugin(throttling);
    const seen: number[] = [];
    const gh = new Throttled({
      baseUrl: emu.url,
      auth: emu.token('alice'),
      log,
      throttle: {
        onRateLimit: (retryAfter: number) => {
          seen.push(retryAfter);
          return seen.length === 1;
        },
        onSecondaryRateLimit: () => false,
      },
    });
    emu.setRateLimit({ remaining: 0, resetInSeconds: 1 });
    const res = await gh.rest.users.listPublicSshKeysForAuthenticatedUser();
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(Number(res.headers['x-ratelimit-remaining'])).toBe(4999);
  });

  it('plugin-throttling sees a secondary limit and its retry-after', async () => {
    const Throttled = Octokit.plugin(throttling);
    const seen: number[] = [];
    const gh = new Throttled({
      baseUrl: emu.url,
      auth: emu.token('alice'),
      log,
      throttle: {
        onRateLimit: () => false,
        onSecondaryRateLimit: (retryAfter: number) => {
          seen.push(retryAfter);
          return false;
        },
      },
    });
    emu.setRateLimit({ secondary: { count: 1, retryAfter: 7 } });
    const err = await rejection(gh.rest.users.listPublicSshKeysForAuthenticatedUser());
    expect(err.status).toBe(403);
    expect(seen).toEqual([7]);
    // The knob answered once; the next request goes through.
    expect((await client().rest.users.listPublicSshKeysForAuthenticatedUser()).status).toBe(200);
  });
});
