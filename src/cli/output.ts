/** Printing helpers shared by every command: errors, JSON, tables. No logic of their own. */
import { KeyfleetError } from '../errors.js';

/** Prints an error as `keyfleet: error: ...` (a stack only with KEYFLEET_DEBUG) and returns its exit code. */
export function reportError(err: unknown): number {
  const debug = Boolean(process.env.KEYFLEET_DEBUG);
  if (err instanceof KeyfleetError) {
    process.stderr.write(`keyfleet: error: ${err.message}\n`);
    if (debug && err.stack) process.stderr.write(err.stack + '\n');
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`keyfleet: error: ${message}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  else process.stderr.write('keyfleet: this is a bug in keyfleet; set KEYFLEET_DEBUG=1 for details\n');
  return 1;
}

export function printJson(doc: unknown): void {
  process.stdout.write(
    JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n',
  );
}

/** Left-aligned columns separated by two spaces; the last column is never padded. */
export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function warn(message: string): void {
  process.stderr.write(`keyfleet: warning: ${message}\n`);
}

/**
 * Batches many small writes (table rows, JSON items) into ~64 KiB writes and waits for `drain`
 * when the reader is slower than us, so output of any size uses bounded memory.
 */
export class BufferedOutput {
  private buf = '';

  constructor(
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly limit = 64 * 1024,
  ) {}

  /** Queues `text`; returns a promise only when the caller must wait (await it then). */
  write(text: string): Promise<void> | undefined {
    this.buf += text;
    return this.buf.length >= this.limit ? this.flush() : undefined;
  }

  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const chunk = this.buf;
    this.buf = '';
    if (!this.out.write(chunk)) await new Promise<void>((resolve) => this.out.once('drain', resolve));
  }
}

/**
 * Replaces control characters (terminal escapes, newlines) in text that came from an input,
 * such as a key comment, before it reaches a terminal.
 */
export function printable(text: string): string {
  return CONTROL_RE.test(text) ? text.replace(CONTROL_GLOBAL_RE, '?') : text;
}

// C0 controls, DEL and C1 controls: what a terminal may interpret.
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_GLOBAL_RE = /[\u0000-\u001f\u007f-\u009f]/g;
