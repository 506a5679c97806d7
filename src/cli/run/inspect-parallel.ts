/**
 * The parallel path of `keyfleet inspect`, for large line-mode files. The main thread reads the
 * file exactly as the single-threaded path does (readKeyEntryBlocks: same chunks, same checks
 * for binary data and over-long lines) and gathers the whole-line blocks into segments of about
 * `segmentBytes`. A segment goes to a worker thread when one has room, else the main thread
 * parses it itself (inspect-segment.ts: parse, judge, print to text), so that every core works
 * and a worker that is slow to start (or starved on a busy machine) holds nothing up. Results
 * are printed strictly in input order with a bounded number of segments queued, so memory stays
 * flat however large the file is, and the output is the single-threaded path's, byte for byte.
 *
 * The one piece of parser state that crosses lines, being inside a pasted PEM block, is guessed
 * ("outside") for a segment started before the one ahead of it is printed; a segment whose
 * guess proves wrong is parsed again, on the main thread, from the right state.
 */
import { Worker } from 'node:worker_threads';
import { LineParser, MAX_LINE_BYTES, readKeyEntryBlocks } from '../../keys/read-entries.js';
import type { KeyInput, ReadOptions, ReadResult, UnlessReported } from '../../keys/read-entries.js';
import type { InspectCounts, Sink } from './inspect.js';
import { inspectSegment } from './inspect-segment.js';
import type { PolicyFlags, SegmentJob, SegmentResult } from './inspect-segment.js';
import type { WorkerMessage } from './inspect-worker.js';

interface WorkerSlot {
  worker: Worker;
  /** The worker has loaded its modules and takes jobs. */
  ready: boolean;
  /** The worker failed or exited: it takes no more jobs. */
  dead: boolean;
  /** Jobs sent and not answered. */
  busy: number;
}

interface PendingJob {
  slot: WorkerSlot;
  resolve: (r: SegmentResult) => void;
  reject: (err: Error) => void;
}

/** Worker threads running inspect-worker.js. Started at once; each takes jobs once it is ready. */
export class WorkerPool {
  private readonly slots: WorkerSlot[] = [];
  private readonly pending = new Map<number, PendingJob>();
  private nextId = 0;
  private waiters: (() => void)[] = [];

  constructor(size: number) {
    const url = new URL('./inspect-worker.js', import.meta.url);
    for (let i = 0; i < size; i++) {
      const slot: WorkerSlot = { worker: new Worker(url), ready: false, dead: false, busy: 0 };
      slot.worker.on('message', (m: WorkerMessage) => {
        if ('ready' in m) {
          slot.ready = true;
        } else {
          const job = this.pending.get(m.id);
          if (job === undefined) return;
          this.pending.delete(m.id);
          slot.busy--;
          if ('failure' in m) job.reject(new Error(`inspect worker failed: ${m.failure}`));
          else job.resolve(m);
        }
        this.notify();
      });
      const lost = (why: string): void => {
        slot.dead = true;
        for (const [id, job] of this.pending) {
          if (job.slot !== slot) continue;
          this.pending.delete(id);
          job.reject(new Error(`inspect worker ${why}`));
        }
        this.notify();
      };
      slot.worker.on('error', (err) => lost(`failed: ${err.message}`));
      slot.worker.on('exit', (code) => lost(`exited (code ${code})`));
      this.slots.push(slot);
    }
  }

  get size(): number {
    return this.slots.length;
  }

  /** A ready worker with fewer than `depth` jobs, the least busy; undefined when there is none. */
  available(depth: number): WorkerSlot | undefined {
    let best: WorkerSlot | undefined;
    for (const s of this.slots) {
      if (s.ready && !s.dead && s.busy < depth && (best === undefined || s.busy < best.busy)) best = s;
    }
    return best;
  }

