#!/usr/bin/env node
/**
 * keyfleet's entry point. Only command definitions (flags and help) load here; each command's
 * work is imported inside its action, so `keyfleet --version` and `--help` stay fast and never
 * load Pulumi or a cloud SDK.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { reportError } from './output.js';
import { registerCommands } from './commands/index.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('keyfleet')
    .description(
      'SSH keys as code: validate, place, rotate, audit and revoke SSH keys on GitHub, GitLab and Google Cloud.',
    )
    .version(version(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help for a command')
    .showSuggestionAfterError(true)
    .configureOutput({
      // Commander's own usage errors ("error: unknown option") get our prefix.
      outputError: (str, write) => write(`keyfleet: ${str.replace(/^error: /, 'error: ')}`),
    })
    .exitOverride();
  registerCommands(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      if (err.exitCode === 0) return 0;
      return 2;
    }
    return reportError(err);
  }
}

// `keyfleet inspect big | head`: the reader went away. Stop quietly, as other Unix tools do,
// rather than dying on an unhandled 'error' event with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  process.stderr.write(`keyfleet: error: cannot write to standard output: ${err.message}\n`);
  process.exit(1);
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportError(err);
  },
);
