/**
 * The GitLab emulator driven by the official client, @gitbeaker/rest: user keys, admin keys for
 * other users, key lookup, deploy keys (create/link/enable/edit/remove) and pagination.
 */
import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitlabEmulator, type GitlabEmulator } from '../../src/sandbox/gitlab/index.js';
import { makeKey, makeKeys } from './helpers.js';

let emu: GitlabEmulator;
const api = (name = 'root') => new Gitlab({ host: emu.url, token: emu.token(name) });

beforeAll(async () => {
  emu = await startGitlabEmulator();
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => emu.reset());

interface GbError {
  cause?: { description?: string; response?: Response };
}
async function failure(p: Promise<unknown>): Promise<{ status: number; description: string }> {
  try {
    await p;
  } catch (err) {
    const cause = (err as GbError).cause;
    return { status: cause?.response?.status ?? -1, description: cause?.description ?? String(err) };
  }
  throw new Error('expected the request to fail');
}

describe('user keys through gitbeaker', () => {
  it('creates, lists and removes the token\'s own keys; the comment is rewritten to "<name> (<host>)"', async () => {
    const gl = api('alice');
    const k = makeKey('laptop@alice');
    const created = await gl.UserSSHKeys.create('laptop', k.line, {
      expiresAt: '2099-01-01',
      usageType: 'auth',
    });
    expect(created).toMatchObject({
      title: 'laptop',
      key: `${k.bare} Alice Liddell (127.0.0.1)`,
      expires_at: '2099-01-01T00:00:00.000Z',
      usage_type: 'auth',
    });
    const all = await gl.UserSSHKeys.all();
    expect(all.map((x) => x.id)).toEqual([created.id]);
    const shown = await gl.UserSSHKeys.show(created.id);
    expect(shown.title).toBe('laptop');
    await gl.UserSSHKeys.remove(created.id);
    expect(await gl.UserSSHKeys.all()).toEqual([]);
  });

  it('admin adds and removes keys for another user; non-admins get 403', async () => {
    const k = makeKey();
    const made = await api('root').UserSSHKeys.create('for bob', k.line, { userId: 3 });
    expect(made.key).toBe(`${k.bare} Bob Baker (127.0.0.1)`);
    expect((await api('bob').UserSSHKeys.all()).map((x) => x.id)).toEqual([made.id]);
    // Anyone may read a user's keys, by id or username.
    expect((await api('alice').UserSSHKeys.all({ userId: 3 })).map((x) => x.id)).toEqual([made.id]);
    const denied = await failure(api('alice').UserSSHKeys.create('x', makeKey().line, { userId: 3 }));
    expect(denied).toEqual({ status: 403, description: '403 Forbidden' });
    const denied2 = await failure(api('alice').UserSSHKeys.remove(made.id, { userId: 3 }));
    expect(denied2.status).toBe(403);
    await api('root').UserSSHKeys.remove(made.id, { userId: 3 });
    expect(await api('bob').UserSSHKeys.all()).toEqual([]);
  });

  it('a duplicate fingerprint is 400 fingerprint_sha256 "has already been taken"', async () => {
    const k = makeKey();
    await api('alice').UserSSHKeys.create('one', k.line);
    const dup = await failure(api('bob').UserSSHKeys.create('two', `${k.bare} another-comment`));
    expect(dup).toEqual({
      status: 400,
      description: JSON.stringify({ fingerprint_sha256: ['has already been taken'] }),
    });
  });

  it('Keys.show by id returns the key with its user (admin)', async () => {
    const k = emu.addUserKey('alice', makeKey().line, { title: 'a' });
    const shown = (await api('root').Keys.show({ keyId: k.id })) as unknown as {
      id: number;
      user: { username: string };
    };
    expect(shown.id).toBe(k.id);
    expect(shown.user.username).toBe('alice');
    expect((await failure(api('alice').Keys.show({ keyId: k.id }))).status).toBe(403);
  });

  it('gitbeaker 43 drops the fingerprint query of Keys.show; the emulator answers as GitLab would', async () => {
    // Keys.show({ fingerprint }) builds `keys?fingerprint=…` and then overwrites the query string,
    // so GitLab receives GET /keys without the parameter. Adapters must send the query themselves.
    const k = makeKey();
    emu.addUserKey('alice', k.line);
    const res = await failure(api('root').Keys.show({ fingerprint: k.fingerprint }));
    expect(res).toEqual({ status: 400, description: 'fingerprint is missing' });
  });

  it('follows Link through every page past 100 keys', async () => {
    for (const k of makeKeys(130)) emu.addUserKey('bob', k.line);
    const all = await api('bob').UserSSHKeys.all(); // 20 per page: seven requests
    expect(all).toHaveLength(130);
    expect(new Set(all.map((k) => k.id)).size).toBe(130);
  });
});

describe('deploy keys through gitbeaker', () => {
  it('creates on a project by path (ml/platform/infra), lists, shows, edits and removes', async () => {
    const gl = api('alice');
    const k = makeKey('ci@infra');
    const created = await gl.DeployKeys.create('ml/platform/infra', 'ci', k.line, { canPush: false });
    expect(created).toMatchObject({
      title: 'ci',
      key: k.line,
      can_push: false,
      fingerprint: k.md5,
      fingerprint_sha256: k.fingerprint.slice('SHA256:'.length),
    });
    const list = await gl.DeployKeys.all({ projectId: 'ml/platform/infra' });
    expect(list.map((x) => x.id)).toEqual([created.id]);
    const shown = await gl.DeployKeys.show(103, created.id);
    expect(shown.id).toBe(created.id);
    const edited = await gl.DeployKeys.edit('ml/platform/infra', created.id, {
      canPush: true,
      title: 'ci push',
    });
    expect(edited).toMatchObject({ can_push: true, title: 'ci push' });
    await gl.DeployKeys.remove('ml/platform/infra', created.id);
    expect(await gl.DeployKeys.all({ projectId: 103 })).toEqual([]);
    // It was the key's last project: the key is gone from the instance.
    expect((await failure(api('root').Keys.show({ keyId: created.id }))).status).toBe(404);
  });

  it('the same key posted to a second project is linked, not re-created; enable works by id', async () => {
    const gl = api('alice');
    const k = makeKey('shared');
    const first = await gl.DeployKeys.create('ml/trainer', 'shared', k.line);
    const second = await gl.DeployKeys.create('ml/datasets', 'ignored title', k.line, { canPush: true });
    expect(second.id).toBe(first.id);
    expect(second).toMatchObject({ title: 'shared', can_push: true });
    const enabled = await gl.DeployKeys.enable('ml/platform/infra', first.id);
    expect(enabled.id).toBe(first.id);
    expect(enabled).not.toHaveProperty('can_push');
    // Removing it from one project keeps it on the others.
    await gl.DeployKeys.remove('ml/trainer', first.id);
    expect((await gl.DeployKeys.all({ projectId: 'ml/datasets' })).map((x) => x.id)).toEqual([first.id]);
    // GET /deploy_keys (admin) shows where it is, by access.
    const all = (await api('root').DeployKeys.all()) as unknown as {
      id: number;
      projects_with_write_access: { path_with_namespace: string }[];
      projects_with_readonly_access: { path_with_namespace: string }[];
    }[];
    expect(all).toHaveLength(1);
    expect(all[0]!.projects_with_write_access.map((p) => p.path_with_namespace)).toEqual(['ml/datasets']);
    expect(all[0]!.projects_with_readonly_access.map((p) => p.path_with_namespace)).toEqual([
      'ml/platform/infra',
    ]);
  });

  it('DeployKeys.all({ userId }) lists the deploy keys of projects in common (GET /users/:id/project_deploy_keys)', async () => {
    const a = emu.addDeployKey('ml/trainer', makeKey().line).key;
    const b = emu.addDeployKey('ml/platform/infra', makeKey().line).key;
    const keys = await api('alice').DeployKeys.all({ userId: 2, perPage: 100 });
    expect(keys.map((k) => k.id)).toEqual([a.id, b.id]);
    expect(keys[0]).toMatchObject({ key: a.key, fingerprint_sha256: a.fingerprintSha256 });
    expect(await failure(api('carol').DeployKeys.all({ userId: 2 }))).toEqual({
      status: 403,
      description: '403 Forbidden - No common authorized project found',
    });
  });

  it('a Reporter (bob) gets 403; a non-member (carol) gets 404 Project Not Found', async () => {
    expect(await failure(api('bob').DeployKeys.all({ projectId: 'ml/trainer' }))).toEqual({
      status: 403,
      description: '403 Forbidden',
    });
    expect(await failure(api('carol').DeployKeys.create('ml/trainer', 't', makeKey().line))).toEqual({
      status: 404,
      description: '404 Project Not Found',
    });
  });

  it('a key already used as a user key is refused as deploy_key.fingerprint_sha256', async () => {
    const k = makeKey();
    emu.addUserKey('alice', k.line);
    const res = await failure(api('alice').DeployKeys.create('ml/trainer', 'dk', k.line));
    expect(res).toEqual({
      status: 400,
      description: JSON.stringify({ 'deploy_key.fingerprint_sha256': ['has already been taken'] }),
    });
  });

  it('paginates deploy keys with perPage, maxPages and showExpanded', async () => {
    for (const k of makeKeys(130, 'dk')) emu.addDeployKey('ml/trainer', k.line);
    const gl = api('alice');
    expect(await gl.DeployKeys.all({ projectId: 'ml/trainer', perPage: 100 })).toHaveLength(130);
    expect(await gl.DeployKeys.all({ projectId: 'ml/trainer', perPage: 20, maxPages: 2 })).toHaveLength(40);
    const expanded = await gl.DeployKeys.all({ projectId: 101, perPage: 50, page: 2, showExpanded: true });
    expect(expanded.data).toHaveLength(50);
    expect(expanded.paginationInfo).toEqual({
      total: 130,
      next: 3,
      current: 2,
      previous: 1,
      perPage: 50,
      totalPages: 3,
    });
  });

  it('retries 429 as gitbeaker does, and gives up after its bound', async () => {
    emu.setRateLimit({ count: 2, retryAfter: 1 });
    expect(await api('alice').UserSSHKeys.all()).toEqual([]);
    emu.setRateLimit({ count: 50, retryAfter: 1 });
    const err = await api('alice')
      .UserSSHKeys.all()
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(err?.message).toMatch(/last status code: 429/);
    emu.setRateLimit({ reset: true });
  });
});