  /** The least busy worker with fewer than `depth` jobs, once there is one. */
  async whenAvailable(depth: number): Promise<WorkerSlot> {
    for (;;) {
      const slot = this.available(depth);
      if (slot !== undefined) return slot;
      if (this.slots.every((s) => s.dead)) throw new Error('no inspect worker thread could be started');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Wakes whenAvailable: a worker became ready, answered, or was lost. */
  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Runs a job on `slot`. Its bytes' buffer is transferred there, and comes back in the result. */
  run(slot: WorkerSlot, job: Omit<SegmentJob, 'id'>): Promise<SegmentResult> {
    const id = this.nextId++;
    const full: SegmentJob = { ...job, id };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { slot, resolve, reject });
      slot.busy++;
      const transfer = [job.bytes.buffer as ArrayBuffer];
      if (job.spare !== undefined) transfer.push(job.spare);
      slot.worker.postMessage(full, transfer);
    });
  }

  close(): void {
    for (const s of this.slots) {
      s.worker.removeAllListeners();
      s.worker.on('error', () => {}); // a late failure of a worker being stopped is not news
      void s.worker.terminate();
    }
  }
}

export interface ParallelContext {
  sink: Sink;
  policy: PolicyFlags;
  pool: WorkerPool;
  segmentBytes: number;
  /** Every segment waits for a worker; the main thread parses none itself (for tests). */
  workersOnly?: boolean;
  counts: InspectCounts;
  /** The main thread's own handling of results (judge and print), as on the single-threaded path. */
  handle: (results: readonly ReadResult[]) => Promise<void>;
}

/** Segments given to a worker at a time: one to work on and one waiting, so it never idles. */
const WORKER_DEPTH = 2;

/** A segment in the print queue: done when `result` or `failed` is set. */
interface SegmentSlot {
  job: Omit<SegmentJob, 'id' | 'bytes'>;
  result?: SegmentResult;
  failed?: unknown;
  settled: Promise<void>;
}

