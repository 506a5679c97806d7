import type { Command } from 'commander';

export interface SandboxFlags {
  state?: string;
  connectionFile?: string;
  json?: boolean;
  /** False with --no-seed. */
  seed: boolean;
  /** False with --no-ssh. */
  ssh: boolean;
}

export function registerSandbox(program: Command): void {
  program
    .command('sandbox')
    .summary('run local emulators of the GitHub, GitLab and Google Cloud key APIs')
    .description(
      'Start emulated GitHub, GitLab and Google Cloud key APIs on 127.0.0.1 (ports chosen at run ' +
        'time), seeded with users, tokens of different rights, an org with repositories and a group ' +
        'with projects. Writes a connection file (mode 0600) with the URLs and tokens that every ' +
        'other command reads with --sandbox, prints where it is, and runs until interrupted (Ctrl-C, ' +
        'SIGTERM); then it stops cleanly, saves state (with --state) and removes the connection file.',
    )
    .option(
      '--state <file>',
      "keep the emulators' state in FILE: loaded at start if present, saved on every change and on exit",
    )
    .option(
      '--connection-file <file>',
      'where to write the connection file (default: $KEYFLEET_SANDBOX_FILE or ~/.keyfleet/sandbox.json)',
    )
    .option('--no-seed', 'start with no users, tokens, repositories or projects (when no state is loaded)')
    .option(
      '--no-ssh',
      'do not start the real SSH git hosts and VMs (they start when openssh-server, git and libnss-wrapper are installed)',
    )
    .option('--json', 'print the connection document (URLs and sandbox tokens) as JSON instead of text')
    .addHelpText(
      'after',
      `
Exit status:
  0  stopped cleanly by SIGINT or SIGTERM
  1  could not start (a sandbox already owns the connection file, unreadable state file, ...)
  2  bad usage

Examples:
  keyfleet sandbox
  keyfleet sandbox --state ~/.keyfleet/sandbox-state.json
  keyfleet list github:repo/mlops/trainer --sandbox
  keyfleet grant ./deploy_key.pub gitlab:project/ml/platform/infra --sandbox`,
    )
    .action(async (flags: SandboxFlags) => {
      const { runSandbox } = await import('../run/sandbox.js');
      process.exitCode = await runSandbox(flags);
    });
}
