import type { Command } from 'commander';

export interface VerifyFlags {
  expectDenied?: boolean;
  sandbox?: string | true;
  knownHosts?: string;
  timeout?: string;
  json?: boolean;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .summary('prove what a key can reach: clone over SSH or log into a VM with only that key')
    .description(
      'Use the private KEYFILE the way a pipeline would, with nothing else (no agent, no ssh config) and ' +
        'strict host checking against pinned host keys: `git ls-remote` for repositories, `ssh -T` for ' +
        'account keys, `ssh USER@VM true` for VMs. Reports per target: ok, denied, host-key-mismatch or ' +
        'unreachable.',
    )
    .argument('<keyfile>', 'the PRIVATE key file (mode 0600), as the pipeline holds it')
    .argument(
      '<target...>',
      'github:repo/OWNER/REPO, github:user, gitlab:project/PATH, gitlab:user, ' +
        'gcp:instance/P/Z/I?user=U, gcp:project/P?user=U, gcp:oslogin/EMAIL (sandbox VMs), or ssh://USER@HOST[:PORT][/REPO.git]',
    )
    .option(
      '--expect-denied',
      'succeed only if every target DENIES the key (check that a revoked key is really gone)',
    )
    .option(
      '--sandbox [file]',
      "use the sandbox's git hosts and VMs (connection file; default $KEYFLEET_SANDBOX_FILE or ~/.keyfleet/sandbox.json)",
    )
    .option('--known-hosts <file>', 'pinned host keys for ssh:// targets (known_hosts format)')
    .option('--timeout <seconds>', 'give up on one target after this long', '60')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      `
Host keys: github.com and gitlab.com are pinned to their published keys (see keyfleet known-hosts);
the sandbox's hosts to the keys in its connection file; ssh:// targets to --known-hosts.

Exit status:
  0  every target behaved as expected (ok; or denied with --expect-denied)
  1  at least one did not (denied, host key mismatch, unreachable...)
  2  bad usage, or the key file cannot be used

Examples:
  keyfleet verify ~/.ssh/ci_deploy github:repo/mlops/trainer gitlab:project/ml/trainer
  keyfleet verify --expect-denied leaked_key github:repo/mlops/trainer
  keyfleet verify --sandbox key gcp:instance/ml-prod/us-central1-a/trainer-1?user=alice`,
    )
    .action(async (keyfile: string, targets: string[], flags: VerifyFlags) => {
      const { runVerify } = await import('../run/verify.js');
      process.exitCode = await runVerify(keyfile, targets, flags);
    });
}
