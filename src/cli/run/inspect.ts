/**
 * `keyfleet inspect`: reads every input as a stream, evaluates each key against the policy and
 * prints as it goes (a table, or one JSON document written incrementally), so a file of any size
 * is inspected in bounded memory.
 */
import { InputError } from '../../errors.js';
import { DEFAULT_POLICY, evaluateKey, failsPolicy, resolvePolicy } from '../../keys/policy.js';
import type { Policy, PolicyResult } from '../../keys/policy.js';
import { keygenTypeLabel } from '../../keys/public-key.js';
import { readKeyEntryBatches } from '../../keys/read-entries.js';
import type { KeyInput, ReadError, ReadOptions } from '../../keys/read-entries.js';
import type { CertificateInfo, Finding, KeyEntry } from '../../keys/types.js';
import type { InspectFlags } from '../commands/inspect.js';
import { openKeyFile, readPassphraseFile } from '../input-files.js';
import { BufferedOutput, printable } from '../output.js';

/** Error records kept for the JSON document; beyond this only a count (memory stays bounded). */
const MAX_JSON_ERRORS = 10_000;
/** Table rows buffered to size the columns before the first row is printed. */
const TABLE_SIZING_ROWS = 200;

export async function runInspect(files: string[], flags: InspectFlags): Promise<number> {
  const policy = policyFrom(flags);
  const readOptions: ReadOptions = {};
  if (flags.passphraseFile !== undefined)
    readOptions.passphrase = await readPassphraseFile(flags.passphraseFile);

  const out = new BufferedOutput(process.stdout);
  const sink: Sink = flags.json ? new JsonSink(out) : new TableSink(out, flags.fingerprintHash);
  let errors = 0;
  let failing = 0;

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
      }
      for await (const batch of readKeyEntryBatches({ source, stream }, readOptions)) {
        for (const r of batch) {
          if ('error' in r) {
            errors++;
            sink.error(r.error);
            continue;
          }
          const evaluation = evaluateKey(r.entry.key, policy, { options: r.entry.options });
          if (failsPolicy(evaluation, policy)) failing++;
          const wait = sink.key(r.entry, evaluation);
          if (wait) await wait;
        }
      }
    } catch (err) {
      // The input itself failed (missing, a directory, unreadable): report it, go on with the rest.
      if (!(err instanceof InputError)) throw err;
      errors++;
      sink.error({ source: err.source, code: 'INPUT', message: err.message.slice(err.source.length + 2) });
    }
  }
  await sink.end();
  return errors > 0 ? 2 : failing > 0 ? 1 : 0;
}

function policyFrom(flags: InspectFlags): Policy {
  // DEFAULT_POLICY itself when nothing is overridden: evaluateKey takes a fast path for it.
  if (flags.minRsaBits === undefined && flags.failOn === undefined) return DEFAULT_POLICY;
  const overrides: Partial<Policy> = {};
  if (flags.minRsaBits !== undefined) overrides.minRsaBits = flags.minRsaBits;
  if (flags.failOn !== undefined) overrides.failOn = flags.failOn;
  return resolvePolicy(overrides);
}

interface Sink {
  key(entry: KeyEntry, evaluation: PolicyResult): Promise<void> | undefined;
  error(error: ReadError | { source: string; code: string; message: string }): void;
  end(): Promise<void>;
}

/** Rows as they come; column widths are fixed from the first rows (later wider cells just push). */
class TableSink implements Sink {
  private static readonly HEADER = ['SOURCE', 'TYPE', 'BITS', 'FINGERPRINT', 'COMMENT', 'VERDICT'];
  private pending: string[][] | undefined = [];
  private widths: number[] = [];

  constructor(
    private readonly out: BufferedOutput,
    private readonly hash: 'sha256' | 'md5',
  ) {}

