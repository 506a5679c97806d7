/**
 * Every CLI verb (grant, list, revoke, prune) on every Google Cloud target, through the built CLI
 * (`node dist/cli/main.js … --sandbox FILE`) against the sandbox's emulator; and bad input that
 * must fail clearly and change nothing.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseSshKeys } from '../../src/platforms/gcp/ssh-keys-codec.js';
import { newKey } from '../platforms/gcp/helpers.js';
import { runCli, sshKeysOf, startGcpSandbox, type GcpSandbox } from './gcp-helpers.js';

// Each test spawns CLI processes; on a busy 2-core machine (other test files spawn many too) they can be slow.
vi.setConfig({ testTimeout: 180_000 });

let s: GcpSandbox;
let n = 0;

/** Writes a fresh public key file and returns its path and parsed key. */
function keyFile(comment = 'cli@test') {
  const key = newKey(comment);
  const file = join(s.dir, `key${n++}.pub`);
  writeFileSync(file, `${key.type} ${key.blob.toString('base64')} ${comment}\n`);
  return { file, key, b64: key.blob.toString('base64') };
}
const projectSnapshot = (p = 'ml-prod') => JSON.stringify(s.emu.getProjectMetadata(p));
const instanceValue = (i: string) =>
  s.emu.getInstanceMetadata('ml-prod', 'us-central1-a', i)?.items?.find((it) => it.key === 'ssh-keys')?.value;

beforeAll(async () => {
  s = await startGcpSandbox();
  s.emu.setKnobs({ operationDelayMs: 5 });
});
afterAll(async () => {
  await s.sandbox.stop();
  rmSync(s.dir, { recursive: true, force: true });
});

describe('gcp:project/P?user=U', () => {
  it('grant, list, revoke: one line added and removed, every other line and item unchanged', async () => {
    const original = projectSnapshot();
    const originalValue = sshKeysOf(s.emu)!;
    const { file, key, b64 } = keyFile('alice@laptop');
    const g = await runCli(['grant', file, 'gcp:project/ml-prod?user=alice', '--sandbox', s.file]);
    expect(g.stderr).toBe('');
    expect(g.code, g.stderr + g.stdout).toBe(0);
    expect(g.stdout).toMatch(/added\s+gcp:project\/ml-prod\?user=alice/);
    expect(sshKeysOf(s.emu)).toBe(`${originalValue}\nalice:${key.type} ${b64} alice@laptop`);

    const again = await runCli(['grant', file, 'gcp:project/ml-prod?user=alice', '--sandbox', s.file]);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(again.stdout).toMatch(/already present/);

    const l = await runCli(['list', '--json', 'gcp:project/ml-prod?user=alice', '--sandbox', s.file]);
    expect(l.code, l.stderr + l.stdout).toBe(0);
    const doc = JSON.parse(l.stdout) as {
      targets: { keys: { fingerprint: string; user: string; id: string }[] }[];
    };
    expect(doc.targets[0]!.keys).toEqual([
      expect.objectContaining({ fingerprint: key.fingerprint, id: key.fingerprint, user: 'alice' }),
    ]);

    const all = await runCli(['list', '--json', 'gcp:project/ml-prod?user=*', '--sandbox', s.file]);
    const users = (JSON.parse(all.stdout) as typeof doc).targets[0]!.keys.map((k) => k.user);
    expect(users).toEqual(['bob', 'carol', 'dave', 'erin', 'frank', 'heidi', 'alice']);

    const r = await runCli([
      'revoke',
      key.fingerprint,
      'gcp:project/ml-prod?user=alice',
      '--sandbox',
      s.file,
    ]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/removed\s+gcp:project\/ml-prod\?user=alice/);
    expect(projectSnapshot().replace(/"fingerprint":"[^"]+"/, '')).toBe(
      original.replace(/"fingerprint":"[^"]+"/, ''),
    );
    expect(sshKeysOf(s.emu)).toBe(originalValue);
  });

  it('grant --expires writes the google-ssh form; --json reports it', async () => {
    const { file, b64 } = keyFile();
    const g = await runCli([
      'grant',
      '--json',
      '--expires',
      '2031-02-03T04:05:06Z',
      file,
      'gcp:project/ml-prod?user=erin2',
      '--sandbox',
      s.file,
    ]);
    expect(g.code, g.stderr + g.stdout).toBe(0);
    const doc = JSON.parse(g.stdout) as {
      ok: boolean;
      results: { status: string; key: { expiresAt: string } }[];
    };
    expect(doc.ok).toBe(true);
    expect(doc.results[0]).toMatchObject({ status: 'added', key: { expiresAt: '2031-02-03T04:05:06.000Z' } });
    expect(sshKeysOf(s.emu)).toContain(
      `erin2:ssh-ed25519 ${b64} google-ssh {"userName":"erin2","expireOn":"2031-02-03T04:05:06+0000"}`,
    );
  });

  it('grant --dry-run changes nothing', async () => {
    const before = projectSnapshot();
    const { file } = keyFile();
    const g = await runCli(['grant', '--dry-run', file, 'gcp:project/ml-prod?user=zed', '--sandbox', s.file]);
    expect(g.code, g.stderr + g.stdout).toBe(0);
    expect(g.stdout).toMatch(/would add/);
    expect(projectSnapshot()).toBe(before);
  });

  it('grant to a project with OS Login on warns that VMs ignore the key', async () => {
    const { file } = keyFile();
    const g = await runCli(['grant', file, 'gcp:project/ml-oslogin?user=alice', '--sandbox', s.file]);
    expect(g.code, g.stderr + g.stdout).toBe(0);
    expect(g.stdout).toMatch(/warning: enable-oslogin is TRUE on project ml-oslogin/);
  });
});

