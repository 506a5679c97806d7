/**
 * The GitLab dynamic providers' check/diff/create/read/update/delete, called directly (setMocks
 * never runs them) against the sandbox's GitLab emulator over HTTP. The providers find the
 * sandbox through KEYFLEET_PULUMI_SANDBOX, as a `pulumi up` would; "outside Pulumi" changes are
 * made with a separate adapter instance or plain HTTP.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRIVATE_KEY_GIVEN, parsePublicKey } from '../../src/keys/public-key.js';
import { GitlabPlatform } from '../../src/platforms/gitlab/adapter.js';
import { parseTarget } from '../../src/platforms/target.js';
import { gitlabDeployKeyProvider, gitlabUserKeyProvider } from '../../src/pulumi/providers/gitlab-key.js';
import { SANDBOX_ENV, UNKNOWN } from '../../src/pulumi/providers/impl/common.js';
import type { GitlabDeployKeyOutputs, GitlabUserKeyOutputs } from '../../src/pulumi/providers/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { ed25519, rsaPublic } from './helpers/keys.js';

// In-process: vite's import() loads the TypeScript implementation (the serialized form is tested in provider-serialization.test.ts).
const load = (url: string) => import(url);
const userKeys = gitlabUserKeyProvider(load);
const deployKeys = gitlabDeployKeyProvider(load);

/** What the engine passes as old inputs when a resource is created. */
const noOlds = {} as never;

let dir: string;
let sandbox: Sandbox;
let outside: GitlabPlatform;
let tokens: string[];
const FUTURE = '2031-01-01T00:00:00Z';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kf-'));
  const connectionFile = join(dir, 'sandbox.json');
  sandbox = await startSandbox({ connectionFile });
  process.env[SANDBOX_ENV] = connectionFile;
  const gl = sandbox.connection.gitlab!;
  outside = new GitlabPlatform({ url: gl.url, token: gl.token });
  tokens = Object.values(gl.tokens);
});

