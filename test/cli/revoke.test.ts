/** `keyfleet revoke` end to end: the built CLI against the sandbox over loopback. */
import fs from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { genKey, sshFingerprint } from './helpers.js';
import { expectNoTokens, startCliFixture, type CliFixture } from '../platforms/cli-fixture.js';

let f: CliFixture;
let leaked: string;
let other: string;
let third: string;

beforeAll(async () => {
  f = await startCliFixture();
  leaked = genKey(f.dir, 'leaked', 'ed25519');
  other = genKey(f.dir, 'other', 'ed25519');
  third = genKey(f.dir, 'third', 'ed25519');
});
afterAll(async () => {
  await f?.stop();
});

const pub = (k: string) => fs.readFileSync(`${k}.pub`, 'utf8').trim();

interface RevokeJson {
  command: string;
  dryRun: boolean;
  fingerprint: string;
  ok: boolean;
  results: {
    target: string;
    status: string;
    keys: { id: string; fingerprint: string }[];
    notes: string[];
    error?: { code: string; message: string; hint?: string };
  }[];
}

/** The leaked key on GitHub (user key of alice) and GitLab (deploy key of one project, user key of bob);
 *  an unrelated key next to it everywhere. */
function seed(): { ghUser: number; ghOther: number; glDeploy: number; glOther: number } {
  f.sb.github.reset();
  f.sb.gitlab.reset();
  const ghUser = f.sb.github.addUserKey('alice', pub(leaked), 'leaked').id;
  const ghOther = f.sb.github.addUserKey('alice', pub(other), 'other').id;
  const glDeploy = f.sb.gitlab.addDeployKey('ml/trainer', pub(leaked), { title: 'leaked' }).key.id;
  const glOther = f.sb.gitlab.addUserKey('root', pub(other), { title: 'other' }).id;
  return { ghUser, ghOther, glDeploy, glOther };
}

const TARGETS = ['github:user', 'gitlab:project/ml/trainer', 'gitlab:user', 'github:repo/mlops/trainer'];

describe('keyfleet revoke', () => {
  beforeEach(() => {
    seed();
  });

  it('removes exactly the keys with the fingerprint, and nothing else', async () => {
    const ids = seed();
    const fp = sshFingerprint(`${leaked}.pub`);
    const r = await f.run(['revoke', fp, ...TARGETS, '--sandbox', f.conn]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`removed\\s+github:user \\(id ${ids.ghUser}\\)`));
    expect(r.stdout).toMatch(new RegExp(`removed\\s+gitlab:project/ml/trainer \\(id ${ids.glDeploy}\\)`));
    expect(r.stdout).toMatch(/note: this was its last project: GitLab deleted the key/);
    expect(r.stdout).toMatch(/not there\s+gitlab:user/);
    expect(r.stdout).toMatch(/^2 removed, 2 not there$/m);
    expect(f.sb.github.state.keys.map((k) => k.id)).toEqual([ids.ghOther]);
    expect(f.sb.gitlab.state.keys.map((k) => k.id)).toEqual([ids.glOther]);

    const again = await f.run(['revoke', fp, ...TARGETS, '--sandbox', f.conn]);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/^4 not there$/m);
  });

  it('takes the key file or an MD5 fingerprint instead of SHA256', async () => {
    const byFile = await f.run(['revoke', `${leaked}.pub`, 'github:user', '--sandbox', f.conn]);
    expect(byFile.status).toBe(0);
    expect(byFile.stdout).toMatch(/removed\s+github:user/);
    const md5 = sshFingerprint(`${leaked}.pub`, 'md5');
    expect(md5).toMatch(/^MD5:/);
    const byMd5 = await f.run(['revoke', md5, 'gitlab:project/ml/trainer', '--sandbox', f.conn]);
    expect(byMd5.status).toBe(0);
    expect(byMd5.stdout).toMatch(/removed\s+gitlab:project\/ml\/trainer/);
    const bare = await f.run(['revoke', md5.slice(4), 'gitlab:project/ml/trainer', '--sandbox', f.conn]);
    expect(bare.stdout).toMatch(/not there/);
  });

  it('--dry-run reports what would be removed and changes nothing', async () => {
    const before = [f.sb.github.state.keys.length, f.sb.gitlab.state.keys.length];
    const r = await f.run(['revoke', '--dry-run', `${leaked}.pub`, ...TARGETS, '--sandbox', f.conn]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/dry run, nothing changed/);
    expect(r.stdout).toMatch(/would remove\s+github:user/);
    expect(r.stdout).toMatch(/note: this is its last project: GitLab would delete the deploy key entirely/);
    expect([f.sb.github.state.keys.length, f.sb.gitlab.state.keys.length]).toEqual(before);
  });

  it('--json documents each target', async () => {
    const fp = sshFingerprint(`${leaked}.pub`);
    const r = await f.run(['revoke', '--json', fp, 'github:user', 'gitlab:user', '--sandbox', f.conn]);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as RevokeJson;
    expect(doc).toMatchObject({ command: 'revoke', dryRun: false, fingerprint: fp, ok: true });
    expect(doc.results.map((x) => [x.target, x.status, x.keys.map((k) => k.fingerprint)])).toEqual([
      ['github:user', 'removed', [fp]],
      ['gitlab:user', 'absent', []],
    ]);
  });

  it('a token that cannot see a target fails it as "cannot see", never "not there", and removes nothing there', async () => {
    f.sb.github.addDeployKey('mlops/infra', pub(third), { title: 'infra' });
    const conn = f.connAs({ github: 'bob', gitlab: 'carol' });
    const fp = sshFingerprint(`${third}.pub`);
    const r = await f.run([
      'revoke',
      fp,
      'github:repo/mlops/infra',
      'gitlab:project/ml/trainer',
      '--sandbox',
      conn,
    ]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /failed\s+github:repo\/mlops\/infra[\s\S]*Not Found[\s\S]*hint: GitHub answers 404 when the token lacks access/,
    );
    expect(r.stdout).toMatch(/failed\s+gitlab:project\/ml\/trainer[\s\S]*404 Project Not Found/);
    expect(r.stdout).not.toMatch(/not there/);
    expect(f.sb.github.state.keys.some((k) => k.repo === 'mlops/infra')).toBe(true);

    const j = JSON.parse(
      (await f.run(['revoke', '--json', fp, 'github:repo/mlops/infra', '--sandbox', conn])).stdout,
    ) as RevokeJson;
    expect(j.ok).toBe(false);
    expect(j.results[0]!.status).toBe('failed');
  });

  it('a read-only token cannot remove: the key stays and the reason is given', async () => {
    const conn = f.connAs({ github: 'alice-readonly' });
    const r = await f.run(['revoke', `${leaked}.pub`, 'github:user', '--sandbox', conn]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /the key is still there: the token can list github:user but may not delete keys/,
    );
    expect(f.sb.github.state.keys.some((k) => k.title === 'leaked')).toBe(true);
  });

  it('bad fingerprints and targets are usage errors', async () => {
    const r = await f.run(['revoke', 'SHA256:tooshort', 'github:user', '--sandbox', f.conn]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/"SHA256:tooshort" is not a valid fingerprint/);
    const t = await f.run(['revoke', `${leaked}.pub`, 'gitlab:project/ml', '--sandbox', f.conn]);
    expect(t.status).toBe(2);
    expect(t.stderr).toMatch(/invalid target "gitlab:project\/ml"/);
    expect(f.sb.github.state.keys).toHaveLength(2);
  });

  it('no token appears in any output of this file', () => {
    expect(expectNoTokens(f)).toBeGreaterThan(10);
  });
});
