import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../src/keys/public-key.js';
import { hashHostName } from '../../src/keys/known-hosts.js';
import { GITHUB, GITLAB } from '../../src/hostkeys/pinned.js';
import { fetchGithubHostKeys, HostKeyError } from '../../src/hostkeys/github-meta.js';
import { checkKnownHosts } from '../../src/hostkeys/check.js';
import { generateKeyPair } from '../../src/keys/generate.js';

const exec = promisify(execFile);
const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [CLI, ...args], { encoding: 'utf8' });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('pinned host keys', () => {
  it.each([GITHUB, GITLAB])('every bundled key of $host has the fingerprint the vendor documents', (pins) => {
    expect(pins.keys.map((k) => parsePublicKey(k).fingerprint)).toEqual(pins.fingerprints);
    for (const r of pins.retired) expect(parsePublicKey(r.key).fingerprint).toBe(r.fingerprint);
  });
});

describe('GitHub /meta', () => {
  let server: Server;
  let url: string;
  let body: unknown;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('accepts keys that match the documented fingerprints', async () => {
    body = { ssh_keys: GITHUB.keys, verifiable_password_authentication: false };
    const meta = await fetchGithubHostKeys(url, { expectGithubCom: true });
    expect(meta.verified).toBe(true);
    expect(meta.keys).toEqual(GITHUB.keys);
  });

  it('refuses a key GitHub does not document (a tampered or intercepted answer)', async () => {
    const intruder = generateKeyPair({ type: 'ed25519' }).publicKey.split(' ').slice(0, 2).join(' ');
    body = { ssh_keys: [GITHUB.keys[0], intruder] };
    await expect(fetchGithubHostKeys(url, { expectGithubCom: true })).rejects.toThrow(HostKeyError);
    await expect(fetchGithubHostKeys(url, { expectGithubCom: true })).rejects.toThrow(
      /not among the fingerprints GitHub documents/,
    );
  });

  it('the CLI prints /meta keys from --github-url and fails on a tampered answer', async () => {
    body = { ssh_keys: GITHUB.keys };
    const ok = await cli(['known-hosts', 'github.com', '--github-url', url]);
    expect(ok.code).toBe(0);
    expect(ok.stdout.split('\n').filter((l) => l.startsWith('github.com ')).length).toBe(3);
    body = { ssh_keys: [GITLAB.keys[0]] };
    const bad = await cli(['known-hosts', 'github.com', '--github-url', url]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^keyfleet: error: .*not among the fingerprints/);
    expect(bad.stderr).not.toContain('    at ');
  });

  it('says how to go on when /meta cannot be reached', async () => {
    const r = await cli(['known-hosts', 'github.com', '--github-url', 'http://127.0.0.1:9']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--offline');
  });
});

describe('known_hosts check', () => {
  const endpoints = [
    { host: 'github.com', pins: GITHUB },
    { host: 'gitlab.com', pins: GITLAB },
  ];

  it('flags the RSA key GitHub replaced in 2023 as stale', () => {
    const text = `github.com ${GITHUB.retired[0]!.key}\ngithub.com ${GITHUB.keys[0]}\n`;
    const { problems, checked } = checkKnownHosts(text, endpoints);
    expect(checked).toBe(2);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 1, host: 'github.com', problem: 'stale' });
    expect(problems[0]!.message).toContain('2023');
  });

  it('flags a key that gitlab.com never published, also behind a hashed host name', () => {
    const impostor = generateKeyPair({ type: 'ecdsa' }).publicKey.split(' ').slice(0, 2).join(' ');
    const hashed = hashHostName('gitlab.com', Buffer.alloc(20, 7));
    const text = [`# comment`, '', `${hashed} ${impostor}`, `gitlab.com,1.2.3.4 ${GITLAB.keys[1]}`].join(
      '\n',
    );
    const { problems, checked } = checkKnownHosts(text, endpoints);
    expect(checked).toBe(2);
    expect(problems).toEqual([expect.objectContaining({ line: 3, host: 'gitlab.com', problem: 'wrong' })]);
  });

  it('ignores @revoked and @cert-authority lines and other hosts', () => {
    const other = generateKeyPair({ type: 'ed25519' }).publicKey.split(' ').slice(0, 2).join(' ');
    const text = [
      `@revoked github.com ${GITHUB.retired[0]!.key}`,
      `@cert-authority *.example.com ${other}`,
      `example.com ${other}`,
    ].join('\n');
    expect(checkKnownHosts(text, endpoints)).toEqual({ problems: [], checked: 0 });
  });

  describe('CLI --check', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'kf-kh-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('exits 0 for a file with the current keys and 1 with a stale one', async () => {
      const good = join(dir, 'good');
      writeFileSync(good, GITHUB.keys.map((k) => `github.com ${k}`).join('\n') + '\n');
      const ok = await cli(['known-hosts', '--check', good]);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('3 pinned-host entries checked, none stale or wrong');
      const stale = join(dir, 'stale');
      writeFileSync(stale, `github.com ${GITHUB.retired[0]!.key}\n`);
      const bad = await cli(['known-hosts', '--check', stale, '--json']);
      expect(bad.code).toBe(1);
      const doc = JSON.parse(bad.stdout) as { problems: { problem: string; line: number }[] };
      expect(doc.problems).toEqual([expect.objectContaining({ problem: 'stale', line: 1 })]);
    });

    it('names a missing file and exits 2', async () => {
      const r = await cli(['known-hosts', '--check', join(dir, 'nope')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('nope: no such file');
    });

    it('rejects an unknown host with the allowed ones', async () => {
      const r = await cli(['known-hosts', 'bitbucket.org', '--offline']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('keyfleet pins github.com and gitlab.com');
    });
  });
});