afterAll(async () => {
  delete process.env[SANDBOX_ENV];
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** No token of the sandbox appears anywhere in what the provider returns. */
function expectNoCredential(value: unknown): void {
  const text = JSON.stringify(value);
  for (const t of tokens) expect(text).not.toContain(t);
  expect(text).not.toMatch(/kfg[lhc]_/);
}

async function fingerprintsOn(target: string): Promise<string[]> {
  return (await outside.list(parseTarget(target))).map((k) => k.fingerprint);
}

describe('GitlabUserKey provider', () => {
  it('check: passes good inputs through, reports bad ones by property without echoing private keys', async () => {
    const key = ed25519();
    const ok = await userKeys.check!(noOlds, { key: `  ${key.publicKey}\n`, title: 'ci' });
    expect(ok).toEqual({ inputs: { key: key.publicKey, title: 'ci' }, failures: [] });

    const bad = await userKeys.check!(noOlds, {
      key: key.privateKey,
      title: '',
      userId: 'not a user!',
      expiresAt: '2001-01-01T00:00:00Z',
    });
    expect(bad.failures).toEqual([
      { property: 'key', reason: PRIVATE_KEY_GIVEN },
      { property: 'title', reason: 'a non-empty title is required' },
      { property: 'userId', reason: expect.stringMatching(/invalid target "gitlab:user\/not a user!"/) },
      { property: 'expiresAt', reason: expect.stringMatching(/in the past/) },
    ]);
    expect(JSON.stringify(bad)).not.toContain(key.privateKey.split('\n')[1]!);

    const forbidden = await userKeys.check!(noOlds, { key: rsaPublic(1024), title: 't' });
    expect(forbidden.failures).toEqual([
      { property: 'key', reason: expect.stringMatching(/^the key is forbidden: RSA key is 1024 bits/) },
    ]);

    // During preview the key of a generated tls.PrivateKey is not known yet.
    expect((await userKeys.check!(noOlds, { key: UNKNOWN, title: 't' })).failures).toEqual([]);
    // An expiry that has passed since it was set does not block later updates.
    expect(
      (
        await userKeys.check!({ expiresAt: '2001-01-01T00:00:00Z' } as never, {
          key: key.publicKey,
          title: 't',
          expiresAt: '2001-01-01T00:00:00Z',
        })
      ).failures,
    ).toEqual([]);
  });

  let created: { id: string; outs: GitlabUserKeyOutputs };
  const key = ed25519('ci@runner');

  it('create: adds the token’s own key and returns the inputs plus id, fingerprint and key id', async () => {
    const inputs = { key: key.publicKey, title: 'keyfleet/ci', expiresAt: FUTURE };
    created = (await userKeys.create(inputs)) as typeof created;
    expect(created.id).toBe(`gitlab:user#${created.outs.keyId}`);
    expect(created.outs).toEqual({
      ...inputs,
      target: 'gitlab:user',
      keyId: expect.stringMatching(/^\d+$/),
      fingerprint: key.fingerprint,
      adopted: false,
    });
    expect(await fingerprintsOn('gitlab:user')).toContain(key.fingerprint);
    expectNoCredential(created);
  });

  it('read: returns the same state; diff: by fingerprint, title changes replace delete-first, new keys create-first', async () => {
    const read = await userKeys.read!(created.id, created.outs);
    expect(read).toEqual({ id: created.id, props: created.outs });
    expectNoCredential(read);

    const same = { key: key.publicKey, title: 'keyfleet/ci', expiresAt: FUTURE };
    expect(await userKeys.diff!(created.id, created.outs, same)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    // GitLab rewrites comments: another comment on the same key is the same key.
    const otherComment = `${key.publicKey.split(' ').slice(0, 2).join(' ')} renamed@elsewhere`;
    expect((await userKeys.diff!(created.id, created.outs, { ...same, key: otherComment })).changes).toBe(
      false,
    );
    expect(await userKeys.diff!(created.id, created.outs, { ...same, title: 'new title' })).toEqual({
      changes: true,
      replaces: ['title'],
      deleteBeforeReplace: true,
    });
    expect(
      await userKeys.diff!(created.id, created.outs, {
        ...same,
        key: ed25519().publicKey,
        title: 'new title',
      }),
    ).toEqual({
      changes: true,
      replaces: ['key', 'title'],
      deleteBeforeReplace: false,
    });
    expect((await userKeys.diff!(created.id, created.outs, { ...same, key: UNKNOWN })).replaces).toEqual([
      'key',
    ]);
    expect(
      (await userKeys.diff!(created.id, created.outs, { ...same, expiresAt: '2031-01-01T00:00:00.000Z' }))
        .changes,
    ).toBe(false);
  });

  it('import: read works from the id alone', async () => {
    const read = await userKeys.read!(created.id);
    expect(read.id).toBe(created.id);
    expect(read.props).toMatchObject({
      target: 'gitlab:user',
      keyId: created.outs.keyId,
      fingerprint: key.fingerprint,
      title: 'keyfleet/ci',
    });
  });

  it('drift: a key deleted outside Pulumi reads as gone, and delete then succeeds (idempotent)', async () => {
    await outside.remove(parseTarget('gitlab:user'), created.outs.keyId);
    expect(await userKeys.read!(created.id, created.outs)).toEqual({ id: '' });
    await expect(userKeys.delete!(created.id, created.outs)).resolves.toBeUndefined();
    await expect(userKeys.delete!(created.id, created.outs)).resolves.toBeUndefined();
  });

  it('create adopts an identical key that is already there (same fingerprint, other comment)', async () => {
    const k = ed25519('first@comment');
    const before = await outside.add(parseTarget('gitlab:user'), parsePublicKey(k.publicKey), {
      title: 'added by hand',
    });
    const res = (await userKeys.create({
      key: k.publicKey.replace('first@comment', 'other@comment'),
      title: 'added by hand',
    })) as typeof created;
    expect(res.outs).toMatchObject({
      keyId: before.key.id,
      adopted: true,
      fingerprint: k.fingerprint,
      title: 'added by hand',
    });
    expect((await fingerprintsOn('gitlab:user')).filter((f) => f === k.fingerprint)).toHaveLength(1);
    // The adopted key's platform title is recorded as it is, so a different desired title shows as a change.
    const adoptedWithOtherTitle = await userKeys.read!(res.id, { ...res.outs, title: 'mine' });
    expect(adoptedWithOtherTitle.props?.title).toBe('added by hand');
    await userKeys.delete!(res.id, res.outs);
    expect(await fingerprintsOn('gitlab:user')).not.toContain(k.fingerprint);
  });

  it("places another user's key with the admin token and removes it again", async () => {
    const k = ed25519();
    const res = (await userKeys.create({
      key: k.publicKey,
      title: 'alice ci',
      userId: '2',
    })) as typeof created;
    expect(res.id).toBe(`gitlab:user/2#${res.outs.keyId}`);
    expect(await fingerprintsOn('gitlab:user/2')).toContain(k.fingerprint);
    await userKeys.delete!(res.id, res.outs);
    expect(await fingerprintsOn('gitlab:user/2')).not.toContain(k.fingerprint);
  });

  it('never takes a place it cannot see for "already removed": delete and read fail', async () => {
    const k = ed25519();
    const ghost: GitlabUserKeyOutputs = {
      key: k.publicKey,
      title: 't',
      userId: '9999',
      target: 'gitlab:user/9999',
      keyId: '1',
      fingerprint: k.fingerprint,
      adopted: false,
    };
    await expect(userKeys.delete!('gitlab:user/9999#1', ghost)).rejects.toThrow(/gitlab/i);
    await expect(userKeys.read!('gitlab:user/9999#1', ghost)).rejects.toThrow(/gitlab/i);
  });
});

describe('GitlabDeployKey provider', () => {
  const key = ed25519('deploy@ci');
  let created: { id: string; outs: GitlabDeployKeyOutputs };

  it('check: validates the project path and push flag', async () => {
    expect(
      (await deployKeys.check!(noOlds, { project: 'ml/trainer', key: key.publicKey, title: 't' })).failures,
    ).toEqual([]);
    const bad = await deployKeys.check!(noOlds, {
      project: 'trainer',
      key: key.publicKey,
      title: 't',
      canPush: 'yes' as never,
    });
    expect(bad.failures).toEqual([
      { property: 'project', reason: expect.stringMatching(/namespace and a project/) },
      { property: 'canPush', reason: 'must be true or false' },
    ]);
  });

  it('create: a read-only deploy key on the project', async () => {
    const inputs = { project: 'ml/trainer', key: key.publicKey, title: 'ci trainer' };
    created = (await deployKeys.create(inputs)) as typeof created;
    expect(created.id).toBe(`gitlab:project/ml/trainer#${created.outs.keyId}`);
    expect(created.outs).toEqual({
      ...inputs,
      target: 'gitlab:project/ml/trainer',
      keyId: expect.stringMatching(/^\d+$/),
      fingerprint: key.fingerprint,
      adopted: false,
    });
    const placed = (await outside.list(parseTarget('gitlab:project/ml/trainer'))).find(
      (k) => k.fingerprint === key.fingerprint,
    );
    expect(placed).toMatchObject({ readOnly: true, title: 'ci trainer' });
    expectNoCredential(created);
  });

  it('diff: title and push update in place; another expiry replaces delete-first; another project shares first', async () => {
    const same = { project: 'ml/trainer', key: key.publicKey, title: 'ci trainer' };
    expect(await deployKeys.diff!(created.id, created.outs, same)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await deployKeys.diff!(created.id, created.outs, { ...same, title: 'x', canPush: true })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await deployKeys.diff!(created.id, created.outs, { ...same, expiresAt: FUTURE })).toEqual({
      changes: true,
      replaces: ['expiresAt'],
      deleteBeforeReplace: true,
    });
    expect(await deployKeys.diff!(created.id, created.outs, { ...same, project: 'ml/datasets' })).toEqual({
      changes: true,
      replaces: ['project'],
      deleteBeforeReplace: false,
    });
  });

  it('update: changes title and push access with PUT, keeping the key', async () => {
    const news = { project: 'ml/trainer', key: key.publicKey, title: 'ci trainer (push)', canPush: true };
    const res = await deployKeys.update!(created.id, created.outs, news);
    expect(res.outs).toEqual({
      ...news,
      target: 'gitlab:project/ml/trainer',
      keyId: created.outs.keyId,
      fingerprint: key.fingerprint,
      adopted: false,
    });
    const placed = (await outside.list(parseTarget('gitlab:project/ml/trainer'))).find(
      (k) => k.fingerprint === key.fingerprint,
    );
    expect(placed).toMatchObject({ id: created.outs.keyId, readOnly: false, title: 'ci trainer (push)' });
    created = { id: created.id, outs: res.outs! };
  });

  it('drift: push access changed outside Pulumi is read back and shows as a change', async () => {
    const gl = sandbox.connection.gitlab!;
    const res = await fetch(
      `${gl.apiUrl}/projects/${encodeURIComponent('ml/trainer')}/deploy_keys/${created.outs.keyId}`,
      {
        method: 'PUT',
        headers: { 'private-token': gl.token, 'content-type': 'application/json' },
        body: JSON.stringify({ can_push: false }),
      },
    );
    expect(res.status).toBe(200);
    const read = await deployKeys.read!(created.id, created.outs);
    expect(read.props?.canPush).toBe(false);
    const diff = await deployKeys.diff!(created.id, read.props!, {
      project: 'ml/trainer',
      key: key.publicKey,
      title: 'ci trainer (push)',
      canPush: true,
    });
    expect(diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it('create on a second project shares the deploy key; deleting one leaves the other', async () => {
    const second = (await deployKeys.create({
      project: 'ml/datasets',
      key: key.publicKey,
      title: 'ci datasets',
    })) as typeof created;
    expect(second.outs.keyId).toBe(created.outs.keyId);
    await deployKeys.delete!(second.id, second.outs);
    expect(await fingerprintsOn('gitlab:project/ml/datasets')).not.toContain(key.fingerprint);
    expect(await fingerprintsOn('gitlab:project/ml/trainer')).toContain(key.fingerprint);
  });

  it('create adopts an identical deploy key already on the project and sets its push access', async () => {
    const k = ed25519();
    const before = await outside.add(
      parseTarget('gitlab:project/ml/platform/infra?push'),
      parsePublicKey(k.publicKey),
      { title: 'by hand' },
    );
    const res = (await deployKeys.create({
      project: 'ml/platform/infra',
      key: k.publicKey,
      title: 'by hand',
    })) as typeof created;
    expect(res.outs).toMatchObject({ keyId: before.key.id, adopted: true, title: 'by hand' });
    expect(res.outs.canPush).toBeUndefined(); // converged to the input: read-only
    const placed = (await outside.list(parseTarget('gitlab:project/ml/platform/infra'))).find(
      (x) => x.fingerprint === k.fingerprint,
    );
    expect(placed?.readOnly).toBe(true);
    await deployKeys.delete!(res.id, res.outs);
  });

  it('drift and idempotent delete: a key removed outside reads as gone; deleting it twice is fine', async () => {
    await outside.remove(parseTarget('gitlab:project/ml/trainer'), created.outs.keyId);
    expect(await deployKeys.read!(created.id, created.outs)).toEqual({ id: '' });
    await expect(deployKeys.delete!(created.id, created.outs)).resolves.toBeUndefined();
    await expect(deployKeys.delete!(created.id, created.outs)).resolves.toBeUndefined();
  });

  it('a token that may not see the deploy keys (403 Reporter, 404 non-member) fails read and delete and removes nothing', async () => {
    const k = ed25519();
    const res = (await deployKeys.create({
      project: 'ml/datasets',
      key: k.publicKey,
      title: 'visible to root',
    })) as typeof created;
    const conn = JSON.parse(readFileSync(process.env[SANDBOX_ENV]!, 'utf8')) as {
      gitlab: { token: string; tokens: Record<string, string> };
    };
    const rootFile = process.env[SANDBOX_ENV]!;
    try {
      for (const who of ['bob', 'carol']) {
        const file = join(dir, `sandbox-${who}.json`);
        writeFileSync(
          file,
          JSON.stringify({ ...conn, gitlab: { ...conn.gitlab, token: conn.gitlab.tokens[who] } }),
          { mode: 0o600 },
        );
        process.env[SANDBOX_ENV] = file;
        await expect(deployKeys.read!(res.id, res.outs)).rejects.toThrow(/gitlab/i);
        const failure = deployKeys.delete!(res.id, res.outs);
        await expect(failure).rejects.toThrow(/gitlab/i);
        await failure.catch((err: Error) => expectNoCredential(err.message));
      }
    } finally {
      process.env[SANDBOX_ENV] = rootFile;
    }
    expect(await fingerprintsOn('gitlab:project/ml/datasets')).toContain(k.fingerprint);
    await deployKeys.delete!(res.id, res.outs);
  });

  it('a project that does not exist (or cannot be seen) is an error, never "already removed"', async () => {
    const ghost = { ...created.outs, project: 'ml/missing', target: 'gitlab:project/ml/missing' };
    await expect(deployKeys.delete!('gitlab:project/ml/missing#1', ghost)).rejects.toThrow(/gitlab/i);
    await expect(deployKeys.read!('gitlab:project/ml/missing#1', ghost)).rejects.toThrow(/gitlab/i);
  });
});
