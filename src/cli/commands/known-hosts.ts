import type { Command } from 'commander';

export interface KnownHostsFlags {
  check?: string;
  offline?: boolean;
  githubUrl?: string;
  sandbox?: string | true;
  hash?: boolean;
  json?: boolean;
}

export function registerKnownHosts(program: Command): void {
  program
    .command('known-hosts')
    .summary('print pinned known_hosts lines for Git hosts, or check a known_hosts file')
    .description(
      "Print known_hosts lines with pinned host keys: GitHub's from its GET /meta, checked against the " +
        "fingerprints GitHub documents; gitlab.com's from its published keys (bundled, with the date they " +
        "were taken); the sandbox's git hosts and VMs from its connection file. With --check, read a " +
        'known_hosts file and report entries for those hosts that are stale or wrong.',
    )
    .argument(
      '[host...]',
      'github.com, gitlab.com, or a sandbox host (sandbox, sandbox:github, sandbox:gitlab, sandbox:vms)',
    )
    .option('--check <file>', 'check FILE instead of printing; exit 1 when an entry is stale or wrong')
    .option('--offline', "use the bundled GitHub keys instead of asking GitHub's /meta")
    .option('--github-url <url>', 'ask this API for /meta (GitHub Enterprise Server: https://HOST/api/v3)')
    .option(
      '--sandbox [file]',
      "include the sandbox's hosts (connection file; default $KEYFLEET_SANDBOX_FILE or ~/.keyfleet/sandbox.json)",
    )
    .option('--hash', 'write host names hashed, as `ssh-keygen -H` does')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      `
Exit status:
  0  lines printed, or the checked file has no stale or wrong entry
  1  --check found stale or wrong entries, or /meta returned keys GitHub does not document
  2  bad usage, or the file cannot be read

Examples:
  keyfleet known-hosts >> ~/.ssh/known_hosts
  keyfleet known-hosts --check ~/.ssh/known_hosts
  keyfleet known-hosts --sandbox sandbox > sandbox_known_hosts`,
    )
    .action(async (hosts: string[], flags: KnownHostsFlags) => {
      const { runKnownHosts } = await import('../run/known-hosts.js');
      process.exitCode = await runKnownHosts(hosts, flags);
    });
}
