/** `keyfleet grant` end to end: the built CLI against the sandbox over loopback. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { genKey, privateBodyLines, sshFingerprint, hasStackTrace } from './helpers.js';
import { expectNoTokens, startCliFixture, type CliFixture } from '../platforms/cli-fixture.js';

let f: CliFixture;
let key: string; // private key path; the public key is key + '.pub'

beforeAll(async () => {
  f = await startCliFixture();
  key = genKey(f.dir, 'deploy', 'ed25519');
});
afterAll(async () => {
  await f?.stop();
});
beforeEach(() => {
  f.sb.github.reset();
  f.sb.gitlab.reset();
});

interface GrantJson {
  command: string;
  dryRun: boolean;
  ok: boolean;
  expiresAt?: string;
  key: {
    fingerprint: string;
    md5: string;
    type: string;
    bits: number;
    comment: string;
    verdict: string;
    findings: unknown[];
  };
  results: {
    target: string;
    status: string;
    key?: { id: string; fingerprint: string; readOnly?: boolean; expiresAt?: string; title?: string };
    warnings: string[];
    notes: string[];
    error?: { code: string; message: string; hint?: string; status?: number; platform?: string };
  }[];
}

describe('keyfleet grant', () => {
  it('places a key on several targets, then reports it as already present', async () => {
    const targets = [
      'github:repo/mlops/trainer',
      'gitlab:project/ml/trainer?push',
      'gitlab:project/ml/platform/infra',
    ];
    const r = await f.run(['grant', `${key}.pub`, ...targets, '--sandbox', f.conn, '--title', 'ci deploy']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(sshFingerprint(`${key}.pub`));
    expect(r.stdout).toMatch(/added\s+github:repo\/mlops\/trainer \(id \d+, read-only\)/);
    expect(r.stdout).toMatch(/added\s+gitlab:project\/ml\/trainer\?push \(id \d+, push\)/);
    expect(r.stdout).toMatch(/added\s+gitlab:project\/ml\/platform\/infra \(id \d+, read-only\)/);
    expect(r.stdout).toMatch(/3 added$/m);
    expect(f.sb.github.state.keys.map((k) => k.title)).toEqual(['ci deploy']);

    const again = await f.run(['grant', `${key}.pub`, ...targets, '--sandbox', f.conn]);
    expect(again.status).toBe(0);
    expect(again.stdout.match(/already present/g)).toHaveLength(4); // three rows and the summary
    expect(again.stdout).toMatch(/^3 already present$/m);
    expect(f.sb.github.state.keys).toHaveLength(1);
  });

  it('--json prints one document with the key, its policy verdict and a result per target', async () => {
    const r = await f.run([
      'grant',
      '--json',
      `${key}.pub`,
      'github:user',
      'github:user/bob',
      '--sandbox',
      f.conn,
    ]);
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout) as GrantJson;
    expect(doc.command).toBe('grant');
    expect(doc.dryRun).toBe(false);
    expect(doc.ok).toBe(false);
    expect(doc.key).toMatchObject({
      fingerprint: sshFingerprint(`${key}.pub`),
      type: 'ssh-ed25519',
      bits: 256,
      verdict: 'ok',
    });
    expect(doc.key.md5).toBe(sshFingerprint(`${key}.pub`, 'md5'));
    expect(doc.results.map((x) => [x.target, x.status])).toEqual([
      ['github:user', 'added'],
      ['github:user/bob', 'failed'],
    ]);
    expect(doc.results[0]!.key!.fingerprint).toBe(doc.key.fingerprint);
    expect(doc.results[1]!.error).toMatchObject({ code: 'READ_ONLY', platform: 'github' });
    expect(doc.results[1]!.error!.message).toMatch(/read only/);
  });

  it('--dry-run reports what would be added and changes nothing', async () => {
    const r = await f.run([
      'grant',
      '--dry-run',
      `${key}.pub`,
      'github:repo/mlops/trainer?write',
      'gitlab:user',
      '--sandbox',
      f.conn,
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/dry run, nothing changed/);
    expect(r.stdout.match(/would add/g)).toHaveLength(3); // two rows and the summary
    expect(f.sb.github.state.keys).toEqual([]);
    expect(f.sb.gitlab.state.keys).toEqual([]);
    const j = JSON.parse(
      (await f.run(['grant', '--dry-run', '--json', `${key}.pub`, 'gitlab:user', '--sandbox', f.conn]))
        .stdout,
    ) as GrantJson;
    expect(j.dryRun).toBe(true);
    expect(j.results[0]!.status).toBe('would-add');
  });

  it('a key already used on another GitHub repository fails that target with the uniqueness hint (exit 1)', async () => {
    expect(
      (await f.run(['grant', `${key}.pub`, 'github:repo/mlops/trainer', '--sandbox', f.conn])).status,
    ).toBe(0);
    const r = await f.run([
      'grant',
      `${key}.pub`,
      'github:repo/mlops/datasets',
      'gitlab:user',
      '--sandbox',
      f.conn,
    ]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/failed\s+github:repo\/mlops\/datasets/);
    expect(r.stdout).toMatch(/key is already in use/);
    expect(r.stdout).toMatch(/one key per repository, or a machine user/);
    expect(r.stdout).toMatch(/added\s+gitlab:user/);
    expect(r.stdout).toMatch(/1 failed, 1 added|1 added, 1 failed/);
  });

  it('GitLab: a second project enables the existing deploy key and says so', async () => {
    await f.run(['grant', `${key}.pub`, 'gitlab:project/ml/trainer', '--sandbox', f.conn]);
    const r = await f.run(['grant', `${key}.pub`, 'gitlab:project/ml/datasets', '--sandbox', f.conn]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/note: enabled the existing deploy key \d+ on gitlab:project\/ml\/datasets/);
    expect(f.sb.gitlab.state.keys).toHaveLength(1);
  });

  it('--expires sets the expiry where the platform has one; past or malformed dates are usage errors', async () => {
    const r = await f.run([
      'grant',
      '--json',
      '--expires',
      '30d',
      `${key}.pub`,
      'gitlab:user',
      'github:user',
      '--sandbox',
      f.conn,
    ]);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as GrantJson;
    const at = Date.parse(doc.expiresAt!);
    expect(at).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect(Date.parse(doc.results[0]!.key!.expiresAt!)).toBe(at);
    expect(doc.results[1]!.warnings.join()).toMatch(/GitHub keys cannot expire/);

    const past = await f.run([
      'grant',
      '--expires',
      '2020-01-01',
      `${key}.pub`,
      'gitlab:user',
      '--sandbox',
      f.conn,
    ]);
    expect(past.status).toBe(2);
    expect(past.stderr).toMatch(/^keyfleet: error: --expires "2020-01-01" is in the past/);
    const bad = await f.run(['grant', '--expires', 'soon', `${key}.pub`, 'gitlab:user', '--sandbox', f.conn]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/not understood; expected an ISO 8601 date or time/);
  });

  it('reads the key from standard input with "-"', async () => {
    const r = await f.run(
      ['grant', '-', 'gitlab:user', '--sandbox', f.conn],
      {},
      fs.readFileSync(`${key}.pub`, 'utf8'),
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/added\s+gitlab:user/);
    const empty = await f.run(['grant', '-', 'gitlab:user', '--sandbox', f.conn]);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/\(stdin\): no public key found/);
  });

  it('refuses a private key without echoing it', async () => {
    const r = await f.run(['grant', key, 'github:user', '--sandbox', f.conn]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/this is a private key; keyfleet places public keys only/);
    for (const line of privateBodyLines(key)) {
      expect(r.stdout + r.stderr).not.toContain(line);
    }
    expect(f.sb.github.state.keys).toEqual([]);
  });

  it('refuses a file with two keys, a forbidden key unless --allow-weak, and warns on a weak key', async () => {
    const two = path.join(f.dir, 'two.pub');
    const other = genKey(f.dir, 'other', 'ed25519');
    fs.writeFileSync(two, fs.readFileSync(`${key}.pub`, 'utf8') + fs.readFileSync(`${other}.pub`, 'utf8'));
    const r2 = await f.run(['grant', two, 'github:user', '--sandbox', f.conn]);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/give exactly one public key per file/);

    const weak = genKey(f.dir, 'weak', 'rsa', ['-b', '1024']);
    const refused = await f.run(['grant', `${weak}.pub`, 'gitlab:user', '--sandbox', f.conn]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(
      /the key policy refuses this key \(forbidden\): RSA key is 1024 bits.*--allow-weak/,
    );
    expect(f.sb.gitlab.state.keys).toEqual([]);
    const allowed = await f.run(['grant', '--allow-weak', `${weak}.pub`, 'gitlab:user', '--sandbox', f.conn]);
    expect(allowed.stderr).toMatch(/warning: .*RSA key is 1024 bits/);
    expect(allowed.status).toBe(0);

    const soso = genKey(f.dir, 'soso', 'rsa', ['-b', '2048']);
    const warned = await f.run(['grant', `${soso}.pub`, 'gitlab:user', '--sandbox', f.conn]);
    expect(warned.status).toBe(0);
    expect(warned.stderr).toMatch(
      /keyfleet: warning: SHA256:\S+: RSA key is 2048 bits; below 3072 bits is weak/,
    );
  });

  it('bad targets are usage errors that list the allowed forms', async () => {
    const r = await f.run([
      'grant',
      `${key}.pub`,
      'github:user',
      'github:user/bob?write',
      '--sandbox',
      f.conn,
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /invalid target "github:user\/bob\?write": "\?write" applies only to github:repo/,
    );
    expect(r.stderr).toMatch(/Allowed forms:/);
    expect(f.sb.github.state.keys).toEqual([]);
  });

  it('permission errors are per target: a Reporter on GitLab, a read-only GitHub token', async () => {
    const conn = f.connAs({ github: 'alice-readonly', gitlab: 'bob' });
    const r = await f.run([
      'grant',
      `${key}.pub`,
      'github:user',
      'gitlab:project/ml/trainer',
      '--sandbox',
      conn,
    ]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/failed\s+github:user[\s\S]*write:public_key/);
    expect(r.stdout).toMatch(/failed\s+gitlab:project\/ml\/trainer[\s\S]*403[\s\S]*Maintainer role/);
    expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
  });

  it('without a token it names GH_TOKEN/GITHUB_TOKEN and --sandbox; a token from the environment works', async () => {
    const url = (f.sb.connection as unknown as { github: { apiUrl: string } }).github.apiUrl;
    const none = await f.run(['grant', `${key}.pub`, 'github:user', '--github-url', url]);
    expect(none.status).toBe(1);
    expect(none.stdout).toMatch(/no GitHub token: adding a key on github:user needs one/);
    expect(none.stdout).not.toMatch(/listing/);
    expect(none.stdout).toMatch(/GH_TOKEN or GITHUB_TOKEN/);
    expect(none.stdout).toMatch(/--sandbox/);

    const withEnv = await f.run(['grant', `${key}.pub`, 'github:user', '--github-url', url], {
      GH_TOKEN: f.sb.github.token('bob'),
    });
    expect(withEnv.status).toBe(0);
    expect(f.sb.github.state.keys.map((k) => k.login)).toEqual(['bob']);
  });

  it('a missing sandbox file says no sandbox is running', async () => {
    const r = await f.run(['grant', `${key}.pub`, 'github:user', '--sandbox', path.join(f.dir, 'none.json')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/no sandbox running\? start one with `keyfleet sandbox`/);
  });

  it('--help documents targets, credentials and exit codes', async () => {
    const r = await f.run(['grant', '--help']);
    expect(r.status).toBe(0);
    for (const s of [
      '--title',
      '--expires',
      '--dry-run',
      '--json',
      '--allow-weak',
      '--sandbox',
      'github:repo/OWNER/REPO[?write]',
      'GH_TOKEN',
      'Exit status',
    ]) {
      expect(r.stdout).toContain(s);
    }
  });

  it('no token appears in any output of this file', () => {
    expect(expectNoTokens(f)).toBeGreaterThan(20);
  });
});
