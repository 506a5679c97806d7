import type { Command } from 'commander';
import { addPlatformOptions, TARGETS_HELP, type PlatformFlags } from './platform-options.js';

export interface RevokeFlags extends PlatformFlags {
  dryRun?: boolean;
}

export function registerRevoke(program: Command): void {
  const cmd = program
    .command('revoke')
    .summary('remove a key (by fingerprint) from targets')
    .description(
      'Remove exactly the keys with this fingerprint from each TARGET, and nothing else. The key is ' +
        'named by its fingerprint (SHA256:... or MD5 aa:bb:...) or by its public key file. A target ' +
        'where the token cannot see the keys is reported as a failure, never as "nothing to do".',
    )
    .argument('<key>', 'a fingerprint (SHA256:... or MD5) or a public key file ("-" for standard input)')
    .argument('<target...>', 'where to remove it from (see Targets below)')
    .option('--dry-run', 'report what would be removed; change nothing');
  addPlatformOptions(cmd)
    .addHelpText(
      'after',
      `${TARGETS_HELP}

Exit status:
  0  the key is gone from every target (removed, or was not there)
  1  at least one target failed (e.g. the token cannot see it)
  2  bad usage

Examples:
  keyfleet revoke SHA256:iScd0afh19Nzhlic2qXUbuHae7SpU4j95CtAkhPU6d0 github:user gitlab:user
  keyfleet revoke --dry-run leaked.pub github:repo/mlops/trainer gitlab:project/ml/trainer`,
    )
    .action(async (key: string, targets: string[], flags: RevokeFlags) => {
      const { runRevoke } = await import('../run/placement.js');
      process.exitCode = await runRevoke(key, targets, flags);
    });
}