/** What is printed next, in input order. */
type Slot = { results: readonly ReadResult[] } | UnlessReported | SegmentSlot;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Inspects one input with the pool's help; results go to ctx.sink and are counted in ctx.counts. */
export async function inspectParallel(
  input: KeyInput,
  options: ReadOptions,
  ctx: ParallelContext,
): Promise<void> {
  const { sink, pool, segmentBytes } = ctx;
  const maxLine = options.maxLineBytes ?? MAX_LINE_BYTES;
  // Segments waiting to be printed, done or not: bounds memory, and how far the main thread
  // may run ahead of a slow worker.
  const maxQueued = 4 + 2 * WORKER_DEPTH * pool.size;
  const queue: Slot[] = [];
  let segments = 0; // segment slots in `queue`
  let reported = 0; // results of this input (for NO_KEYS)
  let state: string | undefined; // parser state after everything printed so far
  const inline = new LineParser(input.source, maxLine); // while the table sizes its columns

  // The segment being filled. Segment buffers are reused (they come back from the workers): a
  // fresh buffer for every segment costs more in garbage collection than the copying.
  const capacity = segmentBytes + 2 * maxLine + 64 * 1024;
  const spare: Buffer[] = [];
  let buf: Buffer | undefined;
  let size = 0;
  let firstLine = 0;

  const recycle = (bytes: Uint8Array): void => {
    const ab = bytes.buffer as ArrayBuffer;
    if (ab.byteLength === capacity && spare.length < 4) spare.push(Buffer.from(ab));
  };
  // Likewise the buffers of printed text, handed back to whoever prints the next segment.
  const spareText: ArrayBuffer[] = [];
  const recycleText = (text: Uint8Array): void => {
    if (spareText.length < maxQueued) spareText.push(text.buffer as ArrayBuffer);
  };

  const print = async (slot: Slot): Promise<void> => {
    if ('results' in slot) {
      reported += slot.results.length;
      await ctx.handle(slot.results);
      return;
    }
    if ('unlessReported' in slot) {
      if (reported === 0) await ctx.handle([slot.unlessReported]);
      return;
    }
    segments--;
    await slot.settled;
    if (slot.failed !== undefined) throw slot.failed;
    let r = slot.result!;
    // Guessed wrong (a PEM block open across the segment boundary): parse it again, from the right state.
    if (slot.job.state !== state) r = inspectSegment({ ...slot.job, id: r.id, bytes: r.bytes, state });
    state = r.state;
    reported += r.keys + r.errors.length;
    ctx.counts.failing += r.failing;
    for (const e of r.errors) {
      ctx.counts.errors++;
      sink.error(e);
    }
    recycle(r.bytes);
    const text = r.text;
    const wait = sink.formatted(text, r.keys, () => recycleText(text));
    if (wait) await wait;
  };

  const ready = (slot: Slot): boolean =>
    !('settled' in slot) || slot.result !== undefined || slot.failed !== undefined;

  /** Prints the queue's head while it is done, and waits for it while the queue is full. */
  const printReady = async (): Promise<void> => {
    while (queue.length > 0 && (ready(queue[0]!) || segments > maxQueued)) await print(queue.shift()!);
  };

  const enqueue = async (slot: Slot): Promise<void> => {
    if (queue.length === 0 && !('settled' in slot)) return print(slot);
    queue.push(slot);
    await printReady();
  };

  const dispatch = async (): Promise<void> => {
    if (size === 0 || buf === undefined) return;
    const bytes = buf.subarray(0, size);
    const job = {
      source: input.source,
      maxLine,
      firstLine,
      // Known when nothing is queued; otherwise a guess: "outside a PEM block".
      state: queue.length === 0 ? state : undefined,
      policy: ctx.policy,
      format: sink.segmentFormat()!,
    };
    buf = undefined;
    size = 0;
    segments++;
    const worker = ctx.workersOnly ? await pool.whenAvailable(WORKER_DEPTH) : pool.available(WORKER_DEPTH);
    if (worker !== undefined) {
      const slot: SegmentSlot = { job, settled: Promise.resolve() };
      const withSpare = spareText.length > 0 ? { ...job, bytes, spare: spareText.pop()! } : { ...job, bytes };
      slot.settled = pool.run(worker, withSpare).then(
        (r) => void (slot.result = r),
        (err: unknown) => void (slot.failed = err),
      );
      await enqueue(slot);
      return;
    }
    // No worker has room (or none is ready yet): parse this one here, then let their news in.
    const result = inspectSegment({
      ...job,
      id: -1,
      bytes,
      ...(spareText.length > 0 ? { spare: spareText.pop()! } : {}),
    });
    await enqueue({ job, result, settled: Promise.resolve() });
    await yieldToEventLoop();
    await printReady();
  };

  /** Appends whole lines to the segment being filled; sends it off once it is big enough. */
  const add = async (bytes: Buffer, lineNo: number): Promise<void> => {
    if (buf !== undefined && size + bytes.length > buf.length) await dispatch();
    if (buf === undefined) {
      buf = spare.pop() ?? Buffer.allocUnsafeSlow(Math.max(capacity, bytes.length)); // not Node's shared pool: it is transferred
      firstLine = lineNo;
    }
    size += bytes.copy(buf, size);
    if (size >= segmentBytes) await dispatch();
  };

  try {
    for await (const batch of readKeyEntryBlocks(input, options)) {
      for (const item of batch) {
        if (!('bytes' in item)) {
          await dispatch();
          await enqueue('unlessReported' in item ? item : { results: [item] });
        } else if (sink.segmentFormat() === undefined) {
          // The table is still sizing its columns from its first rows: parse here, in order.
          const results: ReadResult[] = [];
          inline.parse(item.bytes, item.firstLine, results);
          state = inline.state;
          reported += results.length;
          await ctx.handle(results);
        } else {
          await add(item.bytes, item.firstLine);
        }
      }
    }
  } finally {
    // Also when reading fails midway: what was read is printed first, as on the single-threaded path.
    await dispatch();
    while (queue.length > 0) await print(queue.shift()!);
  }
}
