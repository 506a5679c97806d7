/**
 * `keyfleet prune`: expired keys out of Google Cloud metadata and OS Login profiles, through the
 * Google Cloud adapter. Prints one report per target (text or one JSON document).
 */
import { UsageError } from '../../errors.js';
import { resolvePlatformConfig } from '../../platforms/config.js';
import { GcpPlatform, type PruneResult } from '../../platforms/gcp/adapter.js';
import { createPlatform } from '../../platforms/registry.js';
import { parseTarget } from '../../platforms/target.js';
import type { Target } from '../../platforms/types.js';
import { describeError, errorText, type OutcomeError } from '../../placement/operations.js';
import type { PruneFlags } from '../commands/prune.js';
import { printable, printJson } from '../output.js';

/** A metadata target without `?user=` means every user's lines (the adapter's `?user=*`). */
export function parsePruneTarget(text: string): Target {
  const t = text.trim();
  const withUser = /^gcp:(project|instance)\/[^?]*$/i.test(t) ? `${t}?user=*` : t;
  const target = parseTarget(withUser);
  if (target.platform !== 'gcp') {
    throw new UsageError(
      `prune works on Google Cloud targets (gcp:project/…, gcp:instance/…, gcp:oslogin/…), not "${text}": GitHub and GitLab remove expired keys themselves`,
    );
  }
  return target;
}

type PruneOutcome =
  (PruneResult & { ok: true }) | { target: string; ok: false; error: OutcomeError; errorText: string };

export async function runPrune(targetTexts: string[], flags: PruneFlags): Promise<number> {
  if (targetTexts.length === 0) throw new UsageError('give at least one TARGET');
  const targets = targetTexts.map(parsePruneTarget);
  const config = await resolvePlatformConfig(flags.sandbox !== undefined ? { sandbox: flags.sandbox } : {});
  const platform = await createPlatform('gcp', config);
  if (!(platform instanceof GcpPlatform)) throw new Error('the gcp platform is not the Google Cloud adapter');

  const results: PruneOutcome[] = [];
  for (const [i, target] of targets.entries()) {
    try {
      results.push({ ...(await platform.prune(target, flags.dryRun ? { dryRun: true } : {})), ok: true });
    } catch (err) {
      if (err instanceof UsageError) throw err;
      results.push({
        target: targetTexts[i]!,
        ok: false,
        error: describeError(err),
        errorText: errorText(err),
      });
    }
  }
  const ok = results.every((r) => r.ok);

  if (flags.json) {
    printJson({
      command: 'prune',
      dryRun: Boolean(flags.dryRun),
      ok,
      results: results.map((r) =>
        r.ok ? r : { target: r.target, ok: false, status: 'failed', error: r.error },
      ),
    });
    return ok ? 0 : 1;
  }

  const lines: string[] = [];
  if (flags.dryRun) lines.push('dry run: nothing changed');
  for (const r of results) {
    if (!r.ok) {
      lines.push(`failed  ${r.target}\n    ${r.errorText.replace(/\n/g, '\n    ')}`);
      continue;
    }
    const verb = r.status === 'would-prune' ? 'would remove' : 'removed';
    const head =
      r.status === 'nothing-to-prune'
        ? 'nothing expired'
        : `${verb} ${r.removed.length} expired key${r.removed.length === 1 ? '' : 's'}`;
    lines.push(`${head}  ${r.target}`);
    for (const k of r.removed) {
      const who = k.user !== undefined ? `${printable(k.user)}  ` : '';
      const where = k.item && k.item !== 'ssh-keys' ? `  (${k.item})` : '';
      lines.push(`    ${verb}  ${who}${k.fingerprint}  ${k.type}  expired ${k.expiresAt}${where}`);
    }
    for (const n of r.notes) lines.push(`    note: ${n}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  return ok ? 0 : 1;
}
