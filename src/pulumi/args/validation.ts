/**
 * Pure validators for `SshKeyDistribution` args. Each throws a ComponentArgsError naming the
 * field, what is wrong and what is allowed; the component calls them synchronously in its
 * constructor. Key problems are reported with the key core's own messages.
 */
import { UsageError } from '../../errors.js';
import { KeyParseError } from '../../keys/errors.js';
import { evaluateKey, failsPolicy, DEFAULT_POLICY, type Policy } from '../../keys/policy.js';
import {
  formatPublicKey,
  isPrivateKeyMaterial,
  parsePublicKey,
  PRIVATE_KEY_GIVEN,
} from '../../keys/public-key.js';
import type { PublicKey } from '../../keys/types.js';
import { formatTarget, parseTarget } from '../../platforms/target.js';
import type { Target } from '../../platforms/types.js';
import { planRotation, resolveSchedule, type RotationPlan, type RotationSchedule } from '../rotation.js';
import { ComponentArgsError } from './errors.js';
import type { GenerateKeyArgs, SshKeyDistributionArgs } from './types.js';
import type * as pulumi from '@pulumi/pulumi';

/** A public key that passed parsing and the key policy. */
export interface ValidatedKey {
  key: PublicKey;
  /** `TYPE BASE64 [COMMENT]`, whitespace normalised. */
  text: string;
  /** Findings that do not fail the policy (e.g. a weak RSA key under `failOn: forbidden`). */
  warnings: string[];
}

/**
 * Parses and judges a public key given as text. Private key material is refused without
 * echoing any of it; certificates are refused (platforms register plain keys); a key that fails
 * the policy is refused with the key core's findings.
 */
export function validatePublicKeyText(
  text: string,
  policy: Partial<Policy> = DEFAULT_POLICY,
  field = 'publicKey',
): ValidatedKey {
  if (isPrivateKeyMaterial(text)) throw new ComponentArgsError(field, PRIVATE_KEY_GIVEN);
  let key: PublicKey;
  try {
    key = parsePublicKey(text);
  } catch (err) {
    if (err instanceof KeyParseError) throw new ComponentArgsError(field, err.reason);
    throw err;
  }
  if (key.certificate) {
    throw new ComponentArgsError(
      field,
      `this is an OpenSSH certificate (${key.type}); GitHub, GitLab and Google Cloud register plain public keys: give the key the certificate was issued for`,
    );
  }
  const result = evaluateKey(key, policy);
  if (failsPolicy(result, policy)) {
    const why = result.findings.map((f) => f.message).join('; ');
    throw new ComponentArgsError(field, `the key is ${result.verdict} (${key.fingerprint}): ${why}`);
  }
  return {
    key,
    text: formatPublicKey(key),
    warnings: result.findings.map((f) => `${key.fingerprint}: ${f.message}`),
  };
}

/** Generation options with defaults applied, as `tls.PrivateKey` takes them. */
export interface ResolvedGenerate {
  algorithm: 'ED25519' | 'ECDSA' | 'RSA';
  ecdsaCurve?: 'P256' | 'P384' | 'P521';
  rsaBits?: number;
  /** Short name used in resource names: `ed25519`, `ecdsa256`, `rsa4096`. */
  tag: string;
  /** The OpenSSH key type the generator produces. */
  sshType: string;
}

const CURVES = ['P256', 'P384', 'P521'] as const;

