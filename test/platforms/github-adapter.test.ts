/**
 * The GitHub adapter against the sandbox's GitHub emulator over real HTTP on loopback: every
 * behaviour of the platform contract (idempotency, uniqueness, visibility, permissions,
 * pagination, rate limits, faults, timeouts, redaction).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parsePublicKey } from '../../src/keys/public-key.js';
import { PlatformError } from '../../src/platforms/errors.js';
import { GithubPlatform, type GithubPlatformOptions } from '../../src/platforms/github/adapter.js';
import { parseTarget } from '../../src/platforms/target.js';
import type { GithubEmulator } from '../../src/sandbox/github/index.js';
import { ed25519, ed25519Line } from './helpers.js';
import { startTestSandbox, setFaults, type TestSandbox } from './sandbox.js';

let sb: TestSandbox;
let emu: GithubEmulator;

beforeAll(async () => {
  sb = await startTestSandbox();
  emu = sb.github;
});
afterAll(async () => {
  await sb.stop();
});
beforeEach(async () => {
  emu.reset();
  await setFaults(emu.url, null);
});

function gh(tokenName: string | null = 'alice', extra: Partial<GithubPlatformOptions> = {}): GithubPlatform {
  return new GithubPlatform({
    apiUrl: emu.url,
    ...(tokenName ? { token: emu.token(tokenName) } : {}),
    retryBaseMs: 5,
    writeIntervalMs: 0,
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

const USER = parseTarget('github:user');
const TRAINER = parseTarget('github:repo/mlops/trainer');
const TRAINER_W = parseTarget('github:repo/mlops/trainer?write');
const DATASETS = parseTarget('github:repo/mlops/datasets');
const INFRA = parseTarget('github:repo/mlops/infra');

describe('github:user', () => {
  it('adds once, then reports present (by fingerprint, whatever the comment)', async () => {
    const line = ed25519Line('laptop@alice');
    const p = gh();
    const first = await p.add(USER, parsePublicKey(line), { title: 'laptop' });
    expect(first.status).toBe('added');
    expect(first.key.title).toBe('laptop');
    expect(first.key.target).toBe('github:user');
    // GitHub strips the comment; the fingerprint is still the local one.
    expect(first.key.publicKey).not.toContain('laptop@alice');
    expect(first.key.fingerprint).toBe(parsePublicKey(line).fingerprint);

    const again = await p.add(USER, parsePublicKey(line.replace('laptop@alice', 'other comment')));
    expect(again.status).toBe('present');
    expect(again.key.id).toBe(first.key.id);
    const listed = await p.list(USER);
    expect(listed.map((k) => k.id)).toEqual([first.key.id]);
  });

  it('removes once, then reports absent with "nothing to do"', async () => {
    const p = gh();
    const added = await p.add(USER, ed25519());
    expect((await p.remove(USER, added.key.id)).status).toBe('removed');
    const second = await p.remove(USER, added.key.id);
    expect(second.status).toBe('absent');
    expect(second.notes.join()).toMatch(/nothing to do/);
    expect(await p.list(USER)).toEqual([]);
  });

  it('dry runs change nothing', async () => {
    const p = gh();
    const key = ed25519('dry');
    const would = await p.add(USER, key, { dryRun: true });
    expect(would.status).toBe('would-add');
    expect(would.key.fingerprint).toBe(key.fingerprint);
    expect(await p.list(USER)).toEqual([]);
    const added = await p.add(USER, key);
    expect((await p.remove(USER, added.key.id, { dryRun: true })).status).toBe('would-remove');
    expect((await p.remove(USER, '999999', { dryRun: true })).status).toBe('absent');
    expect((await p.list(USER)).length).toBe(1);
  });

  it('finds keys by SHA256 and MD5 fingerprints', async () => {
    const p = gh();
    const key = ed25519();
    await p.add(USER, key);
    await p.add(USER, ed25519());
    expect((await p.findByFingerprint(USER, key.fingerprint)).length).toBe(1);
    expect((await p.findByFingerprint(USER, key.md5)).length).toBe(1);
    expect((await p.findByFingerprint(USER, key.md5.replace('MD5:', ''))).length).toBe(1);
    expect(await p.findByFingerprint(USER, ed25519().fingerprint)).toEqual([]);
  });

  it('warns that GitHub keys cannot expire', async () => {
    const r = await gh().add(USER, ed25519(), { expiresAt: new Date(Date.now() + 86_400_000) });
    expect(r.status).toBe('added');
    expect(r.warnings.join()).toMatch(/GitHub keys cannot expire/);
  });

  it('a read-only token can list but neither add nor remove, and never hears "absent"', async () => {
    const existing = emu.addUserKey('alice', ed25519Line(), 'existing');
    const ro = gh('alice-readonly');
    expect((await ro.list(USER)).map((k) => k.id)).toEqual([String(existing.id)]);

    const add = await failure(ro.add(USER, ed25519()));
    expect(add.status).toBe(404);
    expect(add.hint).toMatch(/may not add keys there: it needs the write:public_key scope/);

    const rm = await failure(ro.remove(USER, String(existing.id)));
    expect(rm.code).toBe('NOT_PERMITTED');
    expect(rm.hint).toMatch(/the key is still there/);
    expect((await gh().list(USER)).length).toBe(1);
  });

  it('a token without key scopes cannot see the keys: remove is "cannot see", not "absent"', async () => {
    const err = await failure(gh('no-scopes').remove(USER, '12345'));
    expect(err.code).toBe('NOT_VISIBLE');
    expect(err.hint).toMatch(/cannot see github:user.*nothing was removed/);
  });

  it('needs a token, and says which variables to set', async () => {
    const err = await failure(gh(null).add(USER, ed25519()));
    expect(err.code).toBe('NO_TOKEN');
    expect(err.message).toMatch(/GH_TOKEN or GITHUB_TOKEN/);
    expect(err.message).toMatch(/--sandbox/);
  });

  it('reports a rejected token as 401 with a hint', async () => {
    const p = new GithubPlatform({
      apiUrl: emu.url,
      token: 'kfgh_notavalidtokenatall0000000',
      retryBaseMs: 5,
    });
    const err = await failure(p.list(USER));
    expect(err.status).toBe(401);
    expect(err.platformMessage).toMatch(/Bad credentials/);
    expect(err.hint).toMatch(/rejected the token/);
    expect(err.message).not.toContain('kfgh_notavalidtokenatall0000000');
  });

  it('rejects a non-numeric key id as a usage error', async () => {
    await expect(gh().remove(USER, 'abc')).rejects.toBeInstanceOf(UsageError);
  });
});

describe('github:user/LOGIN', () => {
  it('lists public keys without a token and is read only', async () => {
    const k = emu.addUserKey('bob', ed25519Line('bob@box'), 'box');
    const anon = gh(null);
    const keys = await anon.list(parseTarget('github:user/bob'));
    expect(keys).toHaveLength(1);
    expect(keys[0]!.id).toBe(String(k.id));
    expect(keys[0]!.user).toBe('bob');
    const add = await failure(gh().add(parseTarget('github:user/bob'), ed25519()));
    expect(add.code).toBe('READ_ONLY');
    expect(add.message).toMatch(/read only/);
    const rm = await failure(gh().remove(parseTarget('github:user/bob'), String(k.id)));
    expect(rm.code).toBe('READ_ONLY');
  });

  it('an unknown login is a 404 with a clear message', async () => {
    const err = await failure(gh().list(parseTarget('github:user/nobody-here')));
    expect(err.status).toBe(404);
    expect(err.message).toMatch(/list the keys of github:user\/nobody-here: Not Found/);
  });
});

describe('github:repo deploy keys', () => {
  it('adds read-only by default and read/write with ?write; idempotent', async () => {
    const p = gh();
    const ro = await p.add(TRAINER, ed25519(), { title: 'ci read' });
    expect(ro.status).toBe('added');
    expect(ro.key.readOnly).toBe(true);
    const rw = await p.add(TRAINER_W, ed25519(), { title: 'ci write' });
    expect(rw.key.readOnly).toBe(false);
    const listed = await p.list(TRAINER);
    expect(listed.map((k) => [k.title, k.readOnly, k.addedBy])).toEqual([
      ['ci read', true, 'alice'],
      ['ci write', false, 'alice'],
    ]);
  });

  it('a key already there with other access is "present" with a warning (keys are immutable)', async () => {
    const p = gh();
    const key = ed25519();
    await p.add(TRAINER, key);
    const r = await p.add(TRAINER_W, key);
    expect(r.status).toBe('present');
    expect(r.warnings.join()).toMatch(/already on github:repo\/mlops\/trainer as read-only.*immutable/);
  });

  it('the same key on a second repository is refused with a hint, not a raw 422', async () => {
    const p = gh();
    const key = ed25519();
    await p.add(TRAINER, key);
    const err = await failure(p.add(DATASETS, key));
    expect(err.code).toBe('KEY_IN_USE');
    expect(err.status).toBe(422);
    expect(err.platformMessage).toMatch(/key is already in use/);
    expect(err.hint).toMatch(/already registered elsewhere on GitHub/);
    expect(err.hint).toMatch(/one key per repository/);
    expect(err.hint).toMatch(/machine user/);
    expect(await p.list(DATASETS)).toEqual([]);
  });

  it('a user key cannot also be a deploy key', async () => {
    const p = gh();
    const key = ed25519();
    await p.add(USER, key);
    const err = await failure(p.add(INFRA, key));
    expect(err.code).toBe('KEY_IN_USE');
  });

  it('removes idempotently', async () => {
    const p = gh();
    const added = await p.add(INFRA, ed25519());
    expect((await p.remove(INFRA, added.key.id)).status).toBe('removed');
    expect((await p.remove(INFRA, added.key.id)).status).toBe('absent');
  });

  it('a token that cannot see the repository gets "cannot see" on remove, and the key stays', async () => {
    const k = emu.addDeployKey('mlops/infra', ed25519Line(), { title: 'infra' });
    const err = await failure(gh('bob').remove(INFRA, String(k.id)));
    expect(err.code).toBe('NOT_VISIBLE');
    expect(err.status).toBe(404);
    expect(err.hint).toMatch(/cannot see github:repo\/mlops\/infra/);
    expect(err.hint).toMatch(/nothing was removed and the key may still be registered/);
    expect((await gh().list(INFRA)).map((x) => x.id)).toEqual([String(k.id)]);
  });

  it('listing without admin rights says the 404 may be a permission problem', async () => {
    const err = await failure(gh('bob').list(TRAINER));
    expect(err.status).toBe(404);
    expect(err.hint).toMatch(/404 when the token lacks access/);
    expect(err.hint).toMatch(/admin rights on the repository/);
  });
});

describe('pagination', () => {
  it('lists past 100 keys (per_page 100, following Link)', async () => {
    const lines = Array.from({ length: 135 }, (_, i) => ed25519Line(`k${i}`));
    for (const l of lines) emu.addUserKey('ci-bot', l);
    const p = gh('ci-bot');
    const keys = await p.list(USER);
    expect(keys).toHaveLength(135);
    expect(new Set(keys.map((k) => k.fingerprint)).size).toBe(135);
    const last = parsePublicKey(lines[134]!);
    expect((await p.findByFingerprint(USER, last.fingerprint)).length).toBe(1);
    // The public list pages the same way.
    expect(await gh(null).list(parseTarget('github:user/ci-bot'))).toHaveLength(135);
  });
});

describe('rate limits and faults', () => {
  it('waits for a primary rate-limit reset that is near, then succeeds', async () => {
    await gh().add(USER, ed25519());
    emu.setRateLimit({ login: 'alice', remaining: 0, resetInSeconds: 1 });
    const waits: string[] = [];
    const keys = await gh('alice', { onWait: (m) => waits.push(m) }).list(USER);
    expect(keys).toHaveLength(1);
    expect(waits.join()).toMatch(/GitHub rate limit reached on GET .*\/user\/keys.*waiting \d+s/);
  });

  it('gives up when the reset is far away, saying when it resets', async () => {
    emu.setRateLimit({ login: 'alice', remaining: 0, resetInSeconds: 3600 });
    const err = await failure(gh('alice', { maxRateLimitWaitSeconds: 60 }).list(USER));
    expect(err.code).toBe('RATE_LIMIT');
    expect(err.status).toBe(403);
    expect(err.platformMessage).toMatch(/API rate limit exceeded/);
    expect(err.hint).toMatch(/the limit resets at \d{4}-\d{2}-\d{2}T/);
    // Other users' budgets are untouched.
    expect(await gh('bob').list(USER)).toEqual([]);
  });

  it('backs off on a secondary rate limit, and gives up after the bound', async () => {
    emu.setRateLimit({ secondary: { count: 1, retryAfter: 1, status: 429 } });
    const waits: string[] = [];
    expect(await gh('alice', { onWait: (m) => waits.push(m) }).list(USER)).toEqual([]);
    expect(waits.join()).toMatch(/secondary rate limit/);

    emu.setRateLimit({ secondary: { count: 10, retryAfter: 1, status: 403 } });
    const err = await failure(gh('alice', { maxRateLimitRetries: 1 }).list(USER));
    expect(err.code).toBe('RATE_LIMIT');
    expect(err.hint).toMatch(/GitHub asks to wait 1s/);
  });

  it('a rate-limited 429 is not retried again behind the bound by the retry plugin', async () => {
    emu.setRateLimit({ secondary: { count: 10, retryAfter: 1, status: 429 } });
    const err = await failure(gh('alice', { maxRateLimitRetries: 1 }).list(USER));
    expect(err.code).toBe('RATE_LIMIT');
    expect(err.status).toBe(429);
    // Exactly two attempts: the first and one wait; nothing more.
    expect(emu.limiter.secondary?.count).toBe(8);
  });

  it('retries injected 5xx and 429 answers', async () => {
    await setFaults(emu.url, { inject: [{ status: 502, count: 2, pathPrefix: '/user/keys' }] });
    expect(await gh().list(USER)).toEqual([]);
    await setFaults(emu.url, { inject: [{ status: 429, count: 1, pathPrefix: '/user/keys' }] });
    expect((await gh().add(USER, ed25519())).status).toBe('added');
  });

  it('gives up after the retry bound with the last status', async () => {
    await setFaults(emu.url, { inject: [{ status: 500, count: 50, pathPrefix: '/user/keys' }] });
    const err = await failure(gh('alice', { retries: 2 }).list(USER));
    expect(err.status).toBe(500);
    expect(err.hint).toMatch(/server error \(retried\)/);
  });

  it('a hung request times out with a clear error', async () => {
    await setFaults(emu.url, { hang: [{ count: 10, pathPrefix: '/user/keys' }] });
    const err = await failure(gh('alice', { timeoutMs: 200, retries: 1 }).list(USER));
    expect(err.code).toBe('TIMEOUT');
    expect(err.platformMessage).toMatch(/no answer from GitHub within 0.2s/);
  });
});

describe('secrets', () => {
  it('no token appears in any error message or JSON form', async () => {
    const errors: PlatformError[] = [];
    errors.push(await failure(gh('alice-readonly').add(USER, ed25519())));
    errors.push(await failure(gh('bob').remove(INFRA, '1')));
    emu.setRateLimit({ login: 'alice', remaining: 0, resetInSeconds: 3600 });
    errors.push(await failure(gh('alice', { maxRateLimitWaitSeconds: 1 }).list(USER)));
    const tokens = Object.values(emu.connectionInfo().tokens);
    for (const e of errors) {
      for (const t of tokens) {
        expect(e.message).not.toContain(t);
        expect(JSON.stringify(e)).not.toContain(t);
        expect(String(e.stack)).not.toContain(t);
      }
    }
  });
});
