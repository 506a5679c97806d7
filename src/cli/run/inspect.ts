/**
 * `keyfleet inspect`: reads every input as a stream, evaluates each key against the policy and
 * prints as it goes (a table, or one JSON document written incrementally), so a file of any size
 * is inspected in bounded memory. Large files can be parsed by worker threads (opt-in, see
 * parallelSettings; inspect-parallel.ts), with the same output byte for byte.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { InputError } from '../../errors.js';
import { evaluateKey, failsPolicy } from '../../keys/policy.js';
import type { Policy, PolicyResult } from '../../keys/policy.js';
import { readKeyEntryBatches } from '../../keys/read-entries.js';
import type { KeyInput, ReadError, ReadOptions, ReadResult } from '../../keys/read-entries.js';
import type { KeyEntry } from '../../keys/types.js';
import type { InspectFlags } from '../commands/inspect.js';
import { openKeyFile, readPassphraseFile } from '../input-files.js';
import { BufferedOutput, printable } from '../output.js';
import { formatRow, keyJson, keysJsonText, TABLE_HEADER, tableRow } from './inspect-format.js';
import type { WorkerPool } from './inspect-parallel.js';
import { JSON_BATCH, JSON_ITEM_SEPARATOR, policyFrom } from './inspect-segment.js';
import type { SegmentFormat } from './inspect-segment.js';

export { keyJson } from './inspect-format.js';

/** Error records kept for the JSON document; beyond this only a count (memory stays bounded). */
const MAX_JSON_ERRORS = 10_000;
/** Table rows buffered to size the columns before the first row is printed. */
const TABLE_SIZING_ROWS = 200;

/** Exit-status counters of a run. */
export interface InspectCounts {
  errors: number;
  failing: number;
}

export async function runInspect(files: string[], flags: InspectFlags): Promise<number> {
  const policy = policyFrom(flags);
  const readOptions: ReadOptions = {};
  if (flags.passphraseFile !== undefined)
    readOptions.passphrase = await readPassphraseFile(flags.passphraseFile);

  const out = new BufferedOutput(process.stdout);
  const sink: Sink = flags.json
    ? new JsonSink(out, process.stdout)
    : new TableSink(out, process.stdout, flags.fingerprintHash);
  const counts: InspectCounts = { errors: 0, failing: 0 };
  const handle = (results: readonly ReadResult[]): Promise<void> =>
    handleResults(results, sink, policy, counts);
  let parallel: ParallelSettings | undefined;
  let pool: WorkerPool | undefined;

  try {
    for (const file of files.length === 0 ? ['-'] : files) {
      const source = file === '-' ? '(stdin)' : file;
      try {
        let stream: KeyInput['stream'];
        if (file === '-') {
          if (process.stdin.isTTY)
            process.stderr.write('keyfleet: reading keys from standard input (end with Ctrl-D)\n');
          stream = process.stdin;
        } else {
          stream = openKeyFile(file);
          parallel ??= parallelSettings();
        }
        if (parallel !== undefined && file !== '-' && fileSize(file) >= parallel.minBytes) {
          // Loaded only when used: keyfleet --version and small files never load worker_threads.
          const par = await import('./inspect-parallel.js');
          pool ??= new par.WorkerPool(parallel.workers);
          await par.inspectParallel({ source, stream }, readOptions, {
            sink,
            policy: flags,
            pool,
            segmentBytes: parallel.segmentBytes,
            workersOnly: parallel.workersOnly,
            counts,
            handle,
          });
          continue;
        }
        for await (const batch of readKeyEntryBatches({ source, stream }, readOptions)) await handle(batch);
      } catch (err) {
        // The input itself failed (missing, a directory, unreadable): report it, go on with the rest.
        if (!(err instanceof InputError)) throw err;
        counts.errors++;
        sink.error({ source: err.source, code: 'INPUT', message: err.message.slice(err.source.length + 2) });
      }
    }
    await sink.end();
  } finally {
    pool?.close();
  }
  return counts.errors > 0 ? 2 : counts.failing > 0 ? 1 : 0;
}

