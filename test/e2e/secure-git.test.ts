/**
 * End to end with real ssh, sshd and git against the sandbox: what a placed, revoked, expired,
 * read-only or misplaced key can really do, and that a wrong host key is refused. Needs
 * openssh-server, git and libnss-wrapper (installed by .ci/run); without them the suite skips,
 * unless KEYFLEET_REQUIRE_E2E is set (CI), where it fails instead.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/keys/generate.js';
import { parsePublicKey } from '../../src/keys/public-key.js';
import { resolvePlatformConfig } from '../../src/platforms/config.js';
import { PlatformCache } from '../../src/platforms/registry.js';
import { parseTarget } from '../../src/platforms/target.js';
import { grantKey, revokeFingerprint } from '../../src/placement/operations.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { findSshTools } from '../../src/sandbox/sshd/prerequisites.js';
import { endpointsFor, type EndpointContext } from '../../src/verify/endpoints.js';
import { sandboxVmResolver } from '../../src/verify/sandbox-vms.js';
import { checkEndpoint } from '../../src/verify/verify.js';
import { gitSshCommand, run } from '../../src/verify/run-ssh.js';

const exec = promisify(execFile);
const tools = findSshTools();
const suite = tools.tools || process.env.KEYFLEET_REQUIRE_E2E ? describe : describe.skip;

suite('secure git end to end (real ssh, sshd and git)', { timeout: 180_000 }, () => {
  let dir: string;
  let sandbox: Sandbox;
  let platforms: PlatformCache;
  let ctx: EndpointContext;
  let n = 0;

  beforeAll(async () => {
    if (!tools.tools) throw new Error(`the e2e tests need ${tools.missing.join(', ')}: ${tools.installHint}`);
    dir = mkdtempSync(join(tmpdir(), 'kf-e2e-'));
    const connectionFile = join(dir, 'sandbox.json');
    sandbox = await startSandbox({ connectionFile, ssh: true });
    platforms = new PlatformCache(await resolvePlatformConfig({ sandbox: connectionFile }));
    const gcp = sandbox.connection.gcp!;
    ctx = { sandbox: sandbox.ssh!, vms: sandboxVmResolver(gcp.osloginUrl, gcp.instances) };
  }, 120_000);

  afterAll(async () => {
    await sandbox?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh key on disk (0600): its path, public text and fingerprint. */
  function newKey() {
    const pair = generateKeyPair({ type: 'ed25519', comment: `e2e-${++n}` });
    const path = join(dir, `key${n}`);
    writeFileSync(path, pair.privateKey, { mode: 0o600 });
    return { path, pub: pair.publicKey.trim(), fp: pair.key.fingerprint };
  }

  async function grant(key: { pub: string }, targets: string[], expiresAt?: Date) {
    const out = await grantKey(platforms, {
      key: parsePublicKey(key.pub),
      targets: targets.map(parseTarget),
      ...(expiresAt ? { expiresAt } : {}),
    });
    for (const o of out) expect(o.status, `${o.target}: ${o.errorText ?? ''}`).toBe('added');
  }

  async function outcome(key: { path: string }, target: string) {
    const eps = await endpointsFor(target, ctx);
    expect(eps.length).toBeGreaterThan(0);
    const results = [];
    for (const ep of eps) results.push(await checkEndpoint(key.path, ep, 'ok', 60_000));
    return results.map((r) => r.outcome);
  }

  const sleepUntil = (t: Date) =>
    new Promise((r) => setTimeout(r, Math.max(0, t.getTime() - Date.now() + 1500)));

  it('a placed deploy key clones on both git hosts; an unplaced key is denied', async () => {
    const k = newKey();
    expect(await outcome(k, 'github:repo/mlops/trainer')).toEqual(['denied']);
    await grant(k, ['github:repo/mlops/trainer', 'gitlab:project/ml/trainer']);
    const cloned = join(dir, 'clone-gh');
    const url = `ssh://git@127.0.0.1:${sandbox.ssh!.github!.port}/mlops/trainer.git`;
    const known = join(dir, 'kh-gh');
    writeFileSync(
      known,
      sandbox
        .ssh!.github!.hostKeys.map((h) => `[127.0.0.1]:${sandbox.ssh!.github!.port} ${h.publicKey}`)
        .join('\n'),
    );
    const clone = await run('git', ['clone', '-q', url, cloned], {
      ...process.env,
      GIT_SSH_COMMAND: gitSshCommand(k.path, known),
    });
    expect(clone.stderr).toBe('');
    expect(clone.status).toBe(0);
    expect(await outcome(k, 'gitlab:project/ml/trainer')).toEqual(['ok']);
  });

  it('a revoked key is denied where it was placed, and only the revoked one', async () => {
    const a = newKey();
    const b = newKey();
    await grant(a, ['github:repo/mlops/datasets', 'gitlab:project/ml/datasets']);
    await grant(b, ['github:repo/mlops/infra']);
    const out = await revokeFingerprint(
      platforms,
      a.fp,
      ['github:repo/mlops/datasets', 'gitlab:project/ml/datasets'].map(parseTarget),
    );
    expect(out.map((o) => o.status)).toEqual(['removed', 'removed']);
    expect(await outcome(a, 'github:repo/mlops/datasets')).toEqual(['denied']);
    expect(await outcome(a, 'gitlab:project/ml/datasets')).toEqual(['denied']);
    expect(await outcome(b, 'github:repo/mlops/infra')).toEqual(['ok']);
  });

  it('a read-only deploy key cannot push; a write deploy key can', async () => {
    const ro = newKey();
    const rw = newKey();
    await grant(ro, ['gitlab:project/ml/platform/infra']);
    await grant(rw, ['gitlab:project/ml/platform/infra?push']);
    const port = sandbox.ssh!.gitlab!.port;
    const known = join(dir, 'kh-gl');
    writeFileSync(
      known,
      sandbox.ssh!.gitlab!.hostKeys.map((h) => `[127.0.0.1]:${port} ${h.publicKey}`).join('\n'),
    );
    const work = join(dir, 'push-work');
    const url = `ssh://git@127.0.0.1:${port}/ml/platform/infra.git`;
    const env = (k: { path: string }) => ({ ...process.env, GIT_SSH_COMMAND: gitSshCommand(k.path, known) });
    expect((await run('git', ['clone', '-q', url, work], env(ro))).status).toBe(0);
    writeFileSync(join(work, 'train.py'), 'print("v2")\n');
    await exec('git', ['-C', work, 'add', '.']);
    await exec('git', [
      '-C',
      work,
      '-c',
      'user.name=ci',
      '-c',
      'user.email=ci@example.com',
      'commit',
      '-q',
      '-m',
      'v2',
    ]);
    const denied = await run('git', ['-C', work, 'push', '-q', 'origin', 'main'], env(ro));
    expect(denied.status).not.toBe(0);
    expect(denied.stderr).toContain('This deploy key does not have write access to this project');
    const pushed = await run('git', ['-C', work, 'push', '-q', 'origin', 'main'], env(rw));
    expect(pushed.stderr).toBe('');
    expect(pushed.status).toBe(0);
  });

  it('a deploy key reaches only its own repository', async () => {
    const k = newKey();
    await grant(k, ['github:repo/mlops/trainer']);
    expect(await outcome(k, 'github:repo/mlops/trainer')).toEqual(['ok']);
    expect(await outcome(k, 'github:repo/mlops/infra')).toEqual(['denied']);
    const check = await checkEndpoint(k.path, (await endpointsFor('github:repo/mlops/infra', ctx))[0]!, 'ok');
    expect(check.detail).toContain('Repository not found');
  });

  it('a host that presents a key other than the pinned one is refused', async () => {
    const k = newKey();
    await grant(k, ['github:repo/mlops/datasets']);
    const [ep] = await endpointsFor('github:repo/mlops/datasets', ctx);
    const impostor = generateKeyPair({ type: 'ed25519' }).publicKey.split(' ').slice(0, 2).join(' ');
    const r = await checkEndpoint(
      k.path,
      { ...ep!, knownHosts: [`[127.0.0.1]:${ep!.port} ${impostor}`] },
      'ok',
    );
    expect(r.outcome).toBe('host-key-mismatch');
    expect(r.pass).toBe(false);
  });

  it('expired keys are denied: GitLab expires_at, Google Cloud expireOn, OS Login expiry', async () => {
    const gl = newKey();
    const md = newKey();
    const os = newKey();
    const expires = new Date(Date.now() + 20_000); // room for three logins under CI load before it passes
    await grant(gl, ['gitlab:project/ml/trainer'], expires);
    await grant(md, ['gcp:instance/ml-prod/us-central1-a/trainer-1?user=expiring'], expires);
    await grant(os, ['gcp:oslogin/alice@example.com'], expires);
    expect(await outcome(gl, 'gitlab:project/ml/trainer')).toEqual(['ok']);
    expect(await outcome(md, 'gcp:instance/ml-prod/us-central1-a/trainer-1?user=expiring')).toEqual(['ok']);
    expect(await outcome(os, 'gcp:oslogin/alice@example.com')).toEqual(['ok']);
    await sleepUntil(expires);
    expect(await outcome(gl, 'gitlab:project/ml/trainer')).toEqual(['denied']);
    expect(await outcome(md, 'gcp:instance/ml-prod/us-central1-a/trainer-1?user=expiring')).toEqual([
      'denied',
    ]);
    expect(await outcome(os, 'gcp:oslogin/alice@example.com')).toEqual(['denied']);
  }, 180_000);

  it('a project key opens the VMs that honour project keys, not one that blocks them', async () => {
    const k = newKey();
    await grant(k, ['gcp:project/ml-prod?user=ml-engineer']);
    expect(await outcome(k, 'gcp:instance/ml-prod/us-central1-a/trainer-1?user=ml-engineer')).toEqual(['ok']);
    expect(await outcome(k, 'gcp:instance/ml-prod/us-central1-a/locked-1?user=ml-engineer')).toEqual([
      'denied',
    ]);
    // An instance key opens the VM that blocks project keys.
    await grant(k, ['gcp:instance/ml-prod/us-central1-a/locked-1?user=ml-engineer']);
    expect(await outcome(k, 'gcp:instance/ml-prod/us-central1-a/locked-1?user=ml-engineer')).toEqual(['ok']);
  });

  it('metadata keys do not open a VM with OS Login on; an OS Login key does', async () => {
    const k = newKey();
    await grant(k, ['gcp:project/ml-oslogin?user=alice_example_com']);
    expect(
      await outcome(k, 'gcp:instance/ml-oslogin/us-central1-b/oslogin-1?user=alice_example_com'),
    ).toEqual(['denied']);
    await grant(k, ['gcp:oslogin/alice@example.com']);
    expect(await outcome(k, 'gcp:oslogin/alice@example.com')).toEqual(['ok']);
  });
});
