/**
 * The README is the reference of every command and option, and its quick start is two commands:
 * these tests keep both true as commands change.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, ensureBuilt } from './cli/helpers.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

function help(args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args, '--help'], { encoding: 'utf8' });
}

describe('README', () => {
  let commands: string[];
  beforeAll(() => {
    ensureBuilt();
    const top = help([]);
    commands = [...top.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]!).filter((c) => c !== 'help');
  });

  it('documents every command', () => {
    expect(commands.length).toBeGreaterThanOrEqual(10);
    for (const c of commands) expect(readme, `command ${c}`).toContain(`keyfleet ${c}`);
  });

  it('documents every option of every command', () => {
    for (const c of commands) {
      const options = [...help([c]).matchAll(/(?:^|\s)(--[a-z][a-z-]*)/gm)].map((m) => m[1]!);
      for (const o of new Set(options)) {
        if (o === '--help') continue;
        expect(readme, `keyfleet ${c} ${o}`).toContain(o);
      }
    }
  });

  it('has a two-command quick start whose test command is the one CI runs', () => {
    const quick = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const lines = quick
      .split('\n')
      .map((l) => l.replace(/#.*$/, '').trim())
      .filter(Boolean);
    expect(lines).toEqual(['npm run demo', 'npm test']);
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^npm test$/m);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.demo).toContain('dist/cli/main.js demo');
  });
});
