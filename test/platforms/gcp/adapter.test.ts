/**
 * The Google Cloud adapter against the sandbox's Compute and OS Login emulator, over real HTTP on
 * loopback, through Google's official Compute client.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { PlatformError } from '../../../src/platforms/errors.js';
import { GcpPlatform } from '../../../src/platforms/gcp/adapter.js';
import { MetadataLimitError, MAX_VALUE_BYTES } from '../../../src/platforms/gcp/merge.js';
import type { MetadataApi } from '../../../src/platforms/gcp/metadata-writer.js';
import { parseSshKeys } from '../../../src/platforms/gcp/ssh-keys-codec.js';
import { parseTarget } from '../../../src/platforms/target.js';
import { startGcpEmulator, type GcpEmulator } from '../../../src/sandbox/gcp/index.js';
import { keyText, newKey } from './helpers.js';

let emu: GcpEmulator;

function platform(
  tokenName = 'owner',
  extra: Partial<ConstructorParameters<typeof GcpPlatform>[0]> = {},
): GcpPlatform {
  return new GcpPlatform({
    computeUrl: emu.computeUrl,
    osloginUrl: emu.server.url,
    token: emu.token(tokenName),
    writer: { baseDelayMs: 5, maxDelayMs: 50 },
    ...extra,
  });
}

const projectValue = (p = 'ml-prod') =>
  emu.getProjectMetadata(p)!.items?.find((i) => i.key === 'ssh-keys')?.value;
const snapshot = (p = 'ml-prod') => JSON.stringify(emu.getProjectMetadata(p));
const T = (text: string) => parseTarget(text);

let seeded: unknown;
beforeAll(async () => {
  // Seeding generates RSA keys; do it once and start every test from a copy of that state.
  const first = await startGcpEmulator({ seed: true });
  seeded = first.exportState();
  await first.close();
});
beforeEach(async () => {
  emu = await startGcpEmulator({ state: structuredClone(seeded) });
});
afterEach(async () => {
  await emu.close();
});

describe('listing metadata keys', () => {
  it('lists every valid line with ?user=*, computes fingerprints locally, skips invalid lines (reported by inspect)', async () => {
    const gcp = platform();
    const keys = await gcp.list(T('gcp:project/ml-prod?user=*'));
    expect(keys.map((k) => k.user)).toEqual(['bob', 'carol', 'dave', 'erin', 'frank', 'heidi']);
    for (const k of keys) {
      expect(k.id).toBe(k.fingerprint);
      expect(k.fingerprint).toMatch(/^SHA256:/);
      expect(k.target).toBe(`gcp:project/ml-prod?user=${k.user}`);
    }
    const dave = keys.find((k) => k.user === 'dave')!;
    expect(new Date(dave.expiresAt!).getTime()).toBeLessThan(Date.now());
    expect(dave.addedBy).toBe('dave@example.com');
    const inspection = await gcp.inspect(T('gcp:project/ml-prod?user=*'));
    expect(inspection.invalid.map((i) => i.lineNumber)).toEqual([6, 7, 8]);
    expect(JSON.stringify(inspection.invalid)).not.toContain('AAAA'); // reasons only, never the line
  });

  it('lists one user, and instance keys', async () => {
    const gcp = platform();
    expect((await gcp.list(T('gcp:project/ml-prod?user=bob'))).map((k) => k.title)).toEqual(['bob@laptop']);
    expect(
      (await gcp.list(T('gcp:instance/ml-prod/us-central1-a/trainer-1?user=*'))).map((k) => k.user),
    ).toEqual(['trainer']);
  });

  it('a viewer token can list', async () => {
    expect(await platform('viewer').list(T('gcp:project/ml-prod?user=*'))).toHaveLength(6);
  });
});

describe('granting and revoking metadata keys', () => {
  it('adds one line, keeps every other line and item byte for byte, is idempotent, and revokes back to the original', async () => {
    const gcp = platform();
    const before = emu.getProjectMetadata('ml-prod')!;
    const original = projectValue()!;
    const key = newKey('alice@laptop');
    const target = T('gcp:project/ml-prod?user=alice');

    const r = await gcp.add(target, key);
    expect(r.status).toBe('added');
    expect(r.key).toMatchObject({ id: key.fingerprint, user: 'alice', title: 'alice@laptop' });
    expect(projectValue()).toBe(`${original}\nalice:${key.type} ${key.blob.toString('base64')} alice@laptop`);
    const after = emu.getProjectMetadata('ml-prod')!;
    expect(after.fingerprint).not.toBe(before.fingerprint);
    expect(after.items!.filter((i) => i.key !== 'ssh-keys')).toEqual(
      before.items!.filter((i) => i.key !== 'ssh-keys'),
    );

    const fp = emu.getProjectMetadata('ml-prod')!.fingerprint;
    expect((await gcp.add(target, key)).status).toBe('present');
    expect(emu.getProjectMetadata('ml-prod')!.fingerprint).toBe(fp); // nothing written

    expect(await gcp.findByFingerprint(target, key.fingerprint)).toHaveLength(1);
    expect(await gcp.remove(target, key.fingerprint)).toMatchObject({ status: 'removed' });
    expect(projectValue()).toBe(original);
    expect(await gcp.remove(target, key.fingerprint)).toMatchObject({ status: 'absent' });
  });

  it('writes the google-ssh form with --expires, and replaces it in place when the expiry changes', async () => {
    const gcp = platform();
    const key = newKey();
    const target = T('gcp:project/ml-prod?user=alice');
    const first = new Date('2031-01-02T03:04:05Z');
    await gcp.add(target, key, { expiresAt: first });
    const line = `alice:${key.type} ${key.blob.toString('base64')} google-ssh {"userName":"alice","expireOn":"2031-01-02T03:04:05+0000"}`;
    expect(projectValue()!.split('\n').at(-1)).toBe(line);
    const listed = await gcp.findByFingerprint(target, key.fingerprint);
    expect(listed[0]!.expiresAt).toBe('2031-01-02T03:04:05.000Z');

    await gcp.add(T('gcp:project/ml-prod?user=bob'), newKey()); // a line after ours
    const r = await gcp.add(target, key, { expiresAt: new Date('2032-01-01T00:00:00Z') });
    expect(r.status).toBe('added');
    expect(r.warnings.join(' ')).toMatch(/replaced 1 existing line/);
    const lines = projectValue()!.split('\n');
    expect(lines.at(-2)).toContain('"expireOn":"2032-01-01T00:00:00+0000"'); // same position
    expect(lines.filter((l) => l.includes(key.blob.toString('base64')))).toHaveLength(1);
  });

  it('instance metadata: add and remove on one VM, project untouched', async () => {
    const gcp = platform();
    const proj = snapshot();
    const key = newKey('x');
    const target = T('gcp:instance/ml-prod/us-central1-a/trainer-1?user=alice');
    const r = await gcp.add(target, key);
    expect(r.status).toBe('added');
    expect(r.warnings).toEqual([]);
    const v = emu
      .getInstanceMetadata('ml-prod', 'us-central1-a', 'trainer-1')!
      .items!.find((i) => i.key === 'ssh-keys')!.value!;
    expect(v.split('\n')).toHaveLength(2);
    expect(snapshot()).toBe(proj);
    expect((await gcp.remove(target, key.fingerprint)).status).toBe('removed');
    expect(
      emu
        .getInstanceMetadata('ml-prod', 'us-central1-a', 'trainer-1')!
        .items!.find((i) => i.key === 'ssh-keys')!
        .value!.split('\n'),
    ).toHaveLength(1);
  });

  it('revoke with ?user=* removes the key from every user and from legacy sshKeys; invalid lines stay', async () => {
    const gcp = platform();
    const key = newKey();
    const kt = `${key.type} ${key.blob.toString('base64')}`;
    await gcp.add(T('gcp:project/ml-prod?user=alice'), key);
    await gcp.add(T('gcp:project/ml-prod?user=bob'), key);
    const r = await gcp.remove(T('gcp:project/ml-prod?user=*'), key.fingerprint);
    expect(r.status).toBe('removed');
    expect(r.notes[0]).toMatch(/2 line\(s\).*alice, bob/);
    expect(projectValue()).not.toContain(kt);
    expect(parseSshKeys(projectValue()).filter((l) => l.kind === 'invalid')).toHaveLength(3);
  });

  it('dry runs change nothing', async () => {
    const gcp = platform();
    const before = snapshot();
    const key = newKey();
    expect((await gcp.add(T('gcp:project/ml-prod?user=alice'), key, { dryRun: true })).status).toBe(
      'would-add',
    );
    const bob = (await gcp.list(T('gcp:project/ml-prod?user=bob')))[0]!;
    expect((await gcp.remove(T('gcp:project/ml-prod?user=bob'), bob.id, { dryRun: true })).status).toBe(
      'would-remove',
    );
    expect(snapshot()).toBe(before);
  });

  it('warns when OS Login is on for the project (the VMs ignore metadata keys)', async () => {
    const r = await platform().add(T('gcp:project/ml-oslogin?user=alice'), newKey());
    expect(r.status).toBe('added');
    expect(r.warnings.join('\n')).toMatch(/enable-oslogin is TRUE on project ml-oslogin/);
  });

  it('warns that VMs blocking project keys (block-project-ssh-keys) will not accept a project key', async () => {
    const r = await platform().add(T('gcp:project/ml-prod?user=alice'), newKey());
    expect(r.status).toBe('added');
    const blocked = r.warnings.filter((w) => /block project-wide keys/.test(w));
    expect(blocked).toHaveLength(1);
    expect(blocked[0]).toContain('these VMs of ml-prod');
    expect(blocked[0]).toContain('us-central1-a/locked-1');
    expect(blocked[0]).not.toContain('trainer-1');
    // The dry run reads the same listing and warns the same way.
    const dry = await platform().add(T('gcp:project/ml-prod?user=zed'), newKey(), { dryRun: true });
    expect(dry.status).toBe('would-add');
    expect(dry.warnings.join('\n')).toContain('us-central1-a/locked-1');
  });

  it('warns on an instance whose project turns OS Login on', async () => {
    const r = await platform().add(T('gcp:instance/ml-oslogin/us-central1-b/oslogin-1?user=alice'), newKey());
    expect(r.warnings.join('\n')).toMatch(/enable-oslogin is TRUE on its project/);
  });

  it('warns about a username useradd may refuse, and refuses ?user=*', async () => {
    const r = await platform().add(T('gcp:project/ml-prod?user=Alice.Smith@corp'), newKey());
    expect(r.warnings.join('\n')).toMatch(/not a portable Linux login name/);
    await expect(platform().add(T('gcp:project/ml-prod?user=*'), newKey())).rejects.toThrow(UsageError);
  });
});

describe('conflicts against the emulator (official client, real 412s)', () => {
  it('a 412 from a concurrent foreign writer is retried from a fresh read: both changes survive', async () => {
    const gcp = platform();
    const compute = await gcp.compute();
    const realWrite = compute.write.bind(compute);
    let injected = 0;
    // Another tool (think gcloud) writes between our read and our write, twice.
    (compute as unknown as MetadataApi).write = async (scope, md) => {
      if (injected < 2) {
        injected++;
        const cur = await compute.read(scope);
        const items = (cur.items ?? []).map((i) =>
          i.key === 'ssh-keys' ? { ...i, value: `${i.value}\ngcloud${injected}:${keyText()}` } : i,
        );
        await realWrite(scope, { fingerprint: cur.fingerprint!, items });
      }
      return realWrite(scope, md);
    };
    const key = newKey();
    const r = await gcp.add(T('gcp:project/ml-prod?user=alice'), key);
    expect(r.status).toBe('added');
    const users = parseSshKeys(projectValue()).map((l) => l.user);
    expect(users.slice(-3)).toEqual(['gcloud1', 'gcloud2', 'alice']);
  });

  it('the fingerprint failure reported inside the operation is retried too', async () => {
    const gcp = platform();
    emu.failNextOperations(2);
    const key = newKey();
    expect((await gcp.add(T('gcp:project/ml-prod?user=alice'), key)).status).toBe('added');
    expect(projectValue()).toContain(key.blob.toString('base64'));
  });

  it('retries are bounded: a writer that always loses gets a clear error and writes nothing', async () => {
    const gcp = platform('owner', { writer: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    emu.failNextOperations(10);
    const before = snapshot();
    const err = await gcp.add(T('gcp:project/ml-prod?user=alice'), newKey()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as Error).message).toMatch(
      /gave up changing the metadata of project ml-prod after 3 attempts/,
    );
    expect(snapshot()).toBe(before);
  });

  it('concurrent writers in one process never lose a line', async () => {
    const gcp = platform();
    const keys = Array.from({ length: 12 }, () => newKey());
    await Promise.all(keys.map((k, i) => gcp.add(T(`gcp:project/ml-prod?user=u${i}`), k)));
    const fps = new Set(parseSshKeys(projectValue()).map((l) => l.key?.fingerprint));
    for (const k of keys) expect(fps.has(k.fingerprint)).toBe(true);
  });
});

describe('bad input and refusals change nothing', () => {
  it.each([
    ['gcp:project/nope-project?user=alice', 404, /project nope-project does not exist/],
    [
      'gcp:instance/ml-prod/us-central1-a/ghost?user=alice',
      404,
      /instance ml-prod\/us-central1-a\/ghost does not exist/,
    ],
  ])('%s -> %i with a hint', async (text, status, hint) => {
    const before = snapshot();
    const err = await platform()
      .add(T(text), newKey())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).status).toBe(status);
    expect((err as PlatformError).hint).toMatch(hint);
    expect((err as Error).message).toMatch(/was not found/);
    expect(snapshot()).toBe(before);
  });

  it('a read-only token gets 403 naming the missing permission; metadata byte-identical', async () => {
    const before = snapshot();
    const err = await platform('viewer')
      .add(T('gcp:project/ml-prod?user=alice'), newKey())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).status).toBe(403);
    expect((err as PlatformError).hint).toMatch(
      /lack compute\.projects\.setCommonInstanceMetadata on project ml-prod/,
    );
    expect((err as Error).message).not.toContain(emu.token('viewer'));
    expect(snapshot()).toBe(before);
  });

  it('an unknown token is a 401 with the ADC hint, and the token is never echoed', async () => {
    const gcp = new GcpPlatform({
      computeUrl: emu.computeUrl,
      osloginUrl: emu.server.url,
      token: 'kfgc_' + 'x'.repeat(32),
    });
    const err = await gcp.list(T('gcp:project/ml-prod?user=*')).catch((e: unknown) => e);
    expect((err as PlatformError).status).toBe(401);
    expect((err as Error).message).toMatch(/application-default login/);
    expect((err as Error).message).not.toContain('x'.repeat(32));
  });

  it.each([
    ['bad\nuser', /newline/],
    ['bad\ruser', /carriage return/],
    ['bad\u0007user', /U\+0007/],
  ])('username %j is refused before any request', async (user) => {
    const before = snapshot();
    const target = { platform: 'gcp', kind: 'project', project: 'ml-prod', user } as const;
    await expect(platform().add(target, newKey())).rejects.toThrow(UsageError);
    expect(snapshot()).toBe(before);
  });

  it('a comment with a newline or a forged google-ssh is refused', async () => {
    const before = snapshot();
    await expect(
      platform().add(T('gcp:project/ml-prod?user=alice'), newKey(), { title: `x\nmallory:${keyText()}` }),
    ).rejects.toThrow(/newline/);
    await expect(
      platform().add(T('gcp:project/ml-prod?user=alice'), newKey(), {
        title: 'google-ssh {"expireOn":"2099-01-01T00:00:00Z"}',
      }),
    ).rejects.toThrow(/google-ssh/);
    expect(snapshot()).toBe(before);
  });

  it('an expiry in the past is refused', async () => {
    await expect(
      platform().add(T('gcp:project/ml-prod?user=alice'), newKey(), {
        expiresAt: new Date(Date.now() - 1000),
      }),
    ).rejects.toThrow(/not in the future/);
  });

  it('a value that would pass 256 KiB is refused before writing; near the limit it warns', async () => {
    const gcp = platform();
    const line = `filler:${keyText('filler')}`;
    const original = projectValue()!;
    const room = MAX_VALUE_BYTES - Buffer.byteLength(original) - 200;
    const filler = Array.from({ length: Math.floor(room / (line.length + 1)) }, () => line).join('\n');
    // Fill through the API as another tool would (raw fetch with the owner token).
    const md = emu.getProjectMetadata('ml-prod')!;
    const res = await fetch(`${emu.computeUrl}/projects/ml-prod/setCommonInstanceMetadata`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emu.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        fingerprint: md.fingerprint,
        items: md.items!.map((i) =>
          i.key === 'ssh-keys' ? { key: i.key, value: `${original}\n${filler}` } : i,
        ),
      }),
    });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    const before = snapshot();
    expect(Buffer.byteLength(projectValue()!)).toBeGreaterThan(MAX_VALUE_BYTES * 0.99);
    const err = await gcp
      .add(T('gcp:project/ml-prod?user=alice'), newKey('k'.repeat(300)))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetadataLimitError);
    expect((err as Error).message).toMatch(
      /the ssh-keys value of project ml-prod would be .* bytes, over Google's limit of 262,144 bytes/,
    );
    expect(snapshot()).toBe(before);
    const ok = await gcp.add(T('gcp:project/ml-prod?user=alice'), newKey());
    expect(ok.warnings.join('\n')).toMatch(/% of Google's 256 KiB limit/);
  });

  it('a fingerprint id that is not a fingerprint is a usage error', async () => {
    await expect(platform().remove(T('gcp:project/ml-prod?user=bob'), 'not-a-fingerprint')).rejects.toThrow(
      UsageError,
    );
  });
});

describe('prune', () => {
  it('removes only expired google-ssh lines and reports them; --dry-run changes nothing', async () => {
    const gcp = platform();
    const before = projectValue()!;
    const dry = await gcp.prune(T('gcp:project/ml-prod?user=*'), { dryRun: true });
    expect(dry.status).toBe('would-prune');
    expect(dry.removed.map((r) => r.user)).toEqual(['dave']);
    expect(projectValue()).toBe(before);
    const r = await gcp.prune(T('gcp:project/ml-prod?user=*'));
    expect(r.status).toBe('pruned');
    expect(r.removed[0]).toMatchObject({ user: 'dave', type: 'ecdsa-sha2-nistp256', item: 'ssh-keys' });
    expect(r.notes.join(' ')).toMatch(/3 invalid line/);
    const lines = before.split('\n');
    expect(projectValue()).toBe(lines.filter((l) => !l.startsWith('dave:')).join('\n'));
    expect((await gcp.prune(T('gcp:project/ml-prod?user=*'))).status).toBe('nothing-to-prune');
  });

  it('prunes only the target user when one is named', async () => {
    const gcp = platform();
    expect((await gcp.prune(T('gcp:project/ml-prod?user=erin'))).status).toBe('nothing-to-prune');
    expect(projectValue()).toContain('dave:');
  });
});

describe('OS Login', () => {
  const alice = T('gcp:oslogin/alice@example.com');

  it('imports a key with the default 30-day expiry, lists it, is idempotent, changes expiry, removes it', async () => {
    const gcp = platform();
    const key = newKey('alice@ci');
    const r = await gcp.add(alice, key);
    expect(r.status).toBe('added');
    expect(r.warnings.join(' ')).toMatch(/default expiry of 30 days/);
    const listed = (await gcp.list(alice)).find((k) => k.fingerprint === key.fingerprint)!;
    const days = (Date.parse(listed.expiresAt!) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    expect(listed.id).toBe(key.fingerprint);

    expect((await gcp.add(alice, key)).status).toBe('present');
    const later = new Date('2031-05-06T07:08:09Z');
    const patched = await gcp.add(alice, key, { expiresAt: later });
    expect(patched.status).toBe('added');
    expect(patched.key.expiresAt).toBe(later.toISOString());
    const stored = Object.values(emu.getLoginProfile('alice@example.com')!.sshPublicKeys!).find((k) =>
      k.key.includes(key.blob.toString('base64')),
    )!;
    expect(stored.expirationTimeUsec).toBe(String(later.getTime() * 1000));

    expect((await gcp.remove(alice, key.fingerprint)).status).toBe('removed');
    expect(await gcp.findByFingerprint(alice, key.fingerprint)).toEqual([]);
    expect((await gcp.remove(alice, key.fingerprint)).status).toBe('absent');
  });

  it('an explicit expiry wins; osLoginDefaultTtlDays 0 means no expiry', async () => {
    const key = newKey();
    await platform('owner', { osLoginDefaultTtlDays: 0 }).add(alice, key);
    const stored = Object.values(emu.getLoginProfile('alice@example.com')!.sshPublicKeys!).find((k) =>
      k.key.includes(key.blob.toString('base64')),
    )!;
    expect(stored.expirationTimeUsec).toBeUndefined();
  });

  it('prune deletes expired OS Login keys only', async () => {
    const gcp = platform();
    const now = Date.now();
    const old = newKey();
    await platform('owner', { now: () => new Date(now - 40 * 86_400_000) }).add(alice, old, {
      expiresAt: new Date(now - 10 * 86_400_000),
    });
    const before = Object.keys(emu.getLoginProfile('alice@example.com')!.sshPublicKeys!).length;
    const r = await gcp.prune(alice);
    expect(r.removed.map((k) => k.fingerprint)).toEqual([old.fingerprint]);
    expect(Object.keys(emu.getLoginProfile('alice@example.com')!.sshPublicKeys!)).toHaveLength(before - 1);
  });

  it('a viewer token cannot import (403 with a hint) and nothing changes', async () => {
    const before = JSON.stringify(emu.getLoginProfile('alice@example.com'));
    const err = await platform('viewer')
      .add(alice, newKey())
      .catch((e: unknown) => e);
    expect((err as PlatformError).status).toBe(403);
    expect((err as PlatformError).hint).toMatch(/OS Login profile of alice@example.com/);
    expect(JSON.stringify(emu.getLoginProfile('alice@example.com'))).toBe(before);
  });

  it('the OS Login client reads one key by its OS Login fingerprint; revoke accepts that id too', async () => {
    const gcp = platform();
    const key = newKey();
    await gcp.add(alice, key, { expiresAt: new Date('2031-01-01T00:00:00Z') });
    const [osFp, json] = Object.entries(emu.getLoginProfile('alice@example.com')!.sshPublicKeys!).find(
      ([, k]) => k.key.includes(key.blob.toString('base64')),
    )!;
    const got = await (await gcp.oslogin()).getSshPublicKey('alice@example.com', osFp);
    expect(got).toMatchObject({
      key: json.key,
      expirationTimeUsec: String(Date.parse('2031-01-01T00:00:00Z') * 1000),
    });
    expect((await gcp.remove(alice, osFp)).status).toBe('removed');
  });

  it('an unknown identity is a 404 with a hint', async () => {
    const err = await platform()
      .list(T('gcp:oslogin/nobody@example.com'))
      .catch((e: unknown) => e);
    expect((err as PlatformError).status).toBe(404);
  });
});

describe('credentials', () => {
  const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
  beforeAll(() => {
    process.env.GOOGLE_APPLICATION_CREDENTIALS = '/nonexistent/keyfleet-test-credentials.json';
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
  });

  it('without a token, Application Default Credentials are used; missing ones give a clear error', async () => {
    const gcp = new GcpPlatform({ computeUrl: emu.computeUrl, osloginUrl: emu.server.url });
    const err = await gcp.list(T('gcp:project/ml-prod?user=*')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).code).toBe('NO_TOKEN');
    expect((err as Error).message).toMatch(/application-default login/);
    const err2 = await gcp.list(T('gcp:oslogin/alice@example.com')).catch((e: unknown) => e);
    expect((err2 as PlatformError).code).toBe('NO_TOKEN');
  });
});
