/**
 * The question the SSH git host asks: which keys reach which repository, with what access.
 * Answered by `GET /_sandbox/access` and the emulators' in-process `access()` / `identify()`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGithubEmulator, type GithubEmulator } from '../../src/sandbox/github/index.js';
import { startGitlabEmulator, type GitlabEmulator } from '../../src/sandbox/gitlab/index.js';
import { call, makeKey } from './helpers.js';

let gh: GithubEmulator;
let gl: GitlabEmulator;

beforeAll(async () => {
  gh = await startGithubEmulator();
  gl = await startGitlabEmulator();
});
afterAll(async () => {
  await gh.close();
  await gl.close();
});

const ask = async (url: string, fingerprint: string, repo: string) =>
  (
    await call(
      `${url}/_sandbox/access?fingerprint=${encodeURIComponent(fingerprint)}&repo=${encodeURIComponent(repo)}`,
    )
  ).json;

describe('GitHub access', () => {
  it('deploy keys reach only their repository, with write unless read-only', async () => {
    const ro = makeKey();
    const rw = makeKey();
    const a = gh.addDeployKey('mlops/trainer', ro.line, { readOnly: true });
    gh.addDeployKey('mlops/datasets', rw.line, { readOnly: false });
    expect(await ask(gh.url, ro.fingerprint, 'mlops/trainer')).toMatchObject({
      allowed: true,
      write: false,
      deployKeyId: a.id,
    });
    expect(await ask(gh.url, rw.fingerprint, 'mlops/datasets')).toMatchObject({ allowed: true, write: true });
    expect(await ask(gh.url, ro.fingerprint, 'mlops/datasets')).toMatchObject({
      allowed: false,
      write: false,
    });
  });

  it('user keys follow the collaborator role; unknown keys and repos are denied', async () => {
    const bob = makeKey();
    const ci = makeKey();
    gh.addUserKey('bob', bob.line);
    gh.addUserKey('ci-bot', ci.line);
    expect(gh.access(bob.fingerprint, 'mlops/trainer')).toMatchObject({
      allowed: true,
      write: true,
      user: 'bob',
    });
    expect(gh.access(bob.fingerprint, 'mlops/infra')).toMatchObject({ allowed: false, user: 'bob' });
    expect(gh.access(ci.fingerprint, 'mlops/datasets')).toMatchObject({
      allowed: true,
      write: false,
      user: 'ci-bot',
    });
    expect(gh.access(makeKey().fingerprint, 'mlops/trainer')).toMatchObject({ allowed: false });
    expect(gh.access(bob.fingerprint, 'mlops/nope')).toMatchObject({
      allowed: false,
      reason: 'no repository mlops/nope',
    });
    expect(gh.identify(ci.fingerprint)).toMatchObject({ known: true, principal: 'user ci-bot' });
    expect(gh.repositories()).toEqual(['mlops/trainer', 'mlops/datasets', 'mlops/infra']);
  });

  it('the endpoint takes the fingerprint with or without SHA256: and refuses MD5', async () => {
    const k = makeKey();
    gh.addUserKey('alice', k.line);
    expect(await ask(gh.url, k.fingerprint.slice(7), 'mlops/infra')).toMatchObject({
      allowed: true,
      write: true,
    });
    const md5 = await call(`${gh.url}/_sandbox/access?fingerprint=${k.md5}&repo=mlops/infra`);
    expect(md5.status).toBe(400);
    const noRepo = await call(`${gh.url}/_sandbox/access?fingerprint=${encodeURIComponent(k.fingerprint)}`);
    expect(noRepo.status).toBe(400);
  });
});

describe('GitLab access', () => {
  it('deploy keys reach the projects they are enabled on, with push per project', async () => {
    const k = makeKey();
    const { key } = gl.addDeployKey('ml/trainer', k.line, { canPush: true });
    gl.addDeployKey('ml/platform/infra', k.line);
    expect(await ask(gl.url, k.fingerprint, 'ml/trainer')).toMatchObject({
      allowed: true,
      write: true,
      deployKeyId: key.id,
    });
    expect(await ask(gl.url, k.fingerprint, 'ml/platform/infra')).toMatchObject({
      allowed: true,
      write: false,
    });
    expect(await ask(gl.url, k.fingerprint, 'ml/datasets')).toMatchObject({ allowed: false });
  });

  it('user keys follow the role; expired keys and signing-only keys are denied', async () => {
    const alice = makeKey();
    const bob = makeKey();
    const carol = makeKey();
    const old = makeKey();
    gl.addUserKey('alice', alice.line);
    gl.addUserKey('bob', bob.line);
    gl.addUserKey('carol', carol.line);
    const expiring = gl.addUserKey('alice', old.line, { expiresAt: new Date(Date.now() + 60_000) });
    expect(gl.access(alice.fingerprint, 'ml/platform/infra')).toMatchObject({
      allowed: true,
      write: true,
      user: 'alice',
    });
    expect(gl.access(bob.fingerprint, 'ml/trainer')).toMatchObject({
      allowed: true,
      write: false,
      user: 'bob',
    });
    expect(gl.access(carol.fingerprint, 'ml/trainer')).toMatchObject({ allowed: false, user: 'carol' });
    expect(gl.access(old.fingerprint, 'ml/trainer').allowed).toBe(true);
    expiring.expiresAt = new Date(Date.now() - 1000).toISOString(); // time passes
    expect(await ask(gl.url, old.fingerprint, 'ml/trainer')).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/expired/),
    });
    expect(gl.identify(old.fingerprint).known).toBe(false);
    const signing = makeKey();
    const sk = gl.addUserKey('alice', signing.line);
    sk.usageType = 'signing';
    expect(gl.access(signing.fingerprint, 'ml/trainer')).toMatchObject({ allowed: false });
    expect(gl.repositories()).toEqual(['ml/trainer', 'ml/datasets', 'ml/platform/infra']);
  });
});
