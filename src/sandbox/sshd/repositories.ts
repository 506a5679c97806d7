/** Bare git repositories for the sandbox git hosts, each with one commit so that a clone has something to fetch. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export function ensureBareRepository(git: string, root: string, repo: string): string {
  const path = join(root, `${repo}.git`);
  if (existsSync(join(path, 'HEAD'))) return path;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'keyfleet sandbox',
    GIT_AUTHOR_EMAIL: 'sandbox@keyfleet.invalid',
    GIT_COMMITTER_NAME: 'keyfleet sandbox',
    GIT_COMMITTER_EMAIL: 'sandbox@keyfleet.invalid',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
  execFileSync(git, ['init', '-q', '--bare', '-b', 'main', path], { env, stdio: 'ignore' });
  const work = mkdtempSync(join(tmpdir(), 'kf-seed-'));
  try {
    execFileSync(git, ['init', '-q', '-b', 'main', work], { env, stdio: 'ignore' });
    writeFileSync(join(work, 'README.md'), `# ${repo}\n\nA repository of the keyfleet sandbox.\n`);
    execFileSync(git, ['-C', work, 'add', 'README.md'], { env, stdio: 'ignore' });
    execFileSync(git, ['-C', work, 'commit', '-q', '-m', 'Initial commit'], { env, stdio: 'ignore' });
    execFileSync(git, ['-C', work, 'push', '-q', path, 'main'], { env, stdio: 'ignore' });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return path;
}