/** Checks generation options against the key policy (a generated key must not be weak). */
export function resolveGenerate(
  generate: GenerateKeyArgs,
  policy: Partial<Policy> = DEFAULT_POLICY,
): ResolvedGenerate {
  const p = { ...DEFAULT_POLICY, ...definedOnly(policy) };
  const algorithm = generate.algorithm ?? 'ED25519';
  let out: ResolvedGenerate;
  switch (algorithm) {
    case 'ED25519':
      if (generate.ecdsaCurve !== undefined || generate.rsaBits !== undefined) {
        throw new ComponentArgsError('generate', 'ecdsaCurve and rsaBits apply only to ECDSA and RSA keys');
      }
      out = { algorithm, tag: 'ed25519', sshType: 'ssh-ed25519' };
      break;
    case 'ECDSA': {
      const curve = generate.ecdsaCurve ?? 'P256';
      if (!(CURVES as readonly string[]).includes(curve)) {
        throw new ComponentArgsError(
          'generate.ecdsaCurve',
          `"${String(curve)}" is not an SSH curve; use P256, P384 or P521 (tls's default P224 has no OpenSSH form)`,
        );
      }
      if (generate.rsaBits !== undefined)
        throw new ComponentArgsError('generate.rsaBits', 'applies only to RSA keys');
      out = {
        algorithm,
        ecdsaCurve: curve,
        tag: `ecdsa${curve.slice(1)}`,
        sshType: `ecdsa-sha2-nistp${curve.slice(1)}`,
      };
      break;
    }
    case 'RSA': {
      const bits = generate.rsaBits ?? 4096;
      if (!Number.isInteger(bits) || bits < p.minRsaBits || bits > 16384) {
        throw new ComponentArgsError(
          'generate.rsaBits',
          `${String(bits)} bits: a generated RSA key must have between ${p.minRsaBits} (the key policy's minRsaBits) and 16384 bits; ED25519 is shorter and stronger`,
        );
      }
      if (generate.ecdsaCurve !== undefined)
        throw new ComponentArgsError('generate.ecdsaCurve', 'applies only to ECDSA keys');
      out = { algorithm, rsaBits: bits, tag: `rsa${bits}`, sshType: 'ssh-rsa' };
      break;
    }
    default:
      throw new ComponentArgsError(
        'generate.algorithm',
        `"${String(algorithm)}" is not supported; use ED25519 (default), ECDSA or RSA`,
      );
  }
  const allowed = p.allowedTypes;
  if (allowed !== undefined) {
    const family = out.algorithm;
    if (!allowed.some((a) => a === out.sshType || a.toUpperCase() === family)) {
      throw new ComponentArgsError(
        'generate.algorithm',
        `the key policy allows only ${allowed.join(', ')}; a generated ${out.sshType} key would be forbidden`,
      );
    }
  }
  return out;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** An RFC 3339 timestamp in the future. */
export function validateExpiry(text: string, field: string, now: Date): Date {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}(?:T|$)/.test(text.trim()) || Number.isNaN(ms)) {
    throw new ComponentArgsError(
      field,
      `"${text}" is not an RFC 3339 timestamp such as 2027-01-31T00:00:00Z`,
    );
  }
  if (ms <= now.getTime()) {
    throw new ComponentArgsError(
      field,
      `${text} is in the past (now is ${now.toISOString()}); a key must be placed with a future expiry`,
    );
  }
  return new Date(ms);
}

/** One place the key goes, with its resource-name suffix. */
export type Placement =
  | { kind: 'github-user'; slug: string; field: string; title?: pulumi.Input<string> }
  | {
      kind: 'github-deploy';
      slug: string;
      field: string;
      repository: string;
      allowWrite?: pulumi.Input<boolean>;
      title?: pulumi.Input<string>;
    }
  | {
      kind: 'gitlab-user';
      slug: string;
      field: string;
      target: string;
      /** Undefined for the token's own account. */
      userId?: string;
      title?: pulumi.Input<string>;
      expiresAt?: pulumi.Input<string>;
    }
  | {
      kind: 'gitlab-deploy';
      slug: string;
      field: string;
      target: string;
      project: string;
      canPush?: pulumi.Input<boolean>;
      title?: pulumi.Input<string>;
      expiresAt?: pulumi.Input<string>;
    }
  | {
      kind: 'gcp-metadata';
      slug: string;
      field: string;
      target: string;
      project: string;
      zone?: string;
      instance?: string;
      user: string;
      expiresAt?: pulumi.Input<string>;
    }
  | {
      kind: 'gcp-oslogin';
      slug: string;
      field: string;
      user: string;
      project?: pulumi.Input<string>;
      expiresAt?: pulumi.Input<string>;
    };

