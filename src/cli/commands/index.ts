import type { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerInspect } from './inspect.js';
import { registerKeygen } from './keygen.js';
import { registerGrant } from './grant.js';
import { registerList } from './list.js';
import { registerRevoke } from './revoke.js';
import { registerPrune } from './prune.js';
import { registerKnownHosts } from './known-hosts.js';
import { registerVerify } from './verify.js';
import { registerSandbox } from './sandbox.js';

/**
 * Every command, in the order `keyfleet --help` lists them. Each module defines flags and help
 * only; its action imports the implementation lazily.
 */
export function registerCommands(program: Command): void {
  registerDemo(program);
  registerKeygen(program);
  registerInspect(program);
  registerGrant(program);
  registerList(program);
  registerRevoke(program);
  registerPrune(program);
  registerKnownHosts(program);
  registerVerify(program);
  registerSandbox(program);
}
