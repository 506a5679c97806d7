/**
 * The forced command of the sandbox git hosts: checks what this key may do with the requested
 * repository, then hands the request to `git-shell`, as GitHub's and GitLab's SSH front ends
 * hand it to Git after their own check. Node built-ins only (sshd runs it per connection).
 *
 *   node git-serve.js CONTROL_FILE HOST FINGERPRINT     (SSH_ORIGINAL_COMMAND from sshd)
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

interface Control {
  url: string;
  secret: string;
  gitShell: string;
  repos: Record<string, string>;
}

const MESSAGES = {
  github: {
    notFound: 'ERROR: Repository not found.',
    readOnly: 'ERROR: The key you are authenticating with has been marked as read only.',
    shell:
      "Hi there! You've successfully authenticated, but the keyfleet sandbox does not provide shell access.",
  },
  gitlab: {
    notFound:
      "GitLab: The project you were looking for could not be found or you don't have permission to view it.",
    readOnly: 'GitLab: This deploy key does not have write access to this project.',
    shell: 'Welcome to the keyfleet sandbox GitLab! Shell access is not provided.',
  },
} as const;

async function main(): Promise<number> {
  const [controlFile, host, fingerprint] = process.argv.slice(2);
  if (!controlFile || (host !== 'github' && host !== 'gitlab') || !fingerprint) return 1;
  const control = JSON.parse(readFileSync(controlFile, 'utf8')) as Control;
  const msg = MESSAGES[host];
  const original = process.env.SSH_ORIGINAL_COMMAND ?? '';
  const m =
    /^(git-upload-pack|git-receive-pack|git-upload-archive)\s+'?\/?([A-Za-z0-9._/-]+?)(?:\.git)?\/?'?$/.exec(
      original.trim(),
    );
  if (!m) {
    process.stderr.write(`${msg.shell}\n`);
    return 1;
  }
  const [, verb, repo] = m as unknown as [string, string, string];
  const root = control.repos[host];
  if (!root || repo.split('/').some((p) => p === '..' || p === '.' || p === '')) {
    process.stderr.write(`${msg.notFound}\n`);
    return 1;
  }
  const res = await fetch(`${control.url}/git/access?${new URLSearchParams({ host, fingerprint, repo })}`, {
    headers: { 'x-keyfleet-control': control.secret },
    signal: AbortSignal.timeout(10_000),
  });
  const access = (await res.json()) as { allowed: boolean; write: boolean };
  if (!res.ok || !access.allowed) {
    process.stderr.write(`${msg.notFound}\n`);
    return 1;
  }
  if (verb === 'git-receive-pack' && !access.write) {
    process.stderr.write(`${msg.readOnly}\n`);
    return 1;
  }
  const r = spawnSync(control.gitShell, ['-c', `${verb} '${join(root, `${repo}.git`)}'`], {
    stdio: 'inherit',
  });
  return r.status ?? 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`keyfleet sandbox: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
