import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  normalizeGithubApiUrl,
  normalizeGitlabUrl,
  resolvePlatformConfig,
} from '../../src/platforms/config.js';
import { missingTokenError } from '../../src/platforms/errors.js';
import { redact } from '../../src/platforms/redact.js';

describe('normalizeGithubApiUrl', () => {
  it.each([
    ['github.com', 'https://api.github.com'],
    ['https://github.com', 'https://api.github.com'],
    ['https://api.github.com/', 'https://api.github.com'],
    ['https://ghe.example.com', 'https://ghe.example.com/api/v3'],
    ['ghe.example.com', 'https://ghe.example.com/api/v3'],
    ['https://ghe.example.com/', 'https://ghe.example.com/api/v3'],
    ['https://ghe.example.com/api/v3', 'https://ghe.example.com/api/v3'],
    ['https://ghe.example.com/api/v3/', 'https://ghe.example.com/api/v3'],
    ['http://127.0.0.1:4567', 'http://127.0.0.1:4567'],
    ['http://localhost:4567/', 'http://localhost:4567'],
  ])('%s -> %s', (input, want) => {
    expect(normalizeGithubApiUrl(input)).toBe(want);
  });

  it('refuses URLs with credentials, queries or odd schemes', () => {
    expect(() => normalizeGithubApiUrl('https://user:pw@ghe.example.com')).toThrow(
      /must not carry credentials/,
    );
    expect(() => normalizeGithubApiUrl('https://ghe.example.com?x=1')).toThrow(/query or fragment/);
    expect(() => normalizeGithubApiUrl('ftp://ghe.example.com')).toThrow(UsageError);
    expect(() => normalizeGithubApiUrl('http://')).toThrow(/not a URL/);
  });
});

