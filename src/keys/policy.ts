import { UsageError } from '../errors.js';
import { optionsExpiry } from './authorized-keys.js';
import { CERT_FOREVER, certTimeToIso } from './certificate.js';
import { certPlainType } from './key-body.js';
import type { Finding, KeyOption, PublicKey, Verdict } from './types.js';

/**
 * Key policy: what keyfleet calls ok, weak, forbidden or expired. Defaults follow current
 * guidance (NIST SP 800-57: RSA below 3072 bits is below 128-bit security; OpenSSH itself
 * refuses DSA since 9.8 and RSA below 1024 bits).
 */
export interface Policy {
  /** RSA keys below this many bits are weak. Default 3072. */
  minRsaBits: number;
  /** RSA keys below this many bits are forbidden. Default 2048. */
  forbiddenRsaBits: number;
  /** DSA (`ssh-dss`) keys are forbidden (true, the default) or only weak (false). */
  forbidDsa: boolean;
  /**
   * When set, only these key types pass; others are forbidden (`type-not-allowed`). Entries are
   * type names (`ssh-ed25519`, a certificate also matches its certified type) or ssh-keygen
   * families (`ED25519`, `ECDSA-SK`, case-insensitive).
   */
  allowedTypes?: string[];
  /** The verdict from which a key fails (exit code 1): `forbidden` (default) or `weak`. Expired always fails. */
  failOn: 'weak' | 'forbidden';
  /** The time to judge expiry against (default: now). */
  now?: Date;
}

export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  minRsaBits: 3072,
  forbiddenRsaBits: 2048,
  forbidDsa: true,
  failOn: 'forbidden' as const,
});

