import type { Command } from 'commander';

export interface DemoFlags {
  keyType?: string;
  json?: boolean;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .summary('see the whole thing work: a key granted, cloned with, rotated and revoked, on a local sandbox')
    .description(
      'One command, no accounts, no internet: starts the sandbox (emulated GitHub, GitLab and Google ' +
        'Cloud APIs, real sshd git hosts and VMs on 127.0.0.1), generates a key, grants it as a GitHub ' +
        'deploy key, a GitLab deploy key and a Google Cloud project ssh-keys entry, clones from both git ' +
        'hosts and logs into the VM, rotates to a new key (both work during the grace period), revokes ' +
        'the old key and shows it denied everywhere while the new one works, then cleans up. ' +
        'Needs openssh-server, git and libnss-wrapper (Debian packages).',
    )
    .option('-t, --key-type <type>', 'key type to generate: ed25519, ecdsa or rsa', 'ed25519')
    .option('--json', 'print one JSON document with every step instead of the running report')
    .addHelpText(
      'after',
      `
Exit status:
  0  every step behaved as expected
  1  a step did not (the report says which and why)
  2  bad usage`,
    )
    .action(async (flags: DemoFlags) => {
      const { runDemoCommand } = await import('../run/demo.js');
      process.exitCode = await runDemoCommand(flags);
    });
}
