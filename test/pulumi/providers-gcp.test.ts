/**
 * The GcpMetadataSshKey provider against the sandbox's Compute emulator: one line merged into
 * project or instance `ssh-keys`, every other line kept byte for byte.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePublicKey, PRIVATE_KEY_GIVEN } from '../../src/keys/public-key.js';
import { GcpPlatform } from '../../src/platforms/gcp/adapter.js';
import { parseTarget } from '../../src/platforms/target.js';
import { gcpMetadataSshKeyProvider } from '../../src/pulumi/providers/gcp-metadata-key.js';
import { SANDBOX_ENV, UNKNOWN } from '../../src/pulumi/providers/impl/common.js';
import type { GcpMetadataSshKeyOutputs } from '../../src/pulumi/providers/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { bare, ed25519, rsaPublic } from './helpers/keys.js';

const provider = gcpMetadataSshKeyProvider((url) => import(url));

/** What the engine passes as old inputs when a resource is created. */
const noOlds = {} as never;

let dir: string;
let sandbox: Sandbox;
let outside: GcpPlatform;
let tokens: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kf-'));
  const connectionFile = join(dir, 'sandbox.json');
  sandbox = await startSandbox({ connectionFile });
  process.env[SANDBOX_ENV] = connectionFile;
  const gc = sandbox.connection.gcp!;
  outside = new GcpPlatform({ computeUrl: gc.computeUrl, osloginUrl: gc.osloginUrl, token: gc.token });
  tokens = Object.values(gc.tokens);
});

