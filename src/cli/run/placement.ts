/**
 * `keyfleet grant`, `list` and `revoke`: parse flags and inputs, call src/placement, print the
 * per-target report (text or one JSON document). No platform logic lives here.
 */
import { UsageError } from '../../errors.js';
import { normalizeFingerprint } from '../../keys/fingerprint.js';
import { evaluateKey } from '../../keys/policy.js';
import { keygenTypeLabel } from '../../keys/public-key.js';
import type { PublicKey } from '../../keys/types.js';
import { resolvePlatformConfig, type PlatformConfigOptions } from '../../platforms/config.js';
import { PlatformCache } from '../../platforms/registry.js';
import { parseTarget } from '../../platforms/target.js';
import type { PlacedKey, Target } from '../../platforms/types.js';
import { parseExpires } from '../../placement/expires.js';
import { readSingleKey } from '../../placement/key-file.js';
import { grantKey, listKeys, revokeFingerprint } from '../../placement/operations.js';
import type { GrantOutcome, ListOutcome, RevokeOutcome } from '../../placement/operations.js';
import type { GrantFlags } from '../commands/grant.js';
import type { ListFlags } from '../commands/list.js';
import type { PlatformFlags } from '../commands/platform-options.js';
import type { RevokeFlags } from '../commands/revoke.js';
import { formatTable, printable, printJson, warn } from '../output.js';

function parseTargets(texts: string[]): Target[] {
  if (texts.length === 0) throw new UsageError('give at least one TARGET');
  return texts.map(parseTarget);
}

async function platformsFor(flags: PlatformFlags): Promise<PlatformCache> {
  const opts: PlatformConfigOptions = {};
  if (flags.sandbox !== undefined) opts.sandbox = flags.sandbox;
  if (flags.githubUrl !== undefined) opts.githubUrl = flags.githubUrl;
  if (flags.gitlabUrl !== undefined) opts.gitlabUrl = flags.gitlabUrl;
  const config = await resolvePlatformConfig(opts);
  return new PlatformCache(config, { onWait: (m) => warn(m) });
}

function keySummary(key: PublicKey): Record<string, unknown> {
  return {
    fingerprint: key.fingerprint,
    md5: key.md5,
    type: key.type,
    bits: key.bits,
    comment: key.comment,
  };
}

const GRANT_WORDS: Record<GrantOutcome['status'], string> = {
  added: 'added',
  present: 'already present',
  'would-add': 'would add',
  failed: 'failed',
};

