/**
 * `keyfleet sandbox`: starts every emulator, writes the connection file, says where things are,
 * then waits for SIGINT/SIGTERM/SIGHUP and shuts down cleanly.
 */
import { resolve } from 'node:path';
import { defaultConnectionPath, type SandboxConnection } from '../../sandbox/connection.js';
import { startSandbox } from '../../sandbox/index.js';
import type { SandboxFlags } from '../commands/sandbox.js';
import { printJson } from '../output.js';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export async function runSandbox(flags: SandboxFlags): Promise<number> {
  const connectionFile = resolve(flags.connectionFile ?? defaultConnectionPath());
  const sandbox = await startSandbox({
    connectionFile,
    ...(flags.state ? { stateFile: flags.state } : {}),
    seed: flags.seed,
    ssh: flags.ssh ? 'auto' : false,
  });
  if (flags.ssh && sandbox.sshUnavailable) {
    process.stderr.write(
      `keyfleet: warning: running without the SSH git hosts and VMs: ${sandbox.sshUnavailable}\n`,
    );
  }

  if (flags.json) printJson(sandbox.connection);
  else process.stdout.write(describe(sandbox.connection, connectionFile));

  const signal = await new Promise<NodeJS.Signals>((done) => {
    const handlers = SIGNALS.map((s) => {
      const h = () => {
        for (const [sig, fn] of handlers) process.off(sig, fn);
        done(s);
      };
      process.on(s, h);
      return [s, h] as const;
    });
  });
  await sandbox.stop();
  process.stderr.write(
    `keyfleet: sandbox stopped (${signal})` +
      (sandbox.stateFile ? `; state saved to ${sandbox.stateFile}` : '') +
      '; connection file removed\n',
  );
  return 0;
}

/** The human-readable summary: URLs, files, and how other commands use the sandbox (no tokens). */
function describe(conn: SandboxConnection, connectionFile: string): string {
  const flag =
    connectionFile === resolve(defaultConnectionPath()) ? '--sandbox' : `--sandbox ${connectionFile}`;
  const lines = [`keyfleet sandbox running (pid ${process.pid})`, ''];
  const { github: gh, gitlab: gl, gcp: gc } = conn;
  if (gh) lines.push(`  GitHub API       ${gh.apiUrl}   repos: ${gh.repos.join(', ')}`);
  if (gl)
    lines.push(`  GitLab           ${gl.url}   (API ${gl.apiUrl})   projects: ${gl.projects.join(', ')}`);
  if (gc) {
    lines.push(`  Compute Engine   ${gc.computeUrl}   projects: ${gc.projects.join(', ')}`);
    lines.push(`  OS Login         ${gc.osloginUrl}`);
  }
  const { ssh } = conn;
  if (ssh) {
    if (ssh.github) lines.push(`  GitHub SSH       ssh://git@127.0.0.1:${ssh.github.port}/OWNER/REPO.git`);
    if (ssh.gitlab) lines.push(`  GitLab SSH       ssh://git@127.0.0.1:${ssh.gitlab.port}/GROUP/PROJECT.git`);
    for (const [vm, ep] of Object.entries(ssh.vms))
      lines.push(`  VM ${vm.padEnd(13)} ssh -p ${ep.port} USER@127.0.0.1`);
  }
  for (const [name, section] of Object.entries(conn)) {
    if (['github', 'gitlab', 'gcp', 'ssh'].includes(name) || typeof section !== 'object' || section === null)
      continue;
    const url = (section as { url?: unknown }).url;
    if (typeof url === 'string') lines.push(`  ${name.padEnd(16)} ${url}`);
  }
  lines.push(
    '',
    `  Connection file  ${connectionFile} (mode 0600; holds the sandbox tokens)`,
    `  State            ${typeof conn.stateFile === 'string' ? conn.stateFile : 'not kept (use --state FILE to keep it across restarts)'}`,
    '',
    `Use it from other commands with ${flag}, e.g.`,
    `  keyfleet list github:repo/mlops/trainer ${flag}`,
    `  keyfleet grant ./id_ed25519.pub gitlab:project/ml/platform/infra ${flag}`,
    ...(ssh
      ? [
          `  keyfleet known-hosts sandbox ${flag} > sandbox_known_hosts`,
          `  keyfleet verify ./id_ed25519 gitlab:project/ml/platform/infra ${flag}`,
        ]
      : []),
    '',
    'Press Ctrl-C to stop.',
    '',
  );
  return lines.join('\n');
}
