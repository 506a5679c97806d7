import { Option } from 'commander';
import type { Command } from 'commander';

export interface KeygenFlags {
  type: 'ed25519' | 'ecdsa' | 'rsa';
  bits?: string;
  comment?: string;
  file: string;
  force?: boolean;
  json?: boolean;
  passphraseFile?: string;
}

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .summary('generate an SSH key pair in OpenSSH format')
    .description(
      'Generate a key pair: the private key in OpenSSH format at PATH (mode 0600) and the public key ' +
        'at PATH.pub (mode 0644). Prints the fingerprint. Existing files are never overwritten ' +
        'without --force, and a failure leaves neither file behind.',
    )
    .addOption(
      new Option('-t, --type <type>', 'key type').choices(['ed25519', 'ecdsa', 'rsa']).default('ed25519'),
    )
    .option(
      '-b, --bits <bits>',
      'ecdsa: 256, 384 or 521 (default 256); rsa: 2048 to 16384 (default 3072); ed25519: 256',
    )
    .option('-C, --comment <comment>', 'comment stored in the key (default: user@host)')
    .requiredOption('-f, --file <path>', 'where to write the private key; the public key goes to PATH.pub')
    .option('--force', 'overwrite PATH and PATH.pub if they exist')
    .option('--json', 'print one JSON document (never the private key) instead of text')
    .option(
      '--passphrase-file <file>',
      'encrypt the private key with the passphrase on the first line of FILE',
    )
    .addHelpText(
      'after',
      `
Exit status:
  0  the key pair was written
  1  PATH or PATH.pub exists (use --force), or the files could not be written
  2  bad usage (unknown type, bad -b, missing -f), or --passphrase-file unreadable

Examples:
  keyfleet keygen -f ~/.ssh/id_ed25519
  keyfleet keygen -t rsa -b 4096 -C ci@build -f ./deploy_key --json`,
    )
    .action(async (flags: KeygenFlags) => {
      const { runKeygen } = await import('../run/keygen.js');
      process.exitCode = await runKeygen(flags);
    });
}
