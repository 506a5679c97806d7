/**
 * `keyfleet demo`: the whole life of a pipeline key on a local sandbox, with real ssh, sshd and
 * git: generate, grant to a GitHub deploy key, a GitLab project and a Google Cloud project,
 * clone from both git hosts and log into a VM, rotate to a new key with both working during the
 * grace period, revoke the old one and show it denied everywhere while the new one works.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairAsync, type GenerateKeyType } from '../keys/generate.js';
import { parsePublicKey } from '../keys/public-key.js';
import { resolvePlatformConfig } from '../platforms/config.js';
import { PlatformCache } from '../platforms/registry.js';
import { parseTarget } from '../platforms/target.js';
import { grantKey, revokeFingerprint } from '../placement/operations.js';
import { endpointsFor, type EndpointContext } from '../verify/endpoints.js';
import { sandboxVmResolver } from '../verify/sandbox-vms.js';
import { checkEndpoint, type AccessCheck } from '../verify/verify.js';
import type { Sandbox } from '../sandbox/index.js';

export interface DemoStep {
  n: number;
  title: string;
  ok: boolean;
  detail: string;
  ms: number;
}

export interface DemoOptions {
  keyType?: GenerateKeyType;
  /** Called as each step ends (the CLI prints it). */
  onStep?: (step: DemoStep) => void;
}

class StepFailed extends Error {}

export const DEMO_TARGETS = [
  'github:repo/mlops/trainer',
  'gitlab:project/ml/trainer',
  'gcp:project/ml-prod?user=mlops-demo',
] as const;

export async function runDemo(options: DemoOptions = {}): Promise<{ ok: boolean; steps: DemoStep[] }> {
  const steps: DemoStep[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'keyfleet-demo-'));
  let sandbox: Sandbox | undefined;
  let failed = false;

  const step = async (title: string, fn: () => Promise<string>, always = false): Promise<void> => {
    if (failed && !always) return;
    const started = Date.now();
    let ok = true;
    let detail: string;
    try {
      detail = await fn();
    } catch (err) {
      ok = false;
      failed = true;
      detail = err instanceof Error ? err.message : String(err);
    }
    const s = { n: steps.length + 1, title, ok, detail, ms: Date.now() - started };
    steps.push(s);
    options.onStep?.(s);
  };

  try {
    let platforms: PlatformCache | undefined;
    let ctx: EndpointContext = {};
    await step('start the sandbox: GitHub, GitLab and Google Cloud APIs, two git hosts, VMs', async () => {
      const { startSandbox } = await import('../sandbox/index.js');
      const connectionFile = join(dir, 'sandbox.json');
      sandbox = await startSandbox({ connectionFile, ssh: true });
      const ssh = sandbox.ssh!;
      platforms = new PlatformCache(await resolvePlatformConfig({ sandbox: connectionFile }));
      const gcp = sandbox.connection.gcp;
      ctx = { sandbox: ssh, ...(gcp ? { vms: sandboxVmResolver(gcp.osloginUrl, gcp.instances) } : {}) };
      return `git hosts on ports ${ssh.github?.port} and ${ssh.gitlab?.port}; ${Object.keys(ssh.vms).length} VMs`;
    });

    const keys: Record<'A' | 'B', { path: string; fingerprint: string; publicKey: string }> = {} as never;
    const makeKey = (name: 'A' | 'B') =>
      step(`generate key ${name} (${options.keyType ?? 'ed25519'})`, async () => {
        const pair = await generateKeyPairAsync({
          type: options.keyType ?? 'ed25519',
          comment: `keyfleet-demo-${name}`,
        });
        const path = join(dir, `key_${name}`);
        writeFileSync(path, pair.privateKey, { mode: 0o600 });
        keys[name] = { path, fingerprint: pair.key.fingerprint, publicKey: pair.publicKey.trim() };
        return pair.key.fingerprint;
      });

    const grant = (name: 'A' | 'B') =>
      step(
        `grant key ${name}: GitHub deploy key, GitLab deploy key, Google Cloud project ssh-keys`,
        async () => {
          const outcomes = await grantKey(platforms!, {
            key: parsePublicKey(keys[name].publicKey),
            targets: DEMO_TARGETS.map(parseTarget),
          });
          const bad = outcomes.filter((o) => o.status !== 'added' && o.status !== 'present');
          if (bad.length)
            throw new StepFailed(bad.map((o) => `${o.target}: ${o.errorText ?? o.status}`).join('; '));
          return outcomes.map((o) => `${o.target} ${o.status}`).join(', ');
        },
      );

    const access = (name: 'A' | 'B', expected: 'ok' | 'denied') =>
      step(
        expected === 'ok'
          ? `key ${name} clones from both git hosts and logs into the VM`
          : `key ${name} is denied by both git hosts and the VM`,
        async () => {
          const results: AccessCheck[] = [];
          for (const t of DEMO_TARGETS) {
            for (const ep of await endpointsFor(t, ctx)) {
              results.push(await checkEndpoint(keys[name].path, ep, expected, 60_000, { clone: true }));
            }
          }
          const wrong = results.filter((r) => !r.pass);
          if (wrong.length) {
            throw new StepFailed(
              wrong.map((r) => `${r.endpoint}: ${r.outcome}${r.detail ? ` (${r.detail})` : ''}`).join('; '),
            );
          }
          return results.map((r) => `${r.endpoint.split(' (')[0]}: ${r.outcome}`).join('; ');
        },
      );

    await makeKey('A');
    await grant('A');
    await access('A', 'ok');
    await makeKey('B');
    await grant('B');
    await step('grace period: both keys work at once', async () => {
      for (const name of ['A', 'B'] as const) {
        for (const t of DEMO_TARGETS) {
          for (const ep of await endpointsFor(t, ctx)) {
            const r = await checkEndpoint(keys[name].path, ep, 'ok');
            if (!r.pass) throw new StepFailed(`key ${name} on ${r.endpoint}: ${r.outcome}`);
          }
        }
      }
      return 'keys A and B both reach every target';
    });
    await step('revoke key A everywhere, by fingerprint', async () => {
      const outcomes = await revokeFingerprint(platforms!, keys.A.fingerprint, DEMO_TARGETS.map(parseTarget));
      const bad = outcomes.filter((o) => o.status !== 'removed');
      if (bad.length)
        throw new StepFailed(bad.map((o) => `${o.target}: ${o.errorText ?? o.status}`).join('; '));
      return outcomes.map((o) => `${o.target} removed`).join(', ');
    });
    await access('A', 'denied');
    await access('B', 'ok');
  } finally {
    if (sandbox) {
      const s = sandbox;
      await step(
        'stop the sandbox and clean up',
        async () => {
          await s.stop();
          return 'emulators, sshd processes and temporary files removed';
        },
        true,
      );
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return { ok: steps.every((s) => s.ok) && !failed, steps };
}
