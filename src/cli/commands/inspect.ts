import { Option } from 'commander';
import type { Command } from 'commander';
import { intInRange } from '../flags.js';

export interface InspectFlags {
  json?: boolean;
  fingerprintHash: 'sha256' | 'md5';
  minRsaBits?: number;
  failOn?: 'weak' | 'forbidden';
  passphraseFile?: string;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .summary('parse SSH keys and check them against the key policy')
    .description(
      'Parse OpenSSH keys and check each against the key policy. Reads .pub files, authorized_keys ' +
        '(options allowed), known_hosts (hashed hosts and @cert-authority/@revoked markers) and ' +
        'private key files (only the public half is derived and shown). Prints one row per key.',
    )
    .argument('[file...]', 'key files to read; none, or "-", reads standard input')
    .option('--json', 'print one JSON document on stdout instead of a table')
    .addOption(
      new Option('-E, --fingerprint-hash <hash>', 'fingerprint shown in the table (JSON has both)')
        .choices(['sha256', 'md5'])
        .default('sha256'),
    )
    .option(
      '--min-rsa-bits <bits>',
      'RSA keys with fewer bits are weak (below 2048 they are forbidden) (default: 3072)',
      intInRange(2048, 16384),
    )
    .addOption(
      new Option(
        '--fail-on <level>',
        'exit 1 when a key is at least this bad (default: forbidden; expired keys always fail)',
      ).choices(['weak', 'forbidden']),
    )
    .option('--passphrase-file <file>', 'passphrase for encrypted private keys: the first line of FILE')
    .addHelpText(
      'after',
      `
Exit status:
  0  every key was read and passes the policy
  1  a key has a finding at the --fail-on level
  2  an input could not be read or parsed (the others are still reported), or bad usage

Examples:
  keyfleet inspect ~/.ssh/id_ed25519.pub
  keyfleet inspect --json ~/.ssh/authorized_keys ~/.ssh/known_hosts
  cat keys.txt | keyfleet inspect --fail-on weak -`,
    )
    .action(async (files: string[], flags: InspectFlags) => {
      const { runInspect } = await import('../run/inspect.js');
      process.exitCode = await runInspect(files, flags);
    });
}
