import type { Command } from 'commander';

/**
 * Every command, in the order `keyfleet --help` lists them. Each module defines flags and help
 * only; its action imports the implementation lazily.
 */
export function registerCommands(_program: Command): void {
  // registerInspect(program);
}