const GITHUB_REPO = /^[A-Za-z0-9._-]{1,100}$/;

function targetOf(text: string, field: string): Target {
  try {
    return parseTarget(text);
  } catch (err) {
    if (err instanceof UsageError) throw new ComponentArgsError(field, err.message);
    throw err;
  }
}

function checkTitle(title: pulumi.Input<string> | undefined, field: string): void {
  if (typeof title !== 'string') return;
  if (title.trim() === '')
    throw new ComponentArgsError(field, 'is empty; give a title or leave it out for the default');
  if (title.length > 255)
    throw new ComponentArgsError(
      field,
      `is ${title.length} characters long; GitLab and GitHub allow at most 255`,
    );
}

function checkExpiry(value: pulumi.Input<string> | undefined, field: string, now: Date): void {
  if (typeof value === 'string') validateExpiry(value, field, now);
}

function userKeyOptions<T extends object>(v: boolean | T | undefined): T | undefined {
  if (v === undefined || v === false) return undefined;
  return v === true ? ({} as T) : v;
}

/**
 * Turns the target args into a list of placements, refusing what a platform would refuse:
 * malformed names, duplicates, one key registered twice on GitHub or GitLab, an OS Login key
 * without expiry.
 */
export function resolvePlacements(args: SshKeyDistributionArgs, now: Date, rotating: boolean): Placement[] {
  const out: Placement[] = [];
  checkExpiry(args.expiresAt, 'expiresAt', now);

  const gh = args.github;
  if (gh !== undefined) {
    const user = userKeyOptions(gh.userKey);
    if (user !== undefined) {
      checkTitle(user.title, 'github.userKey.title');
      out.push({
        kind: 'github-user',
        slug: 'github-user',
        field: 'github.userKey',
        ...opt('title', user.title),
      });
    }
    (gh.deployKeys ?? []).forEach((d, i) => {
      const field = `github.deployKeys[${i}]`;
      const repo = d.repository;
      if (typeof repo !== 'string' || repo.includes('/')) {
        throw new ComponentArgsError(
          `${field}.repository`,
          `"${String(repo)}": give the repository name without the owner (e.g. "trainer", not "mlops/trainer"); the owner is the github provider's owner (pulumi config set github:owner ORG)`,
        );
      }
      if (!GITHUB_REPO.test(repo) || repo === '.' || repo === '..') {
        throw new ComponentArgsError(
          `${field}.repository`,
          `"${repo}" is not a repository name (letters, digits, ".", "_", "-")`,
        );
      }
      checkTitle(d.title, `${field}.title`);
      out.push({
        kind: 'github-deploy',
        slug: `github-deploy-${repo}`,
        field,
        repository: repo,
        ...opt('allowWrite', d.allowWrite),
        ...opt('title', d.title),
      });
    });
    const ghCount = out.filter((p) => p.kind.startsWith('github')).length;
    if (ghCount > 1) {
      const where = out.filter((p) => p.kind.startsWith('github')).map((p) => p.field);
      throw new ComponentArgsError(
        'github',
        `one key would be registered on GitHub ${ghCount} times (${where.join(', ')}), but GitHub accepts a public key once across all of GitHub (one account or one repository's deploy keys: "key is already in use"); use one SshKeyDistribution (one key) per repository, or a machine user's account key`,
      );
    }
  }

  const gl = args.gitlab;
  if (gl !== undefined) {
    const own = userKeyOptions(gl.ownKey);
    if (own !== undefined) {
      checkTitle(own.title, 'gitlab.ownKey.title');
      checkExpiry(own.expiresAt, 'gitlab.ownKey.expiresAt', now);
      out.push({
        kind: 'gitlab-user',
        slug: 'gitlab-own',
        field: 'gitlab.ownKey',
        target: 'gitlab:user',
        ...opt('title', own.title),
        ...opt('expiresAt', own.expiresAt),
      });
    }
    (gl.userKeys ?? []).forEach((u, i) => {
      const field = `gitlab.userKeys[${i}]`;
      const id = String(u.userId ?? '').trim();
      const t = targetOf(`gitlab:user/${id}`, `${field}.userId`);
      checkTitle(u.title, `${field}.title`);
      checkExpiry(u.expiresAt, `${field}.expiresAt`, now);
      out.push({
        kind: 'gitlab-user',
        slug: `gitlab-user-${id}`,
        field,
        target: formatTarget(t),
        userId: id,
        ...opt('title', u.title),
        ...opt('expiresAt', u.expiresAt),
      });
    });
    const users = out.filter((p) => p.kind === 'gitlab-user');
    const deploys = gl.deployKeys ?? [];
    if (users.length > 1 || (users.length === 1 && deploys.length > 0)) {
      const where = [...users.map((p) => p.field), ...deploys.map((_, i) => `gitlab.deployKeys[${i}]`)];
      throw new ComponentArgsError(
        'gitlab',
        `one key would be registered on GitLab as ${where.join(' and ')}, but GitLab holds a key (by fingerprint) once per instance: as one user's key, or as one deploy key shared by projects ("has already been taken"); use a separate SshKeyDistribution for each`,
      );
    }
    deploys.forEach((d, i) => {
      const field = `gitlab.deployKeys[${i}]`;
      const t = targetOf(`gitlab:project/${String(d.project ?? '').trim()}`, `${field}.project`);
      if (t.platform !== 'gitlab' || t.kind !== 'project')
        throw new ComponentArgsError(`${field}.project`, 'is not a project');
      checkTitle(d.title, `${field}.title`);
      checkExpiry(d.expiresAt, `${field}.expiresAt`, now);
      out.push({
        kind: 'gitlab-deploy',
        slug: `gitlab-deploy-${t.path}`,
        field,
        target: formatTarget(t),
        project: t.path,
        ...opt('canPush', d.canPush),
        ...opt('title', d.title),
        ...opt('expiresAt', d.expiresAt),
      });
    });
  }

  const gc = args.gcp;
  if (gc !== undefined) {
    (gc.projectEntries ?? []).forEach((e, i) => {
      const field = `gcp.projectEntries[${i}]`;
      const t = targetOf(
        `gcp:project/${String(e.project ?? '').trim()}?user=${encodeURIComponent(String(e.user ?? ''))}`,
        field,
      );
      if (t.platform !== 'gcp' || t.kind !== 'project')
        throw new ComponentArgsError(field, 'is not a project entry');
      checkExpiry(e.expiresAt, `${field}.expiresAt`, now);
      out.push({
        kind: 'gcp-metadata',
        slug: `gcp-project-${t.project}/${t.user}`,
        field,
        target: formatTarget(t),
        project: t.project,
        user: t.user,
        ...opt('expiresAt', e.expiresAt),
      });
    });
    (gc.instanceEntries ?? []).forEach((e, i) => {
      const field = `gcp.instanceEntries[${i}]`;
      const path = [e.project, e.zone, e.instance].map((s) => String(s ?? '').trim()).join('/');
      const t = targetOf(`gcp:instance/${path}?user=${encodeURIComponent(String(e.user ?? ''))}`, field);
      if (t.platform !== 'gcp' || t.kind !== 'instance')
        throw new ComponentArgsError(field, 'is not an instance entry');
      checkExpiry(e.expiresAt, `${field}.expiresAt`, now);
      out.push({
        kind: 'gcp-metadata',
        slug: `gcp-instance-${t.project}/${t.zone}/${t.instance}/${t.user}`,
        field,
        target: formatTarget(t),
        project: t.project,
        zone: t.zone,
        instance: t.instance,
        user: t.user,
        ...opt('expiresAt', e.expiresAt),
      });
    });
    (gc.osLogin ?? []).forEach((o, i) => {
      const field = `gcp.osLogin[${i}]`;
      const t = targetOf(`gcp:oslogin/${String(o.user ?? '').trim()}`, `${field}.user`);
      if (t.platform !== 'gcp' || t.kind !== 'oslogin')
        throw new ComponentArgsError(`${field}.user`, 'is not an email');
      checkExpiry(o.expiresAt, `${field}.expiresAt`, now);
      if (o.expiresAt === undefined && args.expiresAt === undefined && !rotating) {
        throw new ComponentArgsError(
          `${field}.expiresAt`,
          'OS Login keys must expire: keys without expiry fill the 32 KiB login profile ("Login profile size exceeds 32 KiB"); set expiresAt here or on the component, or use rotateEvery',
        );
      }
      out.push({
        kind: 'gcp-oslogin',
        slug: `gcp-oslogin-${t.email}`,
        field,
        user: t.email,
        ...opt('project', o.project),
        ...opt('expiresAt', o.expiresAt),
      });
    });
  }

  const seen = new Map<string, string>();
  for (const p of out) {
    const before = seen.get(p.slug);
    if (before !== undefined) {
      throw new ComponentArgsError(
        p.field,
        `places the key where ${before} already does; list each place once`,
      );
    }
    seen.set(p.slug, p.field);
  }
  return out;
}

