/** `keyfleet verify`: resolves targets to SSH endpoints, tries each with only the key, prints the outcomes. */
import { readFileSync } from 'node:fs';
import { InputError, UsageError } from '../../errors.js';
import { endpointsFor, type AccessEndpoint, type EndpointContext } from '../../verify/endpoints.js';
import { checkEndpoint, checkKeyFile, type AccessCheck } from '../../verify/verify.js';
import { sandboxVmResolver } from '../../verify/sandbox-vms.js';
import type { VerifyFlags } from '../commands/verify.js';
import { formatTable, printJson } from '../output.js';

export async function runVerify(keyfile: string, targets: string[], flags: VerifyFlags): Promise<number> {
  const timeoutSec = Number(flags.timeout ?? '60');
  if (!Number.isFinite(timeoutSec) || timeoutSec <= 0 || timeoutSec > 3600) {
    throw new UsageError(`--timeout "${flags.timeout}": expected a number of seconds between 1 and 3600`);
  }
  checkKeyFile(keyfile);
  const ctx: EndpointContext = {};
  if (flags.knownHosts) {
    try {
      ctx.knownHosts = readFileSync(flags.knownHosts, 'utf8')
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('#'));
    } catch {
      throw new InputError(flags.knownHosts, 'cannot read the --known-hosts file');
    }
  }
  if (flags.sandbox !== undefined) {
    const { readConnectionFile } = await import('../../sandbox/connection.js');
    const conn = await readConnectionFile(typeof flags.sandbox === 'string' ? flags.sandbox : undefined);
    const ssh = conn.ssh;
    if (!ssh) {
      throw new UsageError(
        'this sandbox runs no SSH hosts (openssh-server, git or libnss-wrapper were missing when it started); ' +
          'install them and restart `keyfleet sandbox`',
      );
    }
    ctx.sandbox = ssh;
    if (conn.gcp) ctx.vms = sandboxVmResolver(conn.gcp.osloginUrl, conn.gcp.instances);
  }
  const endpoints: AccessEndpoint[] = [];
  for (const t of targets) endpoints.push(...(await endpointsFor(t, ctx)));
  const expected = flags.expectDenied ? 'denied' : 'ok';
  const checks: AccessCheck[] = [];
  // One at a time: a pipeline's clone is sequential, and parallel ssh to one host trips MaxStartups.
  for (const ep of endpoints) checks.push(await checkEndpoint(keyfile, ep, expected, timeoutSec * 1000));
  const pass = checks.every((c) => c.pass);
  if (flags.json) {
    printJson({ key: keyfile, expected, pass, checks });
  } else {
    process.stdout.write(
      formatTable(
        ['TARGET', 'TRIED', 'RESULT', 'EXPECTED', 'DETAIL'],
        checks.map((c) => [
          c.target,
          c.endpoint,
          c.outcome,
          c.pass ? c.expected : `${c.expected} (MISMATCH)`,
          c.detail,
        ]),
      ) + '\n',
    );
  }
  return pass ? 0 : 1;
}
