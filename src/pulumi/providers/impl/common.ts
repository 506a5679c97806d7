/**
 * Helpers shared by the dynamic providers' implementations. This code runs in the provider
 * process only (loaded by `import()` inside the serialized provider functions), so it may import
 * the key core and, lazily, the platform adapters.
 */
import type * as pulumi from '@pulumi/pulumi';
import { UsageError } from '../../../errors.js';
import { KeyParseError } from '../../../keys/errors.js';
import { evaluateKey, failsPolicy } from '../../../keys/policy.js';
import { isPrivateKeyMaterial, parsePublicKey, PRIVATE_KEY_GIVEN } from '../../../keys/public-key.js';
import type { PublicKey } from '../../../keys/types.js';
import type { PlatformConfig } from '../../../platforms/config.js';
import type { KeyPlatform } from '../../../platforms/types.js';

/** How the engine passes a value that is not known yet (during preview) to check and diff. */
export const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

/**
 * The environment variable that points the providers at a sandbox connection file instead of
 * the real platforms (the CLI's `--sandbox FILE`). Unset: credentials come from the environment
 * the way each platform's CLI reads them (GITLAB_TOKEN, GITLAB_URL/CI_SERVER_URL, ADC).
 */
export const SANDBOX_ENV = 'KEYFLEET_PULUMI_SANDBOX';

let cached: { env: string; config: Promise<PlatformConfig> } | undefined;

/** Platform URLs and tokens from the environment (cached per environment: one provider process serves a whole update). */
export function platformConfig(): Promise<PlatformConfig> {
  const env = JSON.stringify([
    process.env[SANDBOX_ENV],
    process.env.GITLAB_TOKEN,
    process.env.GITLAB_URL,
    process.env.GITLAB_HOST,
    process.env.CI_SERVER_URL,
  ]);
  if (cached?.env !== env) {
    const sandbox = process.env[SANDBOX_ENV];
    cached = {
      env,
      config: import('../../../platforms/config.js').then((m) =>
        m.resolvePlatformConfig(sandbox !== undefined && sandbox !== '' ? { sandbox } : {}),
      ),
    };
  }
  return cached.config;
}

export async function gitlabPlatform(): Promise<KeyPlatform> {
  const config = await platformConfig();
  const { GitlabPlatform } = await import('../../../platforms/gitlab/adapter.js');
  return new GitlabPlatform({
    url: config.gitlab.url,
    ...(config.gitlab.token ? { token: config.gitlab.token } : {}),
  });
}

export async function gcpPlatform(): Promise<KeyPlatform> {
  const config = await platformConfig();
  const { GcpPlatform } = await import('../../../platforms/gcp/adapter.js');
  const g = config.gcp;
  return new GcpPlatform({
    ...(g.computeUrl ? { computeUrl: g.computeUrl } : {}),
    ...(g.osloginUrl ? { osloginUrl: g.osloginUrl } : {}),
    ...(g.token ? { token: g.token } : {}),
  });
}

/** Parses a key input; the reason is the key core's message (never echoing private material). */
export function keyProblem(text: unknown): { key: PublicKey } | { reason: string } {
  if (typeof text !== 'string') return { reason: 'must be an OpenSSH public key (text)' };
  if (isPrivateKeyMaterial(text)) return { reason: PRIVATE_KEY_GIVEN };
  let key: PublicKey;
  try {
    key = parsePublicKey(text);
  } catch (err) {
    if (err instanceof KeyParseError) return { reason: err.reason };
    throw err;
  }
  if (key.certificate)
    return { reason: `an OpenSSH certificate (${key.type}) cannot be registered; give the plain public key` };
  const result = evaluateKey(key);
  if (failsPolicy(result)) {
    return { reason: `the key is ${result.verdict}: ${result.findings.map((f) => f.message).join('; ')}` };
  }
  return { key };
}

/** What `check` hands back for a key input: trimmed, and never private key material. */
export function checkedKeyInput(key: unknown): unknown {
  if (typeof key !== 'string') return key;
  return isPrivateKeyMaterial(key) ? '[private key material removed]' : key.trim();
}

/** The key of validated inputs (check has run before create/update). */
export function parseKey(text: string): PublicKey {
  const r = keyProblem(text);
  if ('reason' in r) throw new UsageError(`key: ${r.reason}`);
  return r.key;
}

/** The fingerprint of a stored output, computed again when an old state lacks it. */
export function fingerprintOf(outs: { fingerprint?: string; key: string }): string {
  return outs.fingerprint ?? parsePublicKey(outs.key).fingerprint;
}

/** RFC 3339 check for an `expiresAt` input; a past value is refused only when it is new. */
export function expiryProblem(value: unknown, old: unknown, now = new Date()): string | undefined {
  if (value === undefined || isUnknown(value)) return undefined;
  if (
    typeof value !== 'string' ||
    !/^\d{4}-\d{2}-\d{2}(?:T|$)/.test(value) ||
    Number.isNaN(Date.parse(value))
  ) {
    return `"${String(value)}" is not an RFC 3339 timestamp such as 2027-01-31T00:00:00Z`;
  }
  if (value !== old && Date.parse(value) <= now.getTime()) {
    return `${value} is in the past; a key must be placed with a future expiry`;
  }
  return undefined;
}

export function titleProblem(value: unknown): string | undefined {
  if (isUnknown(value)) return undefined;
  if (typeof value !== 'string' || value.trim() === '') return 'a non-empty title is required';
  if (value.length > 255) return `is ${value.length} characters long; at most 255 are allowed`;
  return undefined;
}

/**
 * Two expiries are the same when they are the same instant, or the same UTC day where one side
 * is a bare date or midnight (platforms that store dates only).
 */
export function sameExpiry(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const ma = Date.parse(a);
  const mb = Date.parse(b);
  if (Number.isNaN(ma) || Number.isNaN(mb)) return a === b;
  if (ma === mb) return true;
  const dayOnly = (ms: number, text: string) => !text.includes('T') || ms % 86_400_000 === 0;
  return (dayOnly(ma, a) || dayOnly(mb, b)) && a.slice(0, 10) === b.slice(0, 10);
}

/** The failures list `check` returns. */
export type Failures = pulumi.dynamic.CheckFailure[];

/** `T` with every field that may be undefined made optional instead. */
export type Compacted<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** Drops undefined fields (outputs go through protobuf Structs, which have no undefined). */
export function compact<T extends object>(o: T): Compacted<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Compacted<T>;
}

/** `place#id`: resource ids say where the key is, so that read works from the id alone (import). */
export function composeId(place: string, id: string): string {
  return `${place}#${id}`;
}

export function splitId(id: string): { place: string; keyId: string } {
  const at = id.lastIndexOf('#');
  if (at < 0)
    throw new UsageError(
      `resource id "${id}" is not of the form PLACE#KEY_ID (e.g. gitlab:project/ml/trainer#17)`,
    );
  return { place: id.slice(0, at), keyId: id.slice(at + 1) };
}