/** `{ [k]: v }` when v is defined, `{}` otherwise (for exactOptionalPropertyTypes). */
function opt<K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [k]: v }) as { [P in K]?: V };
}

/** Every arg of the component, checked. */
export interface ResolvedArgs {
  source: { kind: 'publicKey'; validated?: ValidatedKey } | { kind: 'generate'; generate: ResolvedGenerate };
  placements: Placement[];
  schedule?: RotationSchedule;
  plan?: RotationPlan;
  now: Date;
  policy: Partial<Policy>;
}

/** Validates all args; `publicKey` is checked here when it is a plain string. */
export function resolveArgs(args: SshKeyDistributionArgs): ResolvedArgs {
  const now = args.now ?? new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime()))
    throw new ComponentArgsError('now', 'must be a valid Date');
  const policy = args.keyPolicy ?? DEFAULT_POLICY;
  const hasKey = args.publicKey !== undefined && args.publicKey !== null;
  if (hasKey === (args.generate !== undefined)) {
    throw new ComponentArgsError(
      hasKey ? 'generate' : 'publicKey',
      hasKey
        ? 'give either publicKey or generate, not both'
        : 'give publicKey (an OpenSSH public key) or generate (e.g. generate: {} for an ED25519 key)',
    );
  }
  if (args.rotateEvery === undefined) {
    for (const f of ['gracePeriod', 'rotationAnchor'] as const) {
      if (args[f] !== undefined) throw new ComponentArgsError(f, 'applies only with rotateEvery');
    }
  } else if (!args.generate) {
    throw new ComponentArgsError(
      'rotateEvery',
      'needs generate: keyfleet can rotate only keys it generates (a given publicKey has no successor to rotate to)',
    );
  }

  let source: ResolvedArgs['source'];
  if (args.generate !== undefined) {
    source = { kind: 'generate', generate: resolveGenerate(args.generate, policy) };
  } else if (typeof args.publicKey === 'string') {
    source = { kind: 'publicKey', validated: validatePublicKeyText(args.publicKey, policy) };
  } else {
    source = { kind: 'publicKey' };
  }
  checkTitle(args.title, 'title');

  let schedule: RotationSchedule | undefined;
  let plan: RotationPlan | undefined;
  if (args.rotateEvery !== undefined) {
    schedule = resolveSchedule({
      rotateEvery: args.rotateEvery,
      ...opt('gracePeriod', args.gracePeriod),
      ...opt('rotationAnchor', args.rotationAnchor),
    });
    plan = planRotation(schedule, now);
  }
  const placements = resolvePlacements(args, now, schedule !== undefined);
  return { source, placements, now, policy, ...opt('schedule', schedule), ...opt('plan', plan) };
}