function keyDetail(k: PlacedKey | undefined): string {
  if (!k) return '';
  const parts: string[] = [];
  if (k.id) parts.push(`id ${k.id}`);
  if (k.readOnly !== undefined) parts.push(k.readOnly ? 'read-only' : 'push');
  if (k.expiresAt) parts.push(`expires ${k.expiresAt}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function printNotes(lines: string[], warnings: string[], notes: string[]): void {
  for (const w of warnings) lines.push(`    warning: ${w}`);
  for (const n of notes) lines.push(`    note: ${n}`);
}

export async function runGrant(keyfile: string, targetTexts: string[], flags: GrantFlags): Promise<number> {
  const targets = parseTargets(targetTexts);
  const expiresAt = flags.expires !== undefined ? parseExpires(flags.expires) : undefined;
  if (flags.title !== undefined && (flags.title.trim() === '' || /[\p{Cc}]/u.test(flags.title))) {
    throw new UsageError('--title must be non-empty text on one line');
  }
  const key = await readSingleKey(keyfile);
  const policy = evaluateKey(key);
  if ((policy.verdict === 'forbidden' || policy.verdict === 'expired') && !flags.allowWeak) {
    const why = policy.findings.map((f) => f.message).join('; ');
    throw new UsageError(
      `${keyfile === '-' ? '(stdin)' : keyfile}: the key policy refuses this key (${policy.verdict}): ${why}. ` +
        'Use a new ed25519 key (keyfleet keygen), or pass --allow-weak to place it anyway.',
    );
  }
  const policyWarnings = policy.findings.map((f) => f.message);
  if (!flags.json) for (const w of policyWarnings) warn(`${key.fingerprint}: ${w}`);

  const platforms = await platformsFor(flags);
  const results = await grantKey(platforms, {
    key,
    targets,
    ...(flags.title !== undefined ? { title: flags.title } : {}),
    ...(expiresAt ? { expiresAt } : {}),
    ...(flags.dryRun ? { dryRun: true } : {}),
  });
  const ok = results.every((r) => r.status !== 'failed');

  if (flags.json) {
    printJson({
      command: 'grant',
      dryRun: Boolean(flags.dryRun),
      key: { ...keySummary(key), verdict: policy.verdict, findings: policy.findings },
      ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
      ok,
      results: results.map(({ errorText: _t, ...r }) => r),
    });
    return ok ? 0 : 1;
  }

  const lines: string[] = [
    `${key.fingerprint} (${keygenTypeLabel(key)} ${key.bits})${flags.dryRun ? ' — dry run, nothing changed' : ''}`,
  ];
  const width = Math.max(...results.map((r) => GRANT_WORDS[r.status].length));
  for (const r of results) {
    const head = `  ${GRANT_WORDS[r.status].padEnd(width)}  ${r.target}`;
    lines.push(
      r.status === 'failed'
        ? `${head}\n    ${(r.errorText ?? '').replace(/\n/g, '\n    ')}`
        : head + keyDetail(r.key),
    );
    printNotes(lines, r.warnings, r.notes);
  }
  lines.push(summary(results.map((r) => GRANT_WORDS[r.status])));
  process.stdout.write(lines.join('\n') + '\n');
  return ok ? 0 : 1;
}

function summary(words: string[]): string {
  const counts = new Map<string, number>();
  for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts].map(([w, n]) => `${n} ${w}`).join(', ');
}

function access(k: PlacedKey): string {
  return k.readOnly === undefined ? '-' : k.readOnly ? 'read-only' : 'push';
}

export async function runList(targetTexts: string[], flags: ListFlags): Promise<number> {
  const targets = parseTargets(targetTexts);
  const platforms = await platformsFor(flags);
  const results: ListOutcome[] = await listKeys(platforms, targets);
  const ok = results.every((r) => r.ok);
  if (flags.json) {
    printJson({ command: 'list', ok, targets: results.map(({ errorText: _t, ...r }) => r) });
    return ok ? 0 : 1;
  }
  const rows: string[][] = [];
  for (const r of results) {
    for (const k of r.keys) {
      rows.push([
        // The key's own place: for Google Cloud metadata it names the line's user.
        k.target || r.target,
        // Google Cloud keys are identified by their fingerprint: no second copy of it.
        k.id === k.fingerprint ? '-' : k.id,
        k.fingerprint,
        k.type,
        String(k.bits),
        printable(k.title ?? '-'),
        k.createdAt ?? '-',
        k.expiresAt ?? '-',
        access(k),
      ]);
    }
  }
  if (rows.length > 0) {
    process.stdout.write(
      formatTable(
        ['TARGET', 'ID', 'FINGERPRINT', 'TYPE', 'BITS', 'TITLE', 'CREATED', 'EXPIRES', 'ACCESS'],
        rows,
      ) + '\n',
    );
  }
  for (const r of results) {
    if (r.ok && r.keys.length === 0) process.stdout.write(`${r.target}: no keys\n`);
    if (!r.ok) process.stderr.write(`keyfleet: error: ${r.errorText ?? 'failed'}\n`);
  }
  return ok ? 0 : 1;
}

const REVOKE_WORDS: Record<RevokeOutcome['status'], string> = {
  removed: 'removed',
  'would-remove': 'would remove',
  absent: 'not there',
  failed: 'failed',
};

/** A fingerprint as given, or the fingerprint of the key in a file. */
async function fingerprintOf(arg: string): Promise<string> {
  const fp = normalizeFingerprint(arg);
  if (fp !== undefined) return fp;
  if (/^(SHA256|MD5):/i.test(arg)) {
    throw new UsageError(
      `"${arg}" is not a valid fingerprint (expected SHA256: and 43 base64 characters, or MD5 as 16 hex pairs aa:bb:...)`,
    );
  }
  return (await readSingleKey(arg)).fingerprint;
}

export async function runRevoke(keyArg: string, targetTexts: string[], flags: RevokeFlags): Promise<number> {
  const targets = parseTargets(targetTexts);
  const fingerprint = await fingerprintOf(keyArg);
  const platforms = await platformsFor(flags);
  const results = await revokeFingerprint(
    platforms,
    fingerprint,
    targets,
    flags.dryRun ? { dryRun: true } : {},
  );
  const ok = results.every((r) => r.status !== 'failed');
  if (flags.json) {
    printJson({
      command: 'revoke',
      dryRun: Boolean(flags.dryRun),
      fingerprint,
      ok,
      results: results.map(({ errorText: _t, ...r }) => r),
    });
    return ok ? 0 : 1;
  }
  const lines: string[] = [`${fingerprint}${flags.dryRun ? ' — dry run, nothing changed' : ''}`];
  const width = Math.max(...results.map((r) => REVOKE_WORDS[r.status].length));
  for (const r of results) {
    const ids = r.keys.length ? ` (id ${r.keys.map((k) => k.id).join(', ')})` : '';
    const head = `  ${REVOKE_WORDS[r.status].padEnd(width)}  ${r.target}${ids}`;
    lines.push(r.status === 'failed' ? `${head}\n    ${(r.errorText ?? '').replace(/\n/g, '\n    ')}` : head);
    printNotes(lines, [], r.notes);
  }
  lines.push(summary(results.map((r) => REVOKE_WORDS[r.status])));
  process.stdout.write(lines.join('\n') + '\n');
  return ok ? 0 : 1;
}