describe('gcp:instance/P/Z/I?user=U', () => {
  it('grant, list, revoke on one VM; the project is untouched', async () => {
    const project = projectSnapshot();
    const before = instanceValue('locked-1')!;
    const { file, key } = keyFile();
    const target = 'gcp:instance/ml-prod/us-central1-a/locked-1?user=ops2';
    expect((await runCli(['grant', file, target, '--sandbox', s.file])).code).toBe(0);
    expect(instanceValue('locked-1')).toBe(
      `${before}\nops2:${key.type} ${key.blob.toString('base64')} cli@test`,
    );
    const l = await runCli(['list', target.replace('ops2', '*'), '--sandbox', s.file]);
    expect(l.code, l.stderr + l.stdout).toBe(0);
    expect(l.stdout).toContain(key.fingerprint);
    expect((await runCli(['revoke', file, target, '--sandbox', s.file])).code).toBe(0);
    expect(instanceValue('locked-1')).toBe(before);
    expect(projectSnapshot()).toBe(project);
  });
});

describe('gcp:oslogin/EMAIL', () => {
  it('grant (default expiry), list, revoke', async () => {
    const { file, key } = keyFile();
    const target = 'gcp:oslogin/ci-runner@ml-prod.iam.gserviceaccount.com';
    const g = await runCli(['grant', file, target, '--sandbox', s.file]);
    expect(g.code, g.stderr + g.stdout).toBe(0);
    expect(g.stdout).toMatch(/default expiry of 30 days/);
    const l = await runCli(['list', '--json', target, '--sandbox', s.file]);
    const keys = (
      JSON.parse(l.stdout) as { targets: { keys: { fingerprint: string; expiresAt?: string }[] }[] }
    ).targets[0]!.keys;
    expect(keys).toEqual([
      expect.objectContaining({ fingerprint: key.fingerprint, expiresAt: expect.any(String) }),
    ]);
    const r = await runCli(['revoke', key.fingerprint, target, '--sandbox', s.file]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(
      Object.keys(s.emu.getLoginProfile('ci-runner@ml-prod.iam.gserviceaccount.com')?.sshPublicKeys ?? {}),
    ).toHaveLength(0);
  });
});

describe('prune', () => {
  it('a read-only token cannot prune: exit 1, the missing permission named, nothing changed', async () => {
    const before = projectSnapshot();
    const p = await runCli(['prune', 'gcp:project/ml-prod', '--sandbox', s.viewerFile]);
    expect(p.code, p.stderr + p.stdout).toBe(1);
    expect(p.stdout).toMatch(
      /failed\s+gcp:project\/ml-prod[\s\S]*hint: the credentials lack compute\.projects\.setCommonInstanceMetadata on project ml-prod/,
    );
    expect(projectSnapshot()).toBe(before);
  });

  it('--dry-run reports, then prune removes exactly the expired google-ssh line (all users when ?user= is left out)', async () => {
    const before = sshKeysOf(s.emu)!;
    const dry = await runCli(['prune', '--dry-run', 'gcp:project/ml-prod', '--sandbox', s.file]);
    expect(dry.code, dry.stderr + dry.stdout).toBe(0);
    expect(dry.stdout).toMatch(/would remove 1 expired key\s+gcp:project\/ml-prod\?user=\*/);
    expect(dry.stdout).toMatch(/dave\s+SHA256:\S+\s+ecdsa-sha2-nistp256\s+expired 20/);
    expect(sshKeysOf(s.emu)).toBe(before);

    const p = await runCli(['prune', '--json', 'gcp:project/ml-prod', '--sandbox', s.file]);
    expect(p.code, p.stderr + p.stdout).toBe(0);
    const doc = JSON.parse(p.stdout) as {
      ok: boolean;
      results: { status: string; removed: { user: string }[]; notes: string[] }[];
    };
    expect(doc.results[0]).toMatchObject({ status: 'pruned', removed: [{ user: 'dave' }] });
    expect(doc.results[0]!.notes[0]).toMatch(/3 invalid line/);
    expect(sshKeysOf(s.emu)).toBe(
      before
        .split('\n')
        .filter((l) => !l.startsWith('dave:'))
        .join('\n'),
    );
    expect(parseSshKeys(sshKeysOf(s.emu)).filter((l) => l.kind === 'invalid')).toHaveLength(3);

    const again = await runCli([
      'prune',
      'gcp:project/ml-prod',
      'gcp:instance/ml-prod/us-central1-a/trainer-1',
      '--sandbox',
      s.file,
    ]);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(again.stdout.match(/nothing expired/g)).toHaveLength(2);
  });

  it('prunes OS Login keys', async () => {
    const p = await runCli(['prune', 'gcp:oslogin/alice@example.com', '--sandbox', s.file]);
    expect(p.code, p.stderr + p.stdout).toBe(0);
    expect(p.stdout).toMatch(/nothing expired\s+gcp:oslogin\/alice@example.com/);
  });

  it('refuses non-Google targets with exit 2', async () => {
    const p = await runCli(['prune', 'github:user', '--sandbox', s.file]);
    expect(p.code, p.stderr + p.stdout).toBe(2);
    expect(p.stderr).toMatch(/keyfleet: error: prune works on Google Cloud targets/);
  });
});

describe('bad input: a clear error and nothing changed', () => {
  const cases: [string, string[], number, RegExp][] = [
    ['a username with a space', ['gcp:project/ml-prod?user=bad%20user'], 2, /username contains whitespace/],
    [
      'an injected newline in the username',
      ['gcp:project/ml-prod?user=a%0Amallory'],
      2,
      /whitespace or control characters/,
    ],
    [
      'a carriage return in the username',
      ['gcp:project/ml-prod?user=a%0Db'],
      2,
      /whitespace or control characters/,
    ],
    ['a colon in the username', ['gcp:project/ml-prod?user=a:b'], 2, /"\/" or ":"/],
    ['a leading hyphen', ['gcp:project/ml-prod?user=-oProxyCommand'], 2, /starts with "-"/],
    ['no user at all', ['gcp:project/ml-prod'], 2, /missing "\?user=NAME"/],
    [
      'an unknown project',
      ['gcp:project/no-such-project?user=alice'],
      1,
      /was not found[\s\S]*hint: check the names: project no-such-project does not exist/,
    ],
    [
      'an unknown instance',
      ['gcp:instance/ml-prod/us-central1-a/ghost?user=alice'],
      1,
      /hint: check the names: instance ml-prod\/us-central1-a\/ghost/,
    ],
  ];
  it.each(cases)('%s', async (_name, targets, code, message) => {
    const before = projectSnapshot();
    const { file } = keyFile();
    const g = await runCli(['grant', file, ...targets, '--sandbox', s.file]);
    expect(g.code, g.stderr + g.stdout).toBe(code);
    expect(g.stdout + g.stderr).toMatch(message);
    expect(g.stdout + g.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(projectSnapshot()).toBe(before);
  });

  it('a newline or control character in --title is refused', async () => {
    const before = projectSnapshot();
    const { file } = keyFile();
    for (const title of ['x\nmallory:ssh-ed25519 AAAA', 'x\ry', 'bell\u0007']) {
      const g = await runCli([
        'grant',
        '--title',
        title,
        file,
        'gcp:project/ml-prod?user=alice',
        '--sandbox',
        s.file,
      ]);
      expect(g.code, g.stderr + g.stdout).toBe(2);
      expect(g.stderr).toMatch(/keyfleet: error: .*title/);
    }
    expect(projectSnapshot()).toBe(before);
  });

  it('a forged google-ssh title is refused', async () => {
    const before = projectSnapshot();
    const { file } = keyFile();
    const g = await runCli([
      'grant',
      '--title',
      'google-ssh {"expireOn":"2099-01-01T00:00:00Z"}',
      file,
      'gcp:project/ml-prod?user=alice',
      '--sandbox',
      s.file,
    ]);
    expect(g.code, g.stderr + g.stdout).toBe(1);
    expect(g.stdout + g.stderr).toMatch(/starts with "google-ssh"/);
    expect(projectSnapshot()).toBe(before);
  });

  it('a read-only (viewer) token: grant and revoke fail naming the permission; metadata byte-identical', async () => {
    const before = projectSnapshot();
    const { file } = keyFile();
    const g = await runCli(['grant', file, 'gcp:project/ml-prod?user=alice', '--sandbox', s.viewerFile]);
    expect(g.code, g.stderr + g.stdout).toBe(1);
    expect(g.stdout).toMatch(/Required 'compute\.projects\.setCommonInstanceMetadata' permission/);
    expect(g.stdout).toMatch(
      /hint: the credentials lack compute\.projects\.setCommonInstanceMetadata on project ml-prod/,
    );
    const bob = (
      JSON.parse(
        (await runCli(['list', '--json', 'gcp:project/ml-prod?user=bob', '--sandbox', s.file])).stdout,
      ) as {
        targets: { keys: { fingerprint: string }[] }[];
      }
    ).targets[0]!.keys[0]!;
    const r = await runCli([
      'revoke',
      bob.fingerprint,
      'gcp:project/ml-prod?user=bob',
      '--sandbox',
      s.viewerFile,
    ]);
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(r.stdout).toMatch(/failed/);
    const token = s.emu.token('viewer');
    expect(g.stdout + g.stderr + r.stdout + r.stderr).not.toContain(token);
    expect(projectSnapshot()).toBe(before);
  });

  it('an ssh-keys value pushed past 256 KiB is refused before writing', async () => {
    // Fill ml-oslogin's ssh-keys close to 256 KiB, as another tool might have.
    const md = s.emu.getProjectMetadata('ml-oslogin')!;
    const filler = Array.from({ length: 2500 }, (_, i) => `filler${i}:ssh-ed25519 ${'A'.repeat(90)}`).join(
      '\n',
    );
    const value = filler.slice(0, 262_144 - 120);
    const res = await fetch(`${s.emu.computeUrl}/projects/ml-oslogin/setCommonInstanceMetadata`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.emu.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        fingerprint: md.fingerprint,
        items: [...md.items!.filter((i) => i.key !== 'ssh-keys'), { key: 'ssh-keys', value }],
      }),
    });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    const before = projectSnapshot('ml-oslogin');
    const { file } = keyFile('c'.repeat(100));
    const g = await runCli(['grant', file, 'gcp:project/ml-oslogin?user=alice', '--sandbox', s.file]);
    expect(g.code, g.stderr + g.stdout).toBe(1);
    expect(g.stdout).toMatch(
      /would be 262,\d{3} bytes, over Google's limit of 262,144 bytes \(256 KiB\); nothing was written/,
    );
    expect(projectSnapshot('ml-oslogin')).toBe(before);
  });
});
