/**
 * What the grant/list/revoke CLI tests share: a sandbox with a connection file in a temp dir,
 * the built CLI run asynchronously, every output kept so a test can prove no token leaked, and
 * connection files that use another sandbox token (bob, a read-only token...).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, ensureBuilt } from '../cli/helpers.js';
import { runCliAsync, startTestSandbox, type CliRun, type TestSandbox } from './sandbox.js';

export interface CliFixture {
  dir: string;
  sb: TestSandbox;
  conn: string;
  /** Runs the CLI; `--sandbox CONN` is not added automatically. */
  run(args: string[], env?: Record<string, string | undefined>, input?: string): Promise<CliRun>;
  /** A connection file whose default tokens are the named sandbox tokens. */
  connAs(tokens: { github?: string; gitlab?: string }): string;
  /** Every token the sandbox knows. */
  tokens(): string[];
  /** Every stdout and stderr seen so far. */
  outputs: string[];
  stop(): Promise<void>;
}

export async function startCliFixture(): Promise<CliFixture> {
  ensureBuilt();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kf-'));
  const conn = path.join(dir, 'sandbox.json');
  const sb = await startTestSandbox(conn);
  const outputs: string[] = [];
  let n = 0;
  return {
    dir,
    sb,
    conn,
    outputs,
    run: async (args, env = {}, input = '') => {
      const r = await runCliAsync(CLI, args, env, input);
      outputs.push(r.stdout, r.stderr);
      return r;
    },
    connAs: (tokens) => {
      const doc = JSON.parse(fs.readFileSync(conn, 'utf8')) as {
        github: { token: string; tokens: Record<string, string> };
        gitlab: { token: string; tokens: Record<string, string> };
      };
      if (tokens.github) doc.github.token = doc.github.tokens[tokens.github]!;
      if (tokens.gitlab) doc.gitlab.token = doc.gitlab.tokens[tokens.gitlab]!;
      const file = path.join(dir, `conn-${n++}.json`);
      fs.writeFileSync(file, JSON.stringify(doc), { mode: 0o600 });
      return file;
    },
    tokens: () => {
      const c = sb.connection as unknown as {
        github: { tokens: Record<string, string> };
        gitlab: { tokens: Record<string, string> };
      };
      return [...Object.values(c.github.tokens), ...Object.values(c.gitlab.tokens)];
    },
    stop: async () => {
      await sb.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Asserts that no sandbox token appears in any output the fixture saw. */
export function expectNoTokens(f: CliFixture): number {
  let checked = 0;
  for (const out of f.outputs) {
    for (const t of f.tokens()) {
      if (out.includes(t)) throw new Error(`a token leaked into CLI output #${checked}`);
    }
    checked++;
  }
  return checked;
}
