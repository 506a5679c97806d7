/**
 * The sandbox SSH hosts with stand-in oracles: proves the sshd plumbing (virtual users,
 * AuthorizedKeysCommand, forced command, git-shell) with real ssh and git, independently of the
 * emulators that answer the oracles in the full sandbox.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSshTools } from '../../../src/sandbox/sshd/prerequisites.js';
import { SshHosts } from '../../../src/sandbox/sshd/ssh-hosts.js';
import type { GitAccessOracle, VmOracle } from '../../../src/sandbox/sshd/oracle.js';

const tools = findSshTools();
const required = Boolean(process.env.KEYFLEET_REQUIRE_E2E);
const run = tools.tools || required ? describe : describe.skip;

function keygen(dir: string, name: string): { path: string; pub: string; fp: string } {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path]);
  const pub = readFileSync(`${path}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const fp = execFileSync('ssh-keygen', ['-l', '-f', `${path}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
  return { path, pub, fp };
}

run('sandbox SSH hosts (real sshd, ssh and git)', { timeout: 120_000 }, () => {
  let dir: string;
  let hosts: SshHosts;
  let reader: ReturnType<typeof keygen>;
  let writer: ReturnType<typeof keygen>;
  let stranger: ReturnType<typeof keygen>;
  let knownHosts: string;

  beforeAll(async () => {
    if (!tools.tools) throw new Error(`missing: ${tools.missing.join(', ')}; ${tools.installHint}`);
    dir = mkdtempSync(join(tmpdir(), 'kf-ssh-'));
    reader = keygen(dir, 'reader');
    writer = keygen(dir, 'writer');
    stranger = keygen(dir, 'stranger');
    const git: GitAccessOracle = {
      identify: (_h, fp) => ({ known: fp === reader.fp || fp === writer.fp }),
      access: (host, fp, repo) => ({
        allowed: host === 'github' && repo === 'mlops/trainer' && (fp === reader.fp || fp === writer.fp),
        write: fp === writer.fp,
      }),
      repositories: (host) => (host === 'github' ? ['mlops/trainer', 'mlops/other'] : ['ml/platform/infra']),
    };
    const vm: VmOracle = {
      vms: () => ['p/z/vm-1'],
      users: () => ['alice'],
      acceptedKeys: (_vm, user) => (user === 'alice' ? [reader.pub] : []),
    };
    hosts = await SshHosts.start({ dir: join(dir, 'hosts'), git, vm });
    const lines: string[] = [];
    for (const ep of [hosts.info.github!, hosts.info.gitlab!, hosts.info.vms['p/z/vm-1']!]) {
      for (const k of ep.hostKeys) lines.push(`[127.0.0.1]:${ep.port} ${k.publicKey}`);
    }
    knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, lines.join('\n') + '\n');
  }, 60_000);

  afterAll(async () => {
    await hosts?.stop();
    if (dir && !process.env.KEYFLEET_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  });

  function sshCommand(key: string, kh = knownHosts): string {
    return `ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${kh} -o GlobalKnownHostsFile=/dev/null -i ${key}`;
  }

  // Asynchronous on purpose: the sshd helpers ask the control server that lives in this process.
  function runAsync(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
    return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(cmd, args, { env, timeout: 30_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  function git(args: string[], key: string, kh?: string) {
    return runAsync('git', args, {
      ...process.env,
      GIT_SSH_COMMAND: sshCommand(key, kh),
      GIT_TERMINAL_PROMPT: '0',
    });
  }

  it('clones with a key the host knows and lists the seeded commit', async () => {
    const url = `ssh://git@127.0.0.1:${hosts.info.github!.port}/mlops/trainer.git`;
    const r = await git(['clone', '-q', url, join(dir, 'clone1')], reader.path);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'clone1', 'README.md'), 'utf8')).toContain('mlops/trainer');
  });

  it('denies an unknown key at authentication', async () => {
    const url = `ssh://git@127.0.0.1:${hosts.info.github!.port}/mlops/trainer.git`;
    const r = await git(['ls-remote', url], stranger.path);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('Permission denied (publickey)');
  });

  it('answers "Repository not found" for a repository the key cannot reach', async () => {
    const url = `ssh://git@127.0.0.1:${hosts.info.github!.port}/mlops/other.git`;
    const r = await git(['ls-remote', url], writer.path);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('ERROR: Repository not found.');
  });

  it('refuses a push with a read-only key and accepts it with a write key', async () => {
    const work = join(dir, 'clone2');
    const url = `ssh://git@127.0.0.1:${hosts.info.github!.port}/mlops/trainer.git`;
    expect((await git(['clone', '-q', url, work], writer.path)).status).toBe(0);
    writeFileSync(join(work, 'model.txt'), 'v2\n');
    execFileSync('git', ['-C', work, 'add', '.']);
    execFileSync('git', [
      '-C',
      work,
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@t',
      'commit',
      '-q',
      '-m',
      'v2',
    ]);
    const denied = await git(['-C', work, 'push', '-q', 'origin', 'main'], reader.path);
    expect(denied.status).not.toBe(0);
    expect(denied.stderr).toContain('marked as read only');
    const ok = await git(['-C', work, 'push', '-q', 'origin', 'main'], writer.path);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
  });

  it('refuses a host whose key does not match the pinned one', async () => {
    const wrong = join(dir, 'wrong_known_hosts');
    const other = keygen(dir, 'not-the-host');
    writeFileSync(wrong, `[127.0.0.1]:${hosts.info.github!.port} ${other.pub}\n`);
    const url = `ssh://git@127.0.0.1:${hosts.info.github!.port}/mlops/trainer.git`;
    const r = await git(['ls-remote', url], reader.path, wrong);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  it('logs into the VM as a metadata user with an accepted key, and not otherwise', async () => {
    const port = String(hosts.info.vms['p/z/vm-1']!.port);
    const base = sshCommand(reader.path).split(' ').slice(1);
    const ok = await runAsync('ssh', [...base, '-p', port, 'alice@127.0.0.1', 'echo vm-ok']);
    expect(ok.stdout.trim()).toBe('vm-ok');
    const otherUser = await runAsync('ssh', [...base, '-p', port, 'bob@127.0.0.1', 'true']);
    expect(otherUser.status).toBe(255);
    const wrongKey = await runAsync('ssh', [
      ...sshCommand(writer.path).split(' ').slice(1),
      '-p',
      port,
      'alice@127.0.0.1',
      'true',
    ]);
    expect(wrongKey.status).toBe(255);
    expect(wrongKey.stderr).toContain('Permission denied (publickey)');
  });
});
