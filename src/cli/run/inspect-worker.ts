/**
 * Worker thread of the parallel `keyfleet inspect` (inspect-parallel.ts): says it is ready once
 * its modules are loaded, then answers each SegmentJob with its SegmentResult (the text and the
 * job's bytes transferred, not copied), or with `{ id, failure }` when a segment throws, which
 * is a keyfleet bug that the main thread reports.
 */
import { parentPort } from 'node:worker_threads';
import { inspectSegment } from './inspect-segment.js';
import type { SegmentJob, SegmentResult } from './inspect-segment.js';

export type WorkerMessage = { ready: true } | SegmentResult | { id: number; failure: string };

const port = parentPort;
if (port === null) throw new Error('inspect-worker.js runs only as a worker thread');

const send = (m: WorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

port.on('message', (job: SegmentJob) => {
  try {
    const result = inspectSegment(job);
    send(result, [result.text.buffer as ArrayBuffer, result.bytes.buffer as ArrayBuffer]);
    // `spare`, if it was not used for the text, is dropped here.
  } catch (err) {
    send({ id: job.id, failure: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
send({ ready: true });
