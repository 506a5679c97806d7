import type { Command } from 'commander';
import { addPlatformOptions, TARGETS_HELP, type PlatformFlags } from './platform-options.js';

export interface GrantFlags extends PlatformFlags {
  title?: string;
  expires?: string;
  dryRun?: boolean;
  allowWeak?: boolean;
}

export function registerGrant(program: Command): void {
  const cmd = program
    .command('grant')
    .summary('place a public key on GitHub, GitLab or Google Cloud targets')
    .description(
      'Validate one public key with the key policy and place it on every TARGET. Adding a key that ' +
        'is already there (same fingerprint) succeeds without a duplicate. Reports, per target: added, ' +
        'already present, would add (--dry-run) or failed with the reason.',
    )
    .argument('<keyfile>', 'the public key: a .pub file with exactly one key, or "-" for standard input')
    .argument('<target...>', 'where to place it (see Targets below)')
    .option('--title <title>', 'the title platforms show (default: the key comment)')
    .option(
      '--expires <when>',
      'expiry where the platform supports it: ISO date/time or a duration (30d, 12h)',
    )
    .option('--dry-run', 'check everything and report what would be added; change nothing')
    .option('--allow-weak', 'place a key the policy forbids (e.g. RSA below 2048 bits, DSA)');
  addPlatformOptions(cmd)
    .addHelpText(
      'after',
      `${TARGETS_HELP}

Exit status:
  0  the key is on every target (added or already present; would be added with --dry-run)
  1  at least one target failed
  2  bad usage, or the key file cannot be read or is not one acceptable public key

Examples:
  keyfleet grant ~/.ssh/ci.pub github:repo/mlops/trainer gitlab:project/ml/trainer?push
  keyfleet grant --expires 30d --title "laptop 2027" id_ed25519.pub gitlab:user
  keyfleet grant --sandbox --dry-run --json deploy.pub github:repo/mlops/datasets`,
    )
    .action(async (keyfile: string, targets: string[], flags: GrantFlags) => {
      const { runGrant } = await import('../run/placement.js');
      process.exitCode = await runGrant(keyfile, targets, flags);
    });
}
