/**
 * The sandbox's SSH hosts need Debian's openssh-server, git (with git-shell) and nss_wrapper
 * (which lets an unprivileged or root sshd serve the virtual users `git`, `alice`... without
 * touching /etc/passwd). This module finds them and, when something is missing, says exactly
 * how to install it.
 */
import { existsSync } from 'node:fs';

export interface SshTools {
  sshd: string;
  ssh: string;
  sshKeygen: string;
  git: string;
  gitShell: string;
  nssWrapper: string;
}

const CANDIDATES: Record<keyof SshTools, string[]> = {
  sshd: ['/usr/sbin/sshd', '/usr/local/sbin/sshd'],
  ssh: ['/usr/bin/ssh', '/usr/local/bin/ssh'],
  sshKeygen: ['/usr/bin/ssh-keygen', '/usr/local/bin/ssh-keygen'],
  git: ['/usr/bin/git', '/usr/local/bin/git'],
  gitShell: ['/usr/bin/git-shell', '/usr/local/bin/git-shell', '/usr/lib/git-core/git-shell'],
  nssWrapper: [
    '/usr/lib/x86_64-linux-gnu/libnss_wrapper.so',
    '/usr/lib/aarch64-linux-gnu/libnss_wrapper.so',
    '/usr/lib64/libnss_wrapper.so',
    '/usr/lib/libnss_wrapper.so',
  ],
};

const PACKAGES: Record<keyof SshTools, string> = {
  sshd: 'openssh-server',
  ssh: 'openssh-client',
  sshKeygen: 'openssh-client',
  git: 'git',
  gitShell: 'git',
  nssWrapper: 'libnss-wrapper',
};

export interface ToolCheck {
  tools?: SshTools;
  missing: string[];
  /** A one-line command that installs what is missing. */
  installHint?: string;
}

export function findSshTools(): ToolCheck {
  const found: Partial<SshTools> = {};
  const missing: string[] = [];
  for (const [name, paths] of Object.entries(CANDIDATES) as [keyof SshTools, string[]][]) {
    const p = paths.find((c) => existsSync(c));
    if (p) found[name] = p;
    else missing.push(`${name} (Debian package ${PACKAGES[name]})`);
  }
  if (missing.length === 0) return { tools: found as SshTools, missing };
  const pkgs = [...new Set(missing.map((m) => /package (\S+)\)/.exec(m)?.[1] ?? ''))].join(' ');
  return {
    missing,
    installHint: `${process.getuid?.() === 0 ? '' : 'sudo '}apt-get install -y ${pkgs}`,
  };
}