/** Judges and prints results in order (one promise per batch, not per key). */
async function handleResults(
  results: readonly ReadResult[],
  sink: Sink,
  policy: Policy,
  counts: InspectCounts,
): Promise<void> {
  for (const r of results) {
    if ('error' in r) {
      counts.errors++;
      sink.error(r.error);
      continue;
    }
    const evaluation = evaluateKey(r.entry.key, policy, { options: r.entry.options });
    if (failsPolicy(evaluation, policy)) counts.failing++;
    const wait = sink.key(r.entry, evaluation);
    if (wait) await wait;
  }
}

interface ParallelSettings {
  /** Worker threads (the main thread parses too). */
  workers: number;
  /** Files from this size on are parsed by workers. */
  minBytes: number;
  /** Whole lines sent to a worker at a time. */
  segmentBytes: number;
  /** The main thread leaves all parsing to the workers (for tests of the worker path). */
  workersOnly: boolean;
}

/**
 * Worker threads are opt-in: KEYFLEET_INSPECT_THREADS=N (threads that parse, the main one
 * included) or `auto` (one per core, at most 8); unset, 0 or 1 is single-threaded. Measured on
 * the 2-core machine keyfleet is benchmarked on (see "Performance" in docs/cli-inspect-keygen.md):
 * a second thread makes a 100,000-line file 4% (table) to 16% (--json) faster when the machine
 * is near idle, up to 16% slower when another process keeps a core busy, and costs 30-45% more
 * CPU and 20-90 MiB more memory; a 1M-line file it makes 1.3-1.4x faster. Files below
 * KEYFLEET_INSPECT_PARALLEL_MIN_BYTES (default 32 MiB; below about that a worker does not pay)
 * stay single-threaded. KEYFLEET_INSPECT_SEGMENT_BYTES sets the segment size (128 KiB balanced
 * best) and KEYFLEET_INSPECT_WORKERS_ONLY=1 keeps the main thread from parsing segments itself
 * (both for tests and tuning).
 */
function parallelSettings(): ParallelSettings | undefined {
  const env = (name: string, fallback: number): number => {
    const v = process.env[name];
    const n = v === undefined || v === '' ? NaN : Number(v);
    return Number.isSafeInteger(n) && n >= 0 ? n : fallback;
  };
  const threads =
    process.env.KEYFLEET_INSPECT_THREADS === 'auto'
      ? Math.min(availableParallelism(), 8)
      : env('KEYFLEET_INSPECT_THREADS', 1);
  if (threads < 2) return undefined;
  return {
    workers: threads - 1,
    minBytes: env('KEYFLEET_INSPECT_PARALLEL_MIN_BYTES', 32 << 20),
    segmentBytes: Math.max(1, env('KEYFLEET_INSPECT_SEGMENT_BYTES', 128 << 10)),
    workersOnly: process.env.KEYFLEET_INSPECT_WORKERS_ONLY === '1',
  };
}

function fileSize(file: string): number {
  try {
    const st = statSync(file);
    return st.isFile() ? st.size : 0;
  } catch {
    return 0; // openKeyFile has reported it, or reading will
  }
}

/** Where results go: a table or a JSON document. */
export interface Sink {
  key(entry: KeyEntry, evaluation: PolicyResult): Promise<void> | undefined;
  error(error: ReadError | { source: string; code: string; message: string }): void;
  end(): Promise<void>;
  /** How keys may be printed elsewhere (worker threads), or undefined while the table is sizing its columns. */
  segmentFormat(): SegmentFormat | undefined;
  /**
   * Prints `keys` keys printed elsewhere as segmentFormat() said, in input order; calls
   * `written` once `text` is written out (its buffer may then be reused).
   */
  formatted(text: Uint8Array, keys: number, written: () => void): Promise<void> | undefined;
}

/** Writes bytes after the buffered text, waiting for `drain` when the reader is slower than us. */
async function writeAfter(
  out: BufferedOutput,
  stream: NodeJS.WritableStream,
  bytes: Uint8Array,
  written: () => void,
): Promise<void> {
  await out.flush();
  if (!stream.write(bytes, () => written()))
    await new Promise<void>((resolve) => stream.once('drain', resolve));
}