/** Stable finding codes (documented in docs/keys.md). */
export const FINDING_CODES = [
  'rsa-weak',
  'rsa-forbidden',
  'dsa-forbidden',
  'dsa-weak',
  'type-not-allowed',
  'unknown-type',
  'cert-expired',
  'cert-not-yet-valid',
  'cert-sha1-signature',
  'option-expired',
  'option-no-touch-required',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

export interface PolicyFinding extends Finding {
  code: FindingCode;
}

export interface PolicyResult {
  verdict: Verdict;
  findings: PolicyFinding[];
}

/** Merges overrides onto the defaults and checks they make sense; throws UsageError if not. */
export function resolvePolicy(overrides: Partial<Policy> = {}): Policy {
  const p: Policy = { ...DEFAULT_POLICY };
  for (const [k, v] of Object.entries(overrides))
    if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v;
  for (const name of ['minRsaBits', 'forbiddenRsaBits'] as const) {
    if (!Number.isInteger(p[name]) || p[name] < 0) {
      throw new UsageError(`policy ${name} must be a whole number of bits, got ${String(p[name])}`);
    }
  }
  if (p.forbiddenRsaBits > p.minRsaBits) {
    throw new UsageError(
      `policy forbiddenRsaBits (${p.forbiddenRsaBits}) must not exceed minRsaBits (${p.minRsaBits}): forbidden is below weak`,
    );
  }
  if (p.failOn !== 'weak' && p.failOn !== 'forbidden') {
    throw new UsageError(`policy failOn must be "weak" or "forbidden", got ${JSON.stringify(p.failOn)}`);
  }
  return p;
}

const RANK: Readonly<Record<Verdict, number>> = { ok: 0, weak: 1, forbidden: 2, expired: 2 };

/** Which verdict each finding implies (undefined: reported, but the verdict is unchanged). */
const IMPLIES: Readonly<Record<FindingCode, Verdict | undefined>> = {
  'rsa-weak': 'weak',
  'rsa-forbidden': 'forbidden',
  'dsa-forbidden': 'forbidden',
  'dsa-weak': 'weak',
  'type-not-allowed': 'forbidden',
  'unknown-type': 'weak',
  'cert-expired': 'expired',
  'cert-not-yet-valid': undefined,
  'cert-sha1-signature': 'weak',
  'option-expired': 'expired',
  'option-no-touch-required': undefined,
};

function typeAllowed(key: PublicKey, allowed: readonly string[]): boolean {
  const plain = key.certificate ? (certPlainType(key.type) ?? key.type) : key.type;
  return allowed.some((a) => a === key.type || a === plain || a.toUpperCase() === key.family);
}

/**
 * Judges a key. Verdict: `expired` if an expiry finding applies, else `forbidden`, `weak` or
 * `ok` from the worst finding. `context.options` are the key's authorized_keys options.
 */
export function evaluateKey(
  key: PublicKey,
  policy: Partial<Policy> = DEFAULT_POLICY,
  context: { options?: readonly KeyOption[] } = {},
): PolicyResult {
  const p = policy === DEFAULT_POLICY ? DEFAULT_POLICY : { ...DEFAULT_POLICY, ...stripUndefined(policy) };
  const findings: PolicyFinding[] = [];
  const add = (code: FindingCode, severity: Finding['severity'], message: string): void => {
    findings.push({ code, severity, message });
  };
  const what = key.certificate ? 'certified key' : 'key';

  switch (key.family) {
    case 'RSA':
      if (key.bits < p.forbiddenRsaBits) {
        add(
          'rsa-forbidden',
          'high',
          `RSA ${what} is ${key.bits} bits; below ${p.forbiddenRsaBits} bits is forbidden: replace it with an ed25519 key`,
        );
      } else if (key.bits < p.minRsaBits) {
        add(
          'rsa-weak',
          'medium',
          `RSA ${what} is ${key.bits} bits; below ${p.minRsaBits} bits is weak: replace it with an ed25519 key (or RSA ${p.minRsaBits}+)`,
        );
      }
      break;
    case 'DSA':
      if (p.forbidDsa) {
        add(
          'dsa-forbidden',
          'high',
          `DSA (ssh-dss) ${what}: DSA is forbidden (OpenSSH 9.8+ removed it); replace it with an ed25519 key`,
        );
      } else {
        add('dsa-weak', 'medium', `DSA (ssh-dss) ${what}: DSA is deprecated; replace it with an ed25519 key`);
      }
      break;
    case 'UNKNOWN':
      add('unknown-type', 'medium', `unknown key type ${key.type}: keyfleet cannot judge its strength`);
      break;
    default:
      break;
  }
  if (p.allowedTypes !== undefined && !typeAllowed(key, p.allowedTypes)) {
    add(
      'type-not-allowed',
      'high',
      `key type ${key.type} is not in the allowed types (${p.allowedTypes.join(', ')})`,
    );
  }

  // Date.now() rather than a Date and a BigInt per key: this runs for every line of a 100k-line file.
  const nowMs = p.now !== undefined ? p.now.getTime() : Date.now();
  const cert = key.certificate;
  if (cert !== undefined) {
    const nowSecs = BigInt(Math.floor(nowMs / 1000));
    if (cert.validBefore !== CERT_FOREVER && nowSecs >= cert.validBefore) {
      add(
        'cert-expired',
        'high',
        `certificate ${JSON.stringify(cert.keyId)} expired at ${certTimeToIso(cert.validBefore)}`,
      );
    }
    if (nowSecs < cert.validAfter) {
      add(
        'cert-not-yet-valid',
        'low',
        `certificate ${JSON.stringify(cert.keyId)} is not valid before ${certTimeToIso(cert.validAfter)}`,
      );
    }
    if (cert.signatureType === 'ssh-rsa') {
      add(
        'cert-sha1-signature',
        'medium',
        'certificate is signed with ssh-rsa (SHA-1), which OpenSSH 8.2+ refuses by default: re-sign it with rsa-sha2-512 or an ed25519 CA',
      );
    }
  }

  const options = context.options;
  if (options !== undefined && options.length > 0) {
    const expiry = optionsExpiry(options);
    if (expiry !== undefined && expiry.getTime() < nowMs) {
      add(
        'option-expired',
        'high',
        `authorized_keys expiry-time passed at ${expiry.toISOString()}; sshd refuses this key`,
      );
    }
    if (
      (key.family === 'ED25519-SK' || key.family === 'ECDSA-SK') &&
      options.some((o) => o.name === 'no-touch-required')
    ) {
      add(
        'option-no-touch-required',
        'low',
        'no-touch-required: the security key signs without a touch, so malware on the host can use it silently',
      );
    }
  }

  let verdict: Verdict = 'ok';
  for (const f of findings) {
    const v = IMPLIES[f.code];
    if (v === undefined) continue;
    if (v === 'expired' || (verdict !== 'expired' && RANK[v] > RANK[verdict])) verdict = v;
  }
  return { verdict, findings };
}

function stripUndefined(p: Partial<Policy>): Partial<Policy> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (v !== undefined) out[k] = v;
  return out as Partial<Policy>;
}

/** True when `result` fails `policy` (the CLI's exit code 1): its verdict is at or above `failOn`. */
export function failsPolicy(
  result: Pick<PolicyResult, 'verdict'>,
  policy: Partial<Policy> = DEFAULT_POLICY,
): boolean {
  const failOn = policy.failOn ?? DEFAULT_POLICY.failOn;
  return RANK[result.verdict] >= RANK[failOn];
}
