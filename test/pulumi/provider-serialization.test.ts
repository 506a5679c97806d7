/**
 * Dynamic providers are serialized into the stack and run in a separate process (pulumi/pulumi
 * #13960). This test does that with the built package: in a child `node`, it serializes each
 * provider with the same closure serializer `pulumi.dynamic.Resource` uses, loads the text back
 * with require-from-string as the dynamic provider host does, and runs check, create, read and
 * delete of the revived provider against the sandbox. Needs `npm run build` (npm test runs it).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ENV } from '../../src/pulumi/providers/impl/common.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { ed25519 } from './helpers/keys.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DIST = join(ROOT, 'dist/pulumi/providers');
const require = createRequire(join(ROOT, 'package.json'));

const SCRIPT = String.raw`
import { createRequire } from 'node:module';
const [, , root, dist, keyText] = process.argv;
const require = createRequire(root + '/package.json');
const { serializeFunction } = require('@pulumi/pulumi/runtime/closure/serializeClosure');
const requireFromString = require(process.env.KF_RFS);
const gitlab = await import(dist + '/gitlab-key.js');
const gcp = await import(dist + '/gcp-metadata-key.js');

async function roundTrip(name, provider, inputs) {
  // Exactly what pulumi.dynamic.Resource does with the provider object.
  const sf = await serializeFunction(() => provider, { allowSecrets: true });
  const revived = requireFromString(sf.text).handler();
  const checked = await revived.check({}, inputs);
  const created = await revived.create(checked.inputs);
  const read = await revived.read(created.id, created.outs);
  await revived.delete(created.id, created.outs);
  const gone = await revived.read(created.id, created.outs);
  return { name, text: sf.text, failures: checked.failures, created, read, gone };
}

const results = [
  await roundTrip('GitlabUserKey', gitlab.gitlabUserKeyProvider(), { key: keyText, title: 'serialized' }),
  await roundTrip('GitlabDeployKey', gitlab.gitlabDeployKeyProvider(), { project: 'ml/trainer', key: keyText, title: 'serialized', canPush: false }),
  await roundTrip('GcpMetadataSshKey', gcp.gcpMetadataSshKeyProvider(), { project: 'ml-prod', user: 'serialized', key: keyText }),
];
process.stdout.write(JSON.stringify(results));
`;

let dir: string;
let sandbox: Sandbox;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kf-'));
  sandbox = await startSandbox({ connectionFile: join(dir, 'sandbox.json') });
});

afterAll(async () => {
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('dynamic providers survive serialization', () => {
  it('serialize to small closures without credentials, and the revived providers work against the sandbox', async () => {
    expect(existsSync(join(DIST, 'gitlab-key.js')), 'dist/ is missing: run `npm run build` first').toBe(true);
    const script = join(dir, 'round-trip.mjs');
    writeFileSync(script, SCRIPT);
    const key = ed25519('serialized@test');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [script, ROOT, pathToFileURL(DIST).href, key.publicKey],
      {
        env: {
          PATH: process.env.PATH ?? '',
          [SANDBOX_ENV]: join(dir, 'sandbox.json'),
          KF_RFS: require.resolve('require-from-string', { paths: [require.resolve('@pulumi/pulumi')] }),
        },
        timeout: 120_000,
      },
    );
    const results = JSON.parse(stdout) as {
      name: string;
      text: string;
      failures: unknown[];
      created: { id: string; outs: Record<string, unknown> };
      read: { id: string };
      gone: { id: string };
    }[];
    const tokens = [
      ...Object.values(sandbox.connection.gitlab!.tokens),
      ...Object.values(sandbox.connection.gcp!.tokens),
      ...Object.values(sandbox.connection.github!.tokens),
    ];
    expect(results.map((r) => r.name)).toEqual(['GitlabUserKey', 'GitlabDeployKey', 'GcpMetadataSshKey']);
    for (const r of results) {
      // Tiny: the implementation is imported by URL when a method runs, not captured.
      expect(r.text.length).toBeLessThan(6000);
      expect(r.text).toContain(pathToFileURL(join(DIST, 'impl')).href);
      expect(r.text).not.toMatch(/gitbeaker|googleapis|octokit/i);
      for (const t of tokens) {
        expect(r.text).not.toContain(t);
        expect(JSON.stringify([r.created, r.read])).not.toContain(t);
      }
      expect(r.failures).toEqual([]);
      expect(r.created.outs.fingerprint).toBe(key.fingerprint);
      expect(r.read.id).toBe(r.created.id);
      expect(r.gone.id).toBe('');
    }
  });
});
