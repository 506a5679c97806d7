import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, ensureBuilt, hasStackTrace, makeTempDir, runCli } from './helpers.js';

beforeAll(() => {
  ensureBuilt();
});

describe('keyfleet (entry point)', () => {
  it('--version and -V print the package version', () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const r = runCli([flag]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });

  it('--help lists the commands; every command of this area has --help with options and exit codes', () => {
    const r = runCli(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: keyfleet/);
    expect(r.stdout).toMatch(/\n {2}inspect \[options\] \[file\.\.\.\]/);
    expect(r.stdout).toMatch(/\n {2}keygen \[options\]/);

    const inspect = runCli(['inspect', '--help']);
    expect(inspect.status).toBe(0);
    for (const flag of [
      '--json',
      '--fingerprint-hash',
      '--min-rsa-bits',
      '--fail-on',
      '--passphrase-file',
      'Exit status:',
    ]) {
      expect(inspect.stdout).toContain(flag);
    }
    const keygen = runCli(['keygen', '--help']);
    expect(keygen.status).toBe(0);
    for (const flag of [
      '--type',
      '--bits',
      '--comment',
      '--file',
      '--force',
      '--json',
      '--passphrase-file',
      'Exit status:',
    ]) {
      expect(keygen.stdout).toContain(flag);
    }
    expect(runCli(['help', 'inspect']).stdout).toBe(inspect.stdout);
  });

  it('unknown options and commands are usage errors: exit 2, keyfleet: error: prefix, no stack', () => {
    for (const args of [['--bogus'], ['frobnicate'], ['inspect', '--bogus'], ['keygen', '-f']]) {
      const r = runCli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^keyfleet: error: /);
      expect(hasStackTrace(r.stderr)).toBe(false);
    }
    expect(runCli(['frobnicate']).stderr).toContain("unknown command 'frobnicate'");
  });

  it('output closed early (`| head`): exits quietly, no EPIPE stack trace', () => {
    // spawnSync cannot close a pipe early; `head -c` through a shell can.
    const dir = makeTempDir();
    try {
      const line = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl c';
      fs.writeFileSync(path.join(dir, 'keys'), `${line}\n`.repeat(20_000));
      const r = spawnSync(
        '/bin/sh',
        ['-c', `"${process.execPath}" "${CLI}" inspect keys | head -c 100 >/dev/null`],
        {
          cwd: dir,
          encoding: 'utf8',
        },
      );
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('start-up loads nothing heavy: the static import graph of dist/cli/main.js has no SDK and no key parser', () => {
    // Static imports only (`import ... from`, `export ... from`); `await import()` in actions is lazy by design.
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/gm)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
        else packages.add(spec);
      }
      for (const m of text.matchAll(/^import\s+['"]([^'"]+)['"]/gm)) packages.add(m[1]!);
    };
    visit(CLI);
    const heavy = [...packages].filter((p) =>
      /^(@pulumi|@pulumiverse|@octokit|@gitbeaker|@googleapis|google-auth-library|ajv)/.test(p),
    );
    expect(heavy).toEqual([]);
    const local = [...seen].map((f) => path.relative(path.join(ROOT, 'dist'), f));
    // none of the key parsing/generation modules: inspect and keygen import them lazily
    expect(
      local.filter((f) =>
        /^keys\/(public-key|private-key|authorized-keys|known-hosts|policy|generate|read-entries)\.js$/.test(
          f,
        ),
      ),
    ).toEqual([]);
    expect(local).toContain('cli/commands/inspect.js');
    expect(local).toContain('cli/commands/keygen.js');
  });
});
