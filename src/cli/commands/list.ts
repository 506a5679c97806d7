import type { Command } from 'commander';
import { addPlatformOptions, TARGETS_HELP, type PlatformFlags } from './platform-options.js';

export type ListFlags = PlatformFlags;

export function registerList(program: Command): void {
  const cmd = program
    .command('list')
    .summary('list the SSH keys at targets')
    .description(
      'List the keys at each TARGET: id, fingerprint (computed locally from the key), type, bits, ' +
        'title, created, expiry and access (read-only or push for deploy keys).',
    )
    .argument('<target...>', 'where to look (see Targets below)');
  addPlatformOptions(cmd)
    .addHelpText(
      'after',
      `${TARGETS_HELP}

Exit status:
  0  every target was listed
  1  at least one target could not be listed (the others are still shown)
  2  bad usage

Examples:
  keyfleet list github:user github:repo/mlops/trainer
  keyfleet list --json gitlab:project/ml/platform/infra`,
    )
    .action(async (targets: string[], flags: ListFlags) => {
      const { runList } = await import('../run/placement.js');
      process.exitCode = await runList(targets, flags);
    });
}