afterAll(async () => {
  delete process.env[SANDBOX_ENV];
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Every line of a place's ssh-keys value, as the adapter lists them (all users). */
async function lines(
  place: string,
): Promise<{ user: string | undefined; fingerprint: string; expiresAt: string | undefined }[]> {
  const keys = await outside.list(parseTarget(`${place}?user=*`));
  return keys.map((k) => ({ user: k.user, fingerprint: k.fingerprint, expiresAt: k.expiresAt }));
}

function expectNoCredential(value: unknown): void {
  const text = JSON.stringify(value);
  for (const t of tokens) expect(text).not.toContain(t);
}

describe('GcpMetadataSshKey provider: project metadata', () => {
  const key = ed25519('ci@runner');
  let created: { id: string; outs: GcpMetadataSshKeyOutputs };
  let othersBefore: Awaited<ReturnType<typeof lines>>;

  it('check: validates key, place and expiry; unknown values pass', async () => {
    expect(
      (await provider.check!(noOlds, { project: 'ml-prod', user: 'ci', key: key.publicKey })).failures,
    ).toEqual([]);
    const bad = await provider.check!(noOlds, {
      project: 'ml-prod',
      user: 'ci',
      zone: 'us-central1-a',
      key: key.privateKey,
      expiresAt: 'soon',
    });
    expect(bad.failures).toEqual([
      { property: 'key', reason: PRIVATE_KEY_GIVEN },
      { property: 'instance', reason: 'give zone and instance together (or neither, for project metadata)' },
      { property: 'expiresAt', reason: expect.stringMatching(/not an RFC 3339/) },
    ]);
    expect(JSON.stringify(bad)).not.toContain(key.privateKey.split('\n')[1]!);
    expect(
      (await provider.check!(noOlds, { project: 'ml-prod', user: '-x', key: key.publicKey })).failures,
    ).toEqual([{ property: 'user', reason: expect.stringMatching(/starts with "-"/) }]);
    expect(
      (await provider.check!(noOlds, { project: 'ml-prod', user: 'ci', key: rsaPublic(1024) })).failures![0]
        ?.reason,
    ).toMatch(/forbidden/);
    expect(
      (await provider.check!(noOlds, { project: 'ml-prod', user: UNKNOWN, key: UNKNOWN })).failures,
    ).toEqual([]);
  });

  it('create: adds one line for the user and keeps every other line', async () => {
    othersBefore = await lines('gcp:project/ml-prod');
    expect(othersBefore.length).toBeGreaterThan(0);
    const inputs = { project: 'ml-prod', user: 'ci', key: key.publicKey, expiresAt: '2031-01-01T00:00:00Z' };
    created = (await provider.create(inputs)) as typeof created;
    expect(created.id).toBe(`gcp:project/ml-prod?user=ci#${key.fingerprint}`);
    expect(created.outs).toEqual({
      ...inputs,
      target: 'gcp:project/ml-prod?user=ci',
      fingerprint: key.fingerprint,
      adopted: false,
    });
    const after = await lines('gcp:project/ml-prod');
    expect(after).toEqual([
      ...othersBefore,
      { user: 'ci', fingerprint: key.fingerprint, expiresAt: '2031-01-01T00:00:00.000Z' },
    ]);
    expectNoCredential(created);
  });

  it('read and diff: same state, expiry changes update in place, new keys and users create first', async () => {
    expect(await provider.read!(created.id, created.outs)).toEqual({ id: created.id, props: created.outs });
    const same = { project: 'ml-prod', user: 'ci', key: key.publicKey, expiresAt: '2031-01-01T00:00:00Z' };
    expect(await provider.diff!(created.id, created.outs, same)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(
      await provider.diff!(created.id, created.outs, { ...same, expiresAt: '2032-01-01T00:00:00Z' }),
    ).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(
      await provider.diff!(created.id, created.outs, { ...same, user: 'ci2', key: ed25519().publicKey }),
    ).toEqual({
      changes: true,
      replaces: ['key', 'user'],
      deleteBeforeReplace: false,
    });
    expect(
      (
        await provider.diff!(created.id, created.outs, {
          ...same,
          key: `${bare(key.publicKey)} other-comment`,
        })
      ).changes,
    ).toBe(false);
  });

  it('update: rewrites the line with the new expiry, in place', async () => {
    const news = { project: 'ml-prod', user: 'ci', key: key.publicKey, expiresAt: '2032-06-01T00:00:00Z' };
    const res = await provider.update!(created.id, created.outs, news);
    expect(res.outs).toMatchObject({ expiresAt: '2032-06-01T00:00:00Z', fingerprint: key.fingerprint });
    expect(await lines('gcp:project/ml-prod')).toEqual([
      ...othersBefore,
      { user: 'ci', fingerprint: key.fingerprint, expiresAt: '2032-06-01T00:00:00.000Z' },
    ]);
    created = { id: created.id, outs: res.outs! };
  });

  it('drift: an expiry changed outside Pulumi is read back', async () => {
    await outside.add(parseTarget('gcp:project/ml-prod?user=ci'), parsePublicKey(key.publicKey), {
      expiresAt: new Date('2033-01-01T00:00:00Z'),
    });
    const read = await provider.read!(created.id, created.outs);
    expect(read.props?.expiresAt).toBe('2033-01-01T00:00:00.000Z');
    expect(
      (
        await provider.diff!(created.id, read.props!, {
          project: 'ml-prod',
          user: 'ci',
          key: key.publicKey,
          expiresAt: '2032-06-01T00:00:00Z',
        })
      ).changes,
    ).toBe(true);
  });

  it('delete: removes only this line; deleted outside reads as gone; deleting twice is fine', async () => {
    await provider.delete!(created.id, created.outs);
    expect(await lines('gcp:project/ml-prod')).toEqual(othersBefore);
    expect(await provider.read!(created.id, created.outs)).toEqual({ id: '' });
    await expect(provider.delete!(created.id, created.outs)).resolves.toBeUndefined();
  });

  it('create adopts the same user and key already in metadata, without a second line', async () => {
    const k = ed25519();
    await outside.add(parseTarget('gcp:project/ml-prod?user=bob'), parsePublicKey(k.publicKey));
    const res = (await provider.create({
      project: 'ml-prod',
      user: 'bob',
      key: k.publicKey,
    })) as typeof created;
    expect(res.outs.adopted).toBe(true);
    const bobLines = (await lines('gcp:project/ml-prod')).filter((l) => l.fingerprint === k.fingerprint);
    expect(bobLines).toHaveLength(1);
    await provider.delete!(res.id, res.outs);
  });

  it('import: read works from the id alone', async () => {
    const k = ed25519();
    await outside.add(parseTarget('gcp:project/ml-prod?user=carol'), parsePublicKey(k.publicKey));
    const id = `gcp:project/ml-prod?user=carol#${k.fingerprint}`;
    const read = await provider.read!(id);
    expect(read).toEqual({
      id,
      props: {
        project: 'ml-prod',
        user: 'carol',
        key: expect.stringContaining(bare(k.publicKey)),
        target: 'gcp:project/ml-prod?user=carol',
        fingerprint: k.fingerprint,
        adopted: false,
      },
    });
  });

  it('a project that does not exist (or cannot be seen) is an error, never "already removed"', async () => {
    const ghost = {
      ...created.outs,
      project: 'no-such-project',
      target: 'gcp:project/no-such-project?user=ci',
    };
    await expect(provider.delete!(`${ghost.target}#${key.fingerprint}`, ghost)).rejects.toThrow();
    await expect(provider.read!(`${ghost.target}#${key.fingerprint}`, ghost)).rejects.toThrow();
  });
});

describe('GcpMetadataSshKey provider: instance metadata', () => {
  it('creates, reads and deletes one line in a VM’s ssh-keys', async () => {
    const k = ed25519();
    const place = 'gcp:instance/ml-prod/us-central1-a/trainer-1';
    const before = await lines(place);
    const res = (await provider.create({
      project: 'ml-prod',
      zone: 'us-central1-a',
      instance: 'trainer-1',
      user: 'ci',
      key: k.publicKey,
    })) as {
      id: string;
      outs: GcpMetadataSshKeyOutputs;
    };
    expect(res.id).toBe(`${place}?user=ci#${k.fingerprint}`);
    expect(await lines(place)).toEqual([
      ...before,
      { user: 'ci', fingerprint: k.fingerprint, expiresAt: undefined },
    ]);
    expect((await provider.read!(res.id, res.outs)).id).toBe(res.id);
    await provider.delete!(res.id, res.outs);
    expect(await lines(place)).toEqual(before);
  });
});