/** Rows as they come; column widths are fixed from the first rows (later wider cells just push). */
class TableSink implements Sink {
  private pending: string[][] | undefined = [];
  private widths: number[] = [];

  constructor(
    private readonly out: BufferedOutput,
    private readonly stream: NodeJS.WritableStream,
    private readonly hash: 'sha256' | 'md5',
  ) {}

  key(entry: KeyEntry, evaluation: PolicyResult): Promise<void> | undefined {
    const row = tableRow(entry, evaluation, this.hash);
    if (this.pending) {
      this.pending.push(row);
      return this.pending.length >= TABLE_SIZING_ROWS ? this.flushPending() : undefined;
    }
    return this.out.write(formatRow(row, this.widths));
  }

  error(error: { source: string; message: string }): void {
    process.stderr.write(`keyfleet: error: ${printable(error.source)}: ${error.message}\n`);
  }

  segmentFormat(): SegmentFormat | undefined {
    return this.pending ? undefined : { json: false, hash: this.hash, widths: this.widths };
  }

  formatted(text: Uint8Array, _keys: number, written: () => void): Promise<void> | undefined {
    if (text.length > 0) return writeAfter(this.out, this.stream, text, written);
    written();
    return undefined;
  }

  async end(): Promise<void> {
    await this.flushPending();
    await this.out.flush();
  }

  private async flushPending(): Promise<void> {
    const rows = this.pending;
    this.pending = undefined;
    if (!rows || rows.length === 0) return;
    const all = [TABLE_HEADER, ...rows];
    this.widths = TABLE_HEADER.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
    for (const r of all) {
      const wait = this.out.write(formatRow(r, this.widths));
      if (wait) await wait;
    }
  }
}

/**
 * `{ "keys": [...], "errors": [...] }`, byte-for-byte as `printJson` would print it, but keys are
 * written as they come; only errors are held until the end (at most MAX_JSON_ERRORS of them).
 */
class JsonSink implements Sink {
  private count = 0;
  /** Keys not yet printed: stringified together, JSON_BATCH at a time. */
  private batch: Record<string, unknown>[] = [];
  private readonly errors: { source: string; message: string; code: string }[] = [];
  private dropped = 0;

  constructor(
    private readonly out: BufferedOutput,
    private readonly stream: NodeJS.WritableStream,
  ) {
    void out.write('{\n  "keys": [');
  }

  key(entry: KeyEntry, evaluation: PolicyResult): Promise<void> | undefined {
    this.batch.push(keyJson(entry, evaluation));
    return this.batch.length >= JSON_BATCH ? this.flushBatch() : undefined;
  }

  error(error: { source: string; message: string; code: string }): void {
    if (this.errors.length < MAX_JSON_ERRORS) {
      this.errors.push({ source: error.source, message: error.message, code: error.code });
    } else this.dropped++;
  }

  segmentFormat(): SegmentFormat {
    return { json: true };
  }

  async formatted(text: Uint8Array, keys: number, written: () => void): Promise<void> {
    if (keys === 0) {
      written();
      return;
    }
    await this.flushBatch();
    // Every item comes with its separator; the document's first one has no comma.
    const bytes = this.count === 0 ? text.subarray(1) : text;
    this.count += keys;
    await writeAfter(this.out, this.stream, bytes, written);
  }

  async end(): Promise<void> {
    await this.flushBatch();
    if (this.dropped > 0) {
      this.errors.push({
        source: '(keyfleet)',
        code: 'TRUNCATED',
        message: `${this.dropped} more errors not listed (only the first ${MAX_JSON_ERRORS} are)`,
      });
    }
    const errors = JSON.stringify(this.errors, null, 2).replace(/\n/g, '\n  ');
    await this.out.write(`${this.count === 0 ? ']' : '\n  ]'},\n  "errors": ${errors}\n}\n`);
    await this.out.flush();
  }

  private flushBatch(): Promise<void> | undefined {
    if (this.batch.length === 0) return undefined;
    const text = keysJsonText(this.batch);
    const separator = this.count === 0 ? '\n    ' : JSON_ITEM_SEPARATOR;
    this.count += this.batch.length;
    this.batch = [];
    return this.out.write(separator + text);
  }
}
