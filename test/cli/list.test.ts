/** `keyfleet list` end to end: the built CLI against the sandbox over loopback. */
import fs from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { genKey, sshFingerprint } from './helpers.js';
import { expectNoTokens, startCliFixture, type CliFixture } from '../platforms/cli-fixture.js';
import { ed25519Line } from '../platforms/helpers.js';

let f: CliFixture;
let a: string;
let b: string;

beforeAll(async () => {
  f = await startCliFixture();
  a = genKey(f.dir, 'a', 'ed25519');
  b = genKey(f.dir, 'b', 'ecdsa', ['-b', '384']);
});
afterAll(async () => {
  await f?.stop();
});
beforeEach(() => {
  f.sb.github.reset();
  f.sb.gitlab.reset();
});

const pub = (k: string) => fs.readFileSync(`${k}.pub`, 'utf8').trim();

interface ListJson {
  command: string;
  ok: boolean;
  targets: {
    target: string;
    ok: boolean;
    keys: {
      id: string;
      fingerprint: string;
      type: string;
      bits: number;
      title?: string;
      createdAt?: string;
      expiresAt?: string;
      readOnly?: boolean;
    }[];
    error?: { code: string; message: string; hint?: string; status?: number };
  }[];
}

describe('keyfleet list', () => {
  it('prints a table of id, fingerprint, type, bits, title, created, expiry and access', async () => {
    f.sb.github.addDeployKey('mlops/trainer', pub(a), { title: 'reader', readOnly: true });
    f.sb.github.addDeployKey('mlops/trainer', pub(b), { title: 'writer', readOnly: false });
    f.sb.gitlab.addUserKey('root', pub(a), {
      title: 'root laptop',
      expiresAt: new Date('2031-01-02T00:00:00Z'),
    });
    const r = await f.run([
      'list',
      'github:repo/mlops/trainer',
      'gitlab:user',
      'gitlab:project/ml/trainer',
      '--sandbox',
      f.conn,
    ]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^TARGET\s+ID\s+FINGERPRINT\s+TYPE\s+BITS\s+TITLE\s+CREATED\s+EXPIRES\s+ACCESS$/,
    );
    const row = (title: string) => lines.find((l) => l.includes(title))!;
    expect(row('reader')).toMatch(
      new RegExp(
        `^github:repo/mlops/trainer\\s+\\d+\\s+${escape(sshFingerprint(`${a}.pub`))}\\s+ssh-ed25519\\s+256\\s+reader\\s+\\S+\\s+-\\s+read-only$`,
      ),
    );
    expect(row('writer')).toMatch(/ecdsa-sha2-nistp384\s+384\s+writer\s+\S+\s+-\s+push$/);
    expect(row('root laptop')).toMatch(
      /^gitlab:user\s+\d+\s+SHA256:\S+\s+ssh-ed25519\s+256\s+root laptop\s+\S+\s+2031-01-02T00:00:00(\.000)?Z\s+-$/,
    );
    expect(r.stdout).toMatch(/^gitlab:project\/ml\/trainer: no keys$/m);
  });

  it('--json lists each target with its keys', async () => {
    f.sb.gitlab.addDeployKey('ml/trainer', pub(a), { title: 'ci', canPush: true });
    const r = await f.run([
      'list',
      '--json',
      'gitlab:project/ml/trainer?push',
      'github:user',
      '--sandbox',
      f.conn,
    ]);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as ListJson;
    expect(doc.command).toBe('list');
    expect(doc.ok).toBe(true);
    expect(doc.targets.map((t) => [t.target, t.ok, t.keys.length])).toEqual([
      ['gitlab:project/ml/trainer', true, 1],
      ['github:user', true, 0],
    ]);
    expect(doc.targets[0]!.keys[0]).toMatchObject({
      fingerprint: sshFingerprint(`${a}.pub`),
      type: 'ssh-ed25519',
      bits: 256,
      title: 'ci',
      readOnly: false,
    });
  });

  it('a target the token cannot see fails (exit 1) while the others are still listed', async () => {
    f.sb.github.addUserKey('bob', pub(a));
    const conn = f.connAs({ github: 'bob' });
    const r = await f.run(['list', 'github:repo/mlops/infra', 'github:user', '--sandbox', conn]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^github:user\s+\d+\s+SHA256:/m);
    expect(r.stderr).toMatch(
      /keyfleet: error: github: list the keys of github:repo\/mlops\/infra: Not Found/,
    );
    expect(r.stderr).toMatch(/hint: GitHub answers 404 when the token lacks access/);
    const j = JSON.parse(
      (await f.run(['list', '--json', 'github:repo/mlops/infra', '--sandbox', conn])).stdout,
    ) as ListJson;
    expect(j.ok).toBe(false);
    expect(j.targets[0]).toMatchObject({ ok: false, keys: [], error: { status: 404 } });
  });

  it("lists another user's public keys, read only, and past 100 keys", async () => {
    for (let i = 0; i < 105; i++) f.sb.gitlab.addUserKey('bob', ed25519Line(`k${i}`), { title: `k${i}` });
    const r = await f.run(['list', '--json', 'gitlab:user/bob', '--sandbox', f.conn]);
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as ListJson).targets[0]!.keys).toHaveLength(105);
  });

  it('needs at least one target', async () => {
    const r = await f.run(['list', '--sandbox', f.conn]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/missing required argument 'target'/);
  });

  it('no token appears in any output of this file', () => {
    expect(expectNoTokens(f)).toBeGreaterThan(5);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
