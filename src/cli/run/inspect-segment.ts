/**
 * One segment of a large line-mode input (whole lines, e.g. 512 KiB of an authorized_keys file),
 * parsed, judged and printed to text: the unit of work of the parallel `keyfleet inspect`. Runs
 * in a worker thread (inspect-worker.ts), or in the main thread when a segment must be redone.
 */
import { DEFAULT_POLICY, evaluateKey, failsPolicy, resolvePolicy } from '../../keys/policy.js';
import type { Policy } from '../../keys/policy.js';
import { LineParser } from '../../keys/read-entries.js';
import type { ReadError, ReadResult } from '../../keys/read-entries.js';
import { formatRow, keyJson, keysJsonText, tableRow } from './inspect-format.js';

/** The policy flags of `inspect`. */
export interface PolicyFlags {
  minRsaBits?: number;
  failOn?: 'weak' | 'forbidden';
}

export function policyFrom(flags: PolicyFlags): Policy {
  // DEFAULT_POLICY itself when nothing is overridden: evaluateKey takes a fast path for it.
  if (flags.minRsaBits === undefined && flags.failOn === undefined) return DEFAULT_POLICY;
  const overrides: Partial<Policy> = {};
  if (flags.minRsaBits !== undefined) overrides.minRsaBits = flags.minRsaBits;
  if (flags.failOn !== undefined) overrides.failOn = flags.failOn;
  return resolvePolicy(overrides);
}

/** How keys are printed: JSON items, or table rows with the column widths already fixed. */
export type SegmentFormat =
  { json: true } | { json: false; hash: 'sha256' | 'md5'; widths: readonly number[] };

export interface SegmentJob {
  id: number;
  /** The input's name, for `source` (`FILE:LINE`). */
  source: string;
  maxLine: number;
  /** Whole lines (a LineBlock's bytes, or several in a row). */
  bytes: Uint8Array;
  /** The number of the first line. */
  firstLine: number;
  /** LineParser state at the first line: the previous segment's end state (or a guess; see state). */
  state: string | undefined;
  policy: PolicyFlags;
  format: SegmentFormat;
  /** A buffer to print into when it is large enough (one that a printed result's text used). */
  spare?: ArrayBuffer;
}

export interface SegmentResult {
  id: number;
  /** The keys as printed (UTF-8): table rows, or JSON items each preceded by `,\n    `. Its buffer may be larger. */
  text: Uint8Array;
  keys: number;
  /** Keys that fail the policy (exit status 1). */
  failing: number;
  /** Errors in line order. */
  errors: ReadError[];
  /** LineParser state after the last line: the next segment's `state`. */
  state: string | undefined;
  /** The job's bytes, handed back (the main thread needs them should the segment be redone). */
  bytes: Uint8Array;
}

/** Separator before each JSON item; the first item of the document drops its comma. */
export const JSON_ITEM_SEPARATOR = ',\n    ';

/** JSON keys stringified together (see keysJsonText); bounds what a batch holds. */
export const JSON_BATCH = 256;

export function inspectSegment(job: SegmentJob): SegmentResult {
  const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
  const policy = policyFrom(job.policy);
  const { format } = job;
  const errors: ReadError[] = [];
  let text = '';
  let keys = 0;
  let failing = 0;
  let batch: Record<string, unknown>[] = [];
  const flushJson = (): void => {
    if (batch.length === 0) return;
    text += JSON_ITEM_SEPARATOR + keysJsonText(batch);
    batch = [];
  };
  // Each result is judged and printed as it is parsed: no key outlives its line (or JSON batch).
  const sink = {
    push(r: ReadResult): void {
      if ('error' in r) {
        errors.push(r.error);
        return;
      }
      const evaluation = evaluateKey(r.entry.key, policy, { options: r.entry.options });
      if (failsPolicy(evaluation, policy)) failing++;
      keys++;
      if (format.json) {
        batch.push(keyJson(r.entry, evaluation));
        if (batch.length >= JSON_BATCH) flushJson();
      } else {
        text += formatRow(tableRow(r.entry, evaluation, format.hash), format.widths);
      }
    },
  };
  const parser = new LineParser(job.source, job.maxLine, job.state);
  parser.parse(bytes, job.firstLine, sink);
  flushJson();
  const out = textBuffer(Buffer.byteLength(text), job.spare);
  out.write(text);
  return { id: job.id, text: out, keys, failing, errors, state: parser.state, bytes: job.bytes };
}

/**
 * A buffer of `size` bytes for a result's text: in `spare` when that is large enough, else in a
 * new ArrayBuffer with room to spare, so that it can be reused for later segments. Never Node's
 * shared pool: it is transferred between threads. Reuse matters for memory: printed buffers
 * are freed only by a garbage collection, which the main thread, allocating little, seldom runs.
 */
function textBuffer(size: number, spare: ArrayBuffer | undefined): Buffer {
  if (spare !== undefined && spare.byteLength >= size) return Buffer.from(spare, 0, size);
  return Buffer.from(new ArrayBuffer(Math.max(64 * 1024, Math.ceil(size * 1.25))), 0, size);
}