describe('normalizeGitlabUrl', () => {
  it.each([
    ['gitlab.com', 'https://gitlab.com'],
    ['https://gitlab.example.com/', 'https://gitlab.example.com'],
    ['https://gitlab.example.com/api/v4', 'https://gitlab.example.com'],
    ['https://gitlab.example.com/api/v4/', 'https://gitlab.example.com'],
    ['https://example.com/gitlab/api/v4', 'https://example.com/gitlab'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
  ])('%s -> %s', (input, want) => {
    expect(normalizeGitlabUrl(input)).toBe(want);
  });
});

describe('resolvePlatformConfig from flags and environment', () => {
  it('defaults to github.com and gitlab.com without tokens', async () => {
    const c = await resolvePlatformConfig({ env: {} });
    expect(c).toEqual({
      github: { apiUrl: 'https://api.github.com' },
      gitlab: { url: 'https://gitlab.com' },
      gcp: {},
    });
  });

  it('reads GH_TOKEN before GITHUB_TOKEN and GITLAB_TOKEN, and registers them as secrets', async () => {
    const gh = 'env-gh-token-value-1234567890';
    const c = await resolvePlatformConfig({
      env: {
        GH_TOKEN: gh,
        GITHUB_TOKEN: 'other-github-token-0987654321',
        GITLAB_TOKEN: 'env-gitlab-token-abcdefghij',
      },
    });
    expect(c.github.token).toBe(gh);
    expect(c.gitlab.token).toBe('env-gitlab-token-abcdefghij');
    expect(redact(`x ${gh} y env-gitlab-token-abcdefghij`)).toBe('x [REDACTED] y [REDACTED]');
  });

  it('falls back to GITHUB_TOKEN and GITLAB_ACCESS_TOKEN; empty values do not count', async () => {
    const c = await resolvePlatformConfig({
      env: {
        GH_TOKEN: '  ',
        GITHUB_TOKEN: 'gh-from-github-token-123456',
        GITLAB_ACCESS_TOKEN: 'gl-access-token-12345678',
      },
    });
    expect(c.github.token).toBe('gh-from-github-token-123456');
    expect(c.gitlab.token).toBe('gl-access-token-12345678');
  });

  it('uses GH_HOST / GITHUB_API_URL and GITLAB_HOST / GITLAB_URL / CI_SERVER_URL for the hosts', async () => {
    expect((await resolvePlatformConfig({ env: { GH_HOST: 'ghe.corp.example' } })).github.apiUrl).toBe(
      'https://ghe.corp.example/api/v3',
    );
    expect(
      (await resolvePlatformConfig({ env: { GITHUB_API_URL: 'https://api.github.com' } })).github.apiUrl,
    ).toBe('https://api.github.com');
    expect((await resolvePlatformConfig({ env: { GITLAB_HOST: 'gitlab.corp.example' } })).gitlab.url).toBe(
      'https://gitlab.corp.example',
    );
    expect(
      (await resolvePlatformConfig({ env: { CI_SERVER_URL: 'https://gl.example.org' } })).gitlab.url,
    ).toBe('https://gl.example.org');
    expect(
      (
        await resolvePlatformConfig({
          env: { GITLAB_URL: 'https://a.example', CI_SERVER_URL: 'https://b.example' },
        })
      ).gitlab.url,
    ).toBe('https://a.example');
  });

  it('lets flags win over the environment', async () => {
    const c = await resolvePlatformConfig({
      githubUrl: 'https://ghe.example.com',
      gitlabUrl: 'https://gitlab.example.com/api/v4',
      githubToken: 'flag-github-token-1234567',
      env: { GH_HOST: 'other.example', GITLAB_HOST: 'other.example', GH_TOKEN: 'env-token-should-lose-1234' },
    });
    expect(c.github).toEqual({
      apiUrl: 'https://ghe.example.com/api/v3',
      token: 'flag-github-token-1234567',
    });
    expect(c.gitlab).toEqual({ url: 'https://gitlab.example.com' });
  });

  it('prefers the enterprise token variables for a GHES host', async () => {
    const c = await resolvePlatformConfig({
      githubUrl: 'https://ghe.example.com',
      env: { GH_TOKEN: 'dotcom-token-1234567890', GH_ENTERPRISE_TOKEN: 'ghes-token-1234567890' },
    });
    expect(c.github.token).toBe('ghes-token-1234567890');
  });
});

describe('resolvePlatformConfig --sandbox', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kf-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const conn = {
    version: 1,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    stateFile: null,
    github: {
      apiUrl: 'http://127.0.0.1:1111',
      token: 'kfgh_defaultdefaultdefault0001',
      tokens: { alice: 'kfgh_defaultdefaultdefault0001', bob: 'kfgh_bobbobbobbobbobbobbob0002' },
    },
    gitlab: {
      url: 'http://127.0.0.1:2222',
      apiUrl: 'http://127.0.0.1:2222/api/v4',
      token: 'kfgl_rootrootrootrootroot0003',
      tokens: { root: 'kfgl_rootrootrootrootroot0003', alice: 'plainsecretwithoutprefix0004' },
    },
    gcp: {
      computeUrl: 'http://127.0.0.1:3333/compute/v1',
      osloginUrl: 'http://127.0.0.1:3333',
      token: 'kfgc_ownerownerownerowner0005',
      tokens: {},
    },
  };

  it('takes URLs and tokens from the connection file, ignoring the environment', async () => {
    const file = path.join(dir, 'sandbox.json');
    fs.writeFileSync(file, JSON.stringify(conn), { mode: 0o600 });
    const c = await resolvePlatformConfig({ sandbox: file, env: { GH_TOKEN: 'env-token-not-used-12345' } });
    expect(c).toEqual({
      github: { apiUrl: 'http://127.0.0.1:1111', token: 'kfgh_defaultdefaultdefault0001' },
      gitlab: { url: 'http://127.0.0.1:2222', token: 'kfgl_rootrootrootrootroot0003' },
      gcp: {
        computeUrl: 'http://127.0.0.1:3333/compute/v1',
        osloginUrl: 'http://127.0.0.1:3333',
        token: 'kfgc_ownerownerownerowner0005',
      },
      sandboxFile: file,
    });
    // Every token in the file is a registered secret, even one without a known shape.
    expect(redact('token plainsecretwithoutprefix0004')).toBe('token [REDACTED]');
  });

  it('--sandbox without a file reads KEYFLEET_SANDBOX_FILE', async () => {
    const file = path.join(dir, 'env-sandbox.json');
    fs.writeFileSync(file, JSON.stringify(conn), { mode: 0o600 });
    const before = process.env.KEYFLEET_SANDBOX_FILE;
    process.env.KEYFLEET_SANDBOX_FILE = file;
    try {
      const c = await resolvePlatformConfig({ sandbox: true, env: {} });
      expect(c.sandboxFile).toBe(file);
      expect(c.github.apiUrl).toBe('http://127.0.0.1:1111');
    } finally {
      if (before === undefined) delete process.env.KEYFLEET_SANDBOX_FILE;
      else process.env.KEYFLEET_SANDBOX_FILE = before;
    }
  });

  it('a missing connection file says no sandbox is running', async () => {
    await expect(resolvePlatformConfig({ sandbox: path.join(dir, 'nope.json') })).rejects.toThrow(
      /no sandbox running\? start one with `keyfleet sandbox`/,
    );
  });
});

describe('missingTokenError', () => {
  it('names the variables and the sandbox alternative', () => {
    const gh = missingTokenError('github', 'adding a key on github:user');
    expect(gh.message).toMatch(/no GitHub token: adding a key on github:user needs one/);
    expect(gh.message).toMatch(/GH_TOKEN or GITHUB_TOKEN/);
    expect(gh.message).toMatch(/--sandbox/);
    expect(gh.code).toBe('NO_TOKEN');
    const gl = missingTokenError('gitlab', 'listing deploy keys');
    expect(gl.message).toMatch(/GITLAB_TOKEN/);
    expect(gl.message).toMatch(/--sandbox/);
  });
});