  key(entry: KeyEntry, evaluation: PolicyResult): Promise<void> | undefined {
    const { key } = entry;
    let comment = key.comment;
    if (entry.knownHost) {
      const hosts =
        (entry.knownHost.marker ? entry.knownHost.marker + ' ' : '') + entry.knownHost.hosts.join(',');
      comment = comment ? `${hosts} ${comment}` : hosts;
    }
    const row = [
      entry.source,
      keygenTypeLabel(key),
      String(key.bits),
      this.hash === 'md5' ? key.md5 : key.fingerprint,
      printable(comment),
      evaluation.verdict,
    ];
    if (this.pending) {
      this.pending.push(row);
      return this.pending.length >= TABLE_SIZING_ROWS ? this.flushPending() : undefined;
    }
    return this.out.write(this.format(row));
  }

  error(error: { source: string; message: string }): void {
    process.stderr.write(`keyfleet: error: ${printable(error.source)}: ${error.message}\n`);
  }

  async end(): Promise<void> {
    await this.flushPending();
    await this.out.flush();
  }

  private async flushPending(): Promise<void> {
    const rows = this.pending;
    this.pending = undefined;
    if (!rows || rows.length === 0) return;
    const all = [TableSink.HEADER, ...rows];
    this.widths = TableSink.HEADER.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
    for (const r of all) {
      const wait = this.out.write(this.format(r));
      if (wait) await wait;
    }
  }

  private format(row: string[]): string {
    let line = '';
    const last = row.length - 1;
    for (let i = 0; i < last; i++) line += row[i]!.padEnd(this.widths[i]!) + '  ';
    return line + row[last]! + '\n';
  }
}

/**
 * `{ "keys": [...], "errors": [...] }`, byte-for-byte as `printJson` would print it, but keys are
 * written as they come; only errors are held until the end (at most MAX_JSON_ERRORS of them).
 */
class JsonSink implements Sink {
  private count = 0;
  private readonly errors: { source: string; message: string; code: string }[] = [];
  private dropped = 0;

  constructor(private readonly out: BufferedOutput) {
    void out.write('{\n  "keys": [');
  }

  key(entry: KeyEntry, evaluation: PolicyResult): Promise<void> | undefined {
    const text = JSON.stringify(keyJson(entry, evaluation), null, 2).replace(/\n/g, '\n    ');
    return this.out.write((this.count++ === 0 ? '\n    ' : ',\n    ') + text);
  }

  error(error: { source: string; message: string; code: string }): void {
    if (this.errors.length < MAX_JSON_ERRORS) {
      this.errors.push({ source: error.source, message: error.message, code: error.code });
    } else this.dropped++;
  }

  async end(): Promise<void> {
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
}

/** One key of the JSON document: the fields in the documented order. */
export function keyJson(entry: KeyEntry, evaluation: PolicyResult): Record<string, unknown> {
  const { key } = entry;
  return {
    source: entry.source,
    type: key.type,
    family: key.family,
    bits: key.bits,
    fingerprint: key.fingerprint,
    md5: key.md5,
    comment: key.comment,
    options: entry.options,
    certificate: key.certificate ? certificateJson(key.certificate) : null,
    knownHost: entry.knownHost ?? null,
    fromPrivateKey: entry.fromPrivateKey === true,
    verdict: evaluation.verdict,
    findings: evaluation.findings.map((f: Finding) => ({
      code: f.code,
      severity: f.severity,
      message: f.message,
    })),
  };
}

const FOREVER = 0xffffffffffffffffn;
/** The latest instant a JS Date holds (year 275760), in seconds. */
const MAX_DATE_SECONDS = 8_640_000_000_000n;

function isoTime(seconds: bigint, unbounded: bigint): string | null {
  if (seconds === unbounded) return null;
  return new Date(Number(seconds < MAX_DATE_SECONDS ? seconds : MAX_DATE_SECONDS) * 1000).toISOString();
}

function certificateJson(c: CertificateInfo): Record<string, unknown> {
  return {
    keyId: c.keyId,
    principals: c.principals,
    validAfter: isoTime(c.validAfter, 0n),
    validBefore: isoTime(c.validBefore, FOREVER),
    caFingerprint: c.caFingerprint,
    role: c.role,
    // uint64: a string, as JSON numbers lose precision above 2^53.
    serial: c.serial.toString(),
  };
}
