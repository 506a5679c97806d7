/**
 * The GitLab adapter against the sandbox's GitLab emulator over real HTTP on loopback:
 * idempotency, instance-wide uniqueness, enabling an existing deploy key, last-project deletion,
 * admin-only writes, visibility, pagination, 429 with Retry-After, faults, timeouts, redaction.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parsePublicKey } from '../../src/keys/public-key.js';
import { PlatformError } from '../../src/platforms/errors.js';
import { GitlabPlatform, type GitlabPlatformOptions } from '../../src/platforms/gitlab/adapter.js';
import { parseTarget } from '../../src/platforms/target.js';
import type { GitlabEmulator } from '../../src/sandbox/gitlab/index.js';
import { ed25519, ed25519Line } from './helpers.js';
import { setFaults, startTestSandbox, type TestSandbox } from './sandbox.js';

let sb: TestSandbox;
let emu: GitlabEmulator;

beforeAll(async () => {
  sb = await startTestSandbox();
  emu = sb.gitlab;
});
afterAll(async () => {
  await sb.stop();
});
beforeEach(async () => {
  emu.reset();
  await setFaults(emu.url, null);
});

function gl(tokenName: string | null = 'root', extra: Partial<GitlabPlatformOptions> = {}): GitlabPlatform {
  return new GitlabPlatform({
    url: emu.url,
    ...(tokenName ? { token: emu.token(tokenName) } : {}),
    retryBaseMs: 5,
    timeoutMs: 5000,
    ...extra,
  });
}

async function failure(p: Promise<unknown>): Promise<PlatformError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PlatformError);
    return err as PlatformError;
  }
  throw new Error('expected a PlatformError, got success');
}

const USER = parseTarget('gitlab:user');
const TRAINER = parseTarget('gitlab:project/ml/trainer');
const TRAINER_PUSH = parseTarget('gitlab:project/ml/trainer?push');
const DATASETS = parseTarget('gitlab:project/ml/datasets');
const INFRA = parseTarget('gitlab:project/ml/platform/infra');

describe('gitlab:user', () => {
  it('adds once, then present; GitLab rewrites the comment but the fingerprint matches', async () => {
    const p = gl('alice');
    const line = ed25519Line('laptop@alice');
    const key = parsePublicKey(line);
    const expires = new Date(Date.now() + 30 * 86_400_000);
    const first = await p.add(USER, key, { title: 'laptop', expiresAt: expires });
    expect(first.status).toBe('added');
    expect(first.key.publicKey).toContain('Alice Liddell');
    expect(first.key.publicKey).not.toContain('laptop@alice');
    expect(first.key.fingerprint).toBe(key.fingerprint);
    expect(Date.parse(first.key.expiresAt!)).toBe(expires.getTime());

    const again = await p.add(USER, parsePublicKey(line.replace('laptop@alice', 'renamed')));
    expect(again.status).toBe('present');
    expect(again.key.id).toBe(first.key.id);
    expect((await p.list(USER)).map((k) => k.title)).toEqual(['laptop']);
  });

  it('a key already there with another expiry is present, with a warning that --expires was not applied', async () => {
    const p = gl('alice');
    const key = ed25519();
    const at = new Date(Date.now() + 86_400_000);
    await p.add(USER, key, { expiresAt: at });
    expect((await p.add(USER, key, { expiresAt: new Date(at.getTime()) })).warnings).toEqual([]);
    const other = await p.add(USER, key, { expiresAt: new Date(at.getTime() + 86_400_000) });
    expect(other.status).toBe('present');
    expect(other.warnings.join()).toMatch(/--expires was not applied/);
  });

  it('removes once, then absent', async () => {
    const p = gl('alice');
    const added = await p.add(USER, ed25519());
    expect((await p.remove(USER, added.key.id)).status).toBe('removed');
    const again = await p.remove(USER, added.key.id);
    expect(again.status).toBe('absent');
    expect(again.notes.join()).toMatch(/nothing to do/);
  });

  it('dry runs change nothing', async () => {
    const p = gl('alice');
    expect((await p.add(USER, ed25519(), { dryRun: true })).status).toBe('would-add');
    expect(await p.list(USER)).toEqual([]);
    const k = emu.addUserKey('alice', ed25519Line());
    expect((await p.remove(USER, String(k.id), { dryRun: true })).status).toBe('would-remove');
    expect(await p.list(USER)).toHaveLength(1);
  });

  it('finds by SHA256 and MD5', async () => {
    const p = gl('alice');
    const key = ed25519();
    await p.add(USER, key);
    expect(await p.findByFingerprint(USER, key.fingerprint)).toHaveLength(1);
    expect(await p.findByFingerprint(USER, key.md5)).toHaveLength(1);
  });

  it('a key registered by another user is refused with who holds it (admin lookup)', async () => {
    const key = ed25519();
    emu.addUserKey('alice', ed25519LineOf(key));
    const err = await failure(gl('root').add(USER, key));
    expect(err.code).toBe('KEY_IN_USE');
    expect(err.status).toBe(400);
    expect(err.platformMessage).toMatch(/has already been taken/);
    expect(err.hint).toMatch(/once on the whole instance/);
    expect(err.hint).toMatch(/already a user key of @alice/);
  });

  it('without admin rights the hint says the key is where this token cannot see it', async () => {
    const key = ed25519();
    emu.addUserKey('bob', ed25519LineOf(key));
    const err = await failure(gl('alice').add(USER, key));
    expect(err.code).toBe('KEY_IN_USE');
    expect(err.hint).toMatch(/where this token cannot see it/);
  });

  it('a read-only token can list but not add (insufficient scope)', async () => {
    emu.addUserKey('alice', ed25519Line());
    const ro = gl('alice-read');
    expect(await ro.list(USER)).toHaveLength(1);
    const err = await failure(ro.add(USER, ed25519()));
    expect(err.status).toBe(403);
    expect(err.hint).toMatch(/scopes are not enough.*api/);
  });

  it('needs a token, and a bad token is a 401 with a hint', async () => {
    const none = await failure(gl(null).list(USER));
    expect(none.code).toBe('NO_TOKEN');
    expect(none.message).toMatch(/GITLAB_TOKEN/);
    const bad = new GitlabPlatform({ url: emu.url, token: 'kfgl_notavalidtoken00000000000', retryBaseMs: 5 });
    const err = await failure(bad.list(USER));
    expect(err.status).toBe(401);
    expect(err.hint).toMatch(/rejected the token/);
    expect(err.message).not.toContain('kfgl_notavalidtoken00000000000');
  });
});

describe('gitlab:user/ID_OR_USERNAME', () => {
  it('an admin adds and removes keys for a user named by username or id', async () => {
    const p = gl('root');
    const byName = parseTarget('gitlab:user/bob');
    const added = await p.add(byName, ed25519(), { title: 'bob laptop' });
    expect(added.status).toBe('added');
    expect((await p.list(parseTarget('gitlab:user/3'))).map((k) => k.id)).toEqual([added.key.id]);
    expect((await p.add(parseTarget('gitlab:user/3'), parsePublicKey(added.key.publicKey))).status).toBe(
      'present',
    );
    expect((await p.remove(byName, added.key.id)).status).toBe('removed');
    expect((await p.remove(byName, added.key.id)).status).toBe('absent');
  });

  it('anyone may list, without a token', async () => {
    emu.addUserKey('bob', ed25519Line());
    expect(await gl(null).list(parseTarget('gitlab:user/bob'))).toHaveLength(1);
  });

  it('a non-admin token gets a clear "admin token needed" error on add and remove', async () => {
    const k = emu.addUserKey('bob', ed25519Line());
    const add = await failure(gl('alice').add(parseTarget('gitlab:user/bob'), ed25519()));
    expect(add.status).toBe(403);
    expect(add.hint).toMatch(/needs a GitLab administrator token/);
    const rm = await failure(gl('alice').remove(parseTarget('gitlab:user/bob'), String(k.id)));
    expect(rm.status).toBe(403);
    expect(rm.hint).toMatch(/administrator token/);
    expect(emu.state.keys).toHaveLength(1);
  });

  it('an unknown username is a clear error', async () => {
    const err = await failure(gl('root').add(parseTarget('gitlab:user/nobody'), ed25519()));
    expect(err.status).toBe(404);
    const err2 = await failure(gl('root').remove(parseTarget('gitlab:user/nobody'), '1'));
    expect(err2.message).toMatch(/no GitLab user named "nobody"/);
  });
});

describe('gitlab:project deploy keys', () => {
  it('creates with can_push from ?push, and is idempotent', async () => {
    const p = gl('alice');
    const key = ed25519();
    const a = await p.add(TRAINER_PUSH, key, { title: 'ci' });
    expect(a.status).toBe('added');
    expect(a.key.readOnly).toBe(false);
    const b = await p.add(TRAINER_PUSH, key);
    expect(b.status).toBe('present');
    expect(b.key.id).toBe(a.key.id);
    const ro = await p.add(INFRA, ed25519());
    expect(ro.key.readOnly).toBe(true);
  });

  it('a deploy key that exists in another project is enabled here, not re-created (with a note)', async () => {
    const p = gl('root');
    const key = ed25519();
    const first = await p.add(TRAINER, key, { title: 'shared' });
    const second = await p.add(parseTarget('gitlab:project/ml/datasets?push'), key);
    expect(second.status).toBe('added');
    expect(second.key.id).toBe(first.key.id);
    expect(second.key.readOnly).toBe(false);
    expect(second.notes?.join()).toMatch(
      new RegExp(`enabled the existing deploy key ${first.key.id} on gitlab:project/ml/datasets`),
    );
    expect(emu.state.keys).toHaveLength(1);
    expect(emu.state.links).toHaveLength(2);

    // A dry run says it would enable it.
    const dry = await p.add(INFRA, key, { dryRun: true });
    expect(dry.status).toBe('would-add');
    expect(dry.notes?.join()).toMatch(/would enable the existing deploy key/);
    expect(emu.state.links).toHaveLength(2);
  });

  it('a non-admin maintainer re-using a deploy key finds it (project_deploy_keys) and enables it, with a note', async () => {
    const p = gl('alice');
    const key = ed25519();
    const first = await p.add(TRAINER, key);
    // The dry run already finds it without the admin lookup.
    const dry = await p.add(DATASETS, key, { dryRun: true });
    expect(dry.status).toBe('would-add');
    expect(dry.notes?.join()).toMatch(
      new RegExp(`would enable the existing deploy key ${first.key.id} on gitlab:project/ml/datasets`),
    );
    expect(emu.state.links).toHaveLength(1);

    const second = await p.add(parseTarget('gitlab:project/ml/datasets?push'), key);
    expect(second.status).toBe('added');
    expect(second.key.id).toBe(first.key.id);
    expect(second.key.readOnly).toBe(false);
    expect(second.notes?.join()).toMatch(
      new RegExp(`enabled the existing deploy key ${first.key.id} on gitlab:project/ml/datasets`),
    );
    expect(emu.state.keys).toHaveLength(1);
    expect(emu.state.links.map((l) => [l.projectId, l.canPush])).toEqual([
      [101, false],
      [102, true],
    ]);
  });

  it('removing from one project keeps the key; from its last project notes that GitLab deleted it', async () => {
    const p = gl('root');
    const key = ed25519();
    const a = await p.add(TRAINER, key);
    await p.add(DATASETS, key);
    const r1 = await p.remove(DATASETS, a.key.id);
    expect(r1).toEqual({ status: 'removed', notes: [] });
    const dry = await p.remove(TRAINER, a.key.id, { dryRun: true });
    expect(dry.status).toBe('would-remove');
    expect(dry.notes.join()).toMatch(/last project: GitLab would delete the deploy key/);
    const r2 = await p.remove(TRAINER, a.key.id);
    expect(r2.status).toBe('removed');
    expect(r2.notes).toEqual(['this was its last project: GitLab deleted the key']);
    expect(emu.state.keys).toHaveLength(0);
    const r3 = await p.remove(TRAINER, a.key.id);
    expect(r3.status).toBe('absent');
  });

  it('a user key cannot become a deploy key: refused before any write', async () => {
    const key = ed25519();
    emu.addUserKey('alice', ed25519LineOf(key));
    const err = await failure(gl('root').add(TRAINER, key));
    expect(err.code).toBe('KEY_IN_USE');
    expect(err.hint).toMatch(/already a user key of @alice; use a separate key for the deploy key/);
    expect(emu.state.links).toHaveLength(0);
  });

  it('a Reporter cannot manage deploy keys: 403 on list and add, "cannot see" on remove', async () => {
    const { key } = emu.addDeployKey('ml/trainer', ed25519Line());
    const bob = gl('bob');
    const list = await failure(bob.list(TRAINER));
    expect(list.status).toBe(403);
    expect(list.hint).toMatch(/Maintainer role/);
    const add = await failure(bob.add(TRAINER, ed25519()));
    expect(add.status).toBe(403);
    const rm = await failure(bob.remove(TRAINER, String(key.id)));
    expect(rm.code).toBe('NOT_VISIBLE');
    expect(rm.hint).toMatch(/nothing was removed and the key may still be registered/);
    expect(emu.state.links).toHaveLength(1);
  });

  it('a non-member gets 404 that is never taken as "gone"', async () => {
    const { key } = emu.addDeployKey('ml/trainer', ed25519Line());
    const err = await failure(gl('carol').remove(TRAINER, String(key.id)));
    expect(err.code).toBe('NOT_VISIBLE');
    expect(err.status).toBe(404);
    expect(emu.state.keys).toHaveLength(1);
  });

  it('updateDeployKey changes the title and push access in place (PUT), keeping the key', async () => {
    const p = gl('alice');
    const added = await p.add(TRAINER, ed25519(), { title: 'ci' });
    const updated = await p.updateDeployKey(TRAINER, added.key.id, { title: 'ci (push)', canPush: true });
    expect(updated).toMatchObject({
      id: added.key.id,
      fingerprint: added.key.fingerprint,
      title: 'ci (push)',
      readOnly: false,
      target: 'gitlab:project/ml/trainer',
    });
    const stored = emu.state.keys.find((k) => String(k.id) === added.key.id)!;
    expect(stored.title).toBe('ci (push)');
    expect(emu.state.links).toEqual([expect.objectContaining({ projectId: 101, canPush: true })]);

    // One field at a time; the other stays.
    const ro = await p.updateDeployKey(TRAINER, added.key.id, { canPush: false });
    expect(ro).toMatchObject({ title: 'ci (push)', readOnly: true });
    expect(emu.state.links[0]!.canPush).toBe(false);
    expect(emu.state.keys).toHaveLength(1);
  });

  it('updateDeployKey: a key not on the project is a PlatformError (404); bad arguments are usage errors', async () => {
    const p = gl('alice');
    const { key } = emu.addDeployKey('ml/trainer', ed25519Line());
    const missing = await failure(p.updateDeployKey(DATASETS, String(key.id), { title: 'x' }));
    expect(missing.status).toBe(404);
    expect(missing.message).toMatch(/update deploy key \d+ on gitlab:project\/ml\/datasets/);
    expect(missing.hint).toMatch(/cannot see/);
    // A Reporter may not edit: 403 naming the role needed; nothing changes.
    const denied = await failure(gl('bob').updateDeployKey(TRAINER, String(key.id), { canPush: true }));
    expect(denied.status).toBe(403);
    expect(denied.hint).toMatch(/Maintainer role/);
    expect(emu.state.links[0]!.canPush).toBe(false);
    expect(key.title).toBe('deploy key');

    await expect(p.updateDeployKey(USER, '1', { title: 'x' })).rejects.toThrow(UsageError);
    await expect(p.updateDeployKey(TRAINER, 'abc', { title: 'x' })).rejects.toThrow(UsageError);
    await expect(p.updateDeployKey(TRAINER, String(key.id), {})).rejects.toThrow(UsageError);
    // The title belongs to the key's creator (root here): GitLab keeps it, push access still changes.
    const kept = await p.updateDeployKey(TRAINER, String(key.id), { title: 'mine now', canPush: true });
    expect(kept).toMatchObject({ title: 'deploy key', readOnly: false });
  });

  it('passes --expires as expires_at', async () => {
    const at = new Date(Date.now() + 7 * 86_400_000);
    const r = await gl('alice').add(INFRA, ed25519(), { expiresAt: at });
    expect(Date.parse(r.key.expiresAt!)).toBe(at.getTime());
  });
});

describe('pagination, rate limits and faults', () => {
  it('lists past 100 keys', async () => {
    for (let i = 0; i < 130; i++) emu.addUserKey('alice', ed25519Line(`k${i}`), { title: `k${i}` });
    const keys = await gl('alice').list(USER);
    expect(keys).toHaveLength(130);
    expect(new Set(keys.map((k) => k.id)).size).toBe(130);
    expect(await gl(null).list(parseTarget('gitlab:user/alice'))).toHaveLength(130);
  });

  it('honours 429 Retry-After when short', async () => {
    emu.setRateLimit({ count: 1, retryAfter: 1 });
    const waits: string[] = [];
    expect(await gl('alice', { onWait: (m) => waits.push(m) }).list(USER)).toEqual([]);
    expect(waits.join()).toMatch(/GitLab rate limit reached on GET .*waiting 1s/);
  });

  it('gives up on a long Retry-After with a clear message', async () => {
    emu.setRateLimit({ count: 5, retryAfter: 3600 });
    const err = await failure(gl('alice', { maxRateLimitWaitSeconds: 60 }).list(USER));
    expect(err.code).toBe('RATE_LIMIT');
    expect(err.status).toBe(429);
    expect(err.hint).toMatch(/GitLab asks to wait 3600s/);
  });

  it('retries injected 5xx and gives up after the bound', async () => {
    await setFaults(emu.url, { inject: [{ status: 502, count: 2, pathPrefix: '/api/v4/user/keys' }] });
    expect(await gl('alice').list(USER)).toEqual([]);
    await setFaults(emu.url, { inject: [{ status: 503, count: 50, pathPrefix: '/api/v4/user/keys' }] });
    const err = await failure(gl('alice', { retries: 2 }).list(USER));
    expect(err.status).toBe(503);
    expect(err.hint).toMatch(/server error/);
  });

  it('an injected 429 without headers is retried', async () => {
    await setFaults(emu.url, { inject: [{ status: 429, count: 1, pathPrefix: '/api/v4/user/keys' }] });
    expect((await gl('alice').add(USER, ed25519())).status).toBe('added');
  });

  it('a hung request times out with a clear error', async () => {
    await setFaults(emu.url, { hang: [{ count: 10, pathPrefix: '/api/v4/user/keys' }] });
    const err = await failure(gl('alice', { timeoutMs: 200, retries: 1 }).list(USER));
    expect(err.code).toBe('TIMEOUT');
    expect(err.platformMessage).toMatch(/no answer within 0.2s/);
  });
});

describe('secrets', () => {
  it('no token appears in any error', async () => {
    const errs: PlatformError[] = [];
    errs.push(await failure(gl('alice-read').add(USER, ed25519())));
    errs.push(await failure(gl('bob').remove(TRAINER, '5')));
    errs.push(await failure(gl('alice').add(parseTarget('gitlab:user/bob'), ed25519())));
    const tokens = Object.values(emu.connectionInfo().tokens);
    for (const e of errs) {
      for (const t of tokens) {
        expect(e.message).not.toContain(t);
        expect(JSON.stringify(e)).not.toContain(t);
      }
    }
  });
});

function ed25519LineOf(key: ReturnType<typeof ed25519>): string {
  return `${key.type} ${key.blob.toString('base64')} ${key.comment}`;
}
