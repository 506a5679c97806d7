import type { Command } from 'commander';

export interface PruneFlags {
  sandbox?: string | true;
  json?: boolean;
  dryRun?: boolean;
}

export function registerPrune(program: Command): void {
  program
    .command('prune')
    .summary('remove expired google-ssh keys from Google Cloud metadata and OS Login')
    .description(
      'Remove the keys whose expiry has passed, and nothing else: expired `google-ssh` lines from a ' +
        "project's or instance's ssh-keys (and legacy sshKeys) metadata, expired keys from an OS Login " +
        'profile. Google never removes expired keys; they fill the 256 KiB metadata value and the 32 KiB ' +
        'OS Login profile. Every other line stays byte for byte; invalid lines are left alone and counted. ' +
        'Each removed key is reported with its user, fingerprint and expiry. Metadata is written with its ' +
        'fingerprint, so a concurrent writer never loses an update.',
    )
    .argument(
      '<target...>',
      'gcp:project/PROJECT[?user=NAME], gcp:instance/PROJECT/ZONE/INSTANCE[?user=NAME], gcp:oslogin/EMAIL',
    )
    .option('--dry-run', 'report what would be removed; change nothing')
    .option('--json', 'print one JSON document on stdout')
    .option(
      '--sandbox [file]',
      'use the local sandbox (`keyfleet sandbox`) via its connection file instead of Google Cloud',
    )
    .addHelpText(
      'after',
      `
Targets:
  gcp:project/PROJECT                    every user's expired lines in the project's metadata
  gcp:project/PROJECT?user=NAME          only NAME's expired lines
  gcp:instance/PROJECT/ZONE/INSTANCE     every user's expired lines in one VM's metadata
  gcp:oslogin/EMAIL                      expired keys of an OS Login identity

Credentials:
  Application Default Credentials (gcloud auth application-default login); with --sandbox, the
  sandbox's token.

Exit status:
  0  every target was pruned (or had nothing to prune)
  1  at least one target failed (the others are still reported)
  2  bad usage

Examples:
  keyfleet prune --dry-run gcp:project/ml-prod
  keyfleet prune gcp:project/ml-prod gcp:instance/ml-prod/us-central1-a/trainer-1 gcp:oslogin/alice@example.com
  keyfleet prune --sandbox --json gcp:project/ml-prod`,
    )
    .action(async (targets: string[], flags: PruneFlags) => {
      const { runPrune } = await import('../run/prune.js');
      process.exitCode = await runPrune(targets, flags);
    });
}
