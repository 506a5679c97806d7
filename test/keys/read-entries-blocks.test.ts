/**
 * readKeyEntryBlocks + LineParser (what the parallel `inspect` is built on) against
 * readKeyEntries: the same input, read in any chunks and parsed in any pieces, gives the same
 * results in the same order. Also the lazy MD5 of keys read here.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../src/keys/public-key.js';
import { LineParser, readKeyEntries, readKeyEntryBlocks } from '../../src/keys/read-entries.js';
import type { LineBlock, ReadOptions, ReadResult } from '../../src/keys/read-entries.js';

let dir: string;
const pub = { ed: '', ec: '', rsa: '' };
let privateBody: string[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kf-'));
  for (const [name, type, bits] of [
    ['ed', 'ed25519', undefined],
    ['ec', 'ecdsa', '256'],
    ['rsa', 'rsa', '2048'],
  ] as const) {
    const file = path.join(dir, name);
    const args = [
      '-q',
      '-t',
      type,
      '-N',
      '',
      '-C',
      `${name}@test`,
      '-f',
      file,
      ...(bits ? ['-b', bits] : []),
    ];
    const r = spawnSync('ssh-keygen', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    pub[name] = fs.readFileSync(`${file}.pub`, 'utf8').trim();
  }
  privateBody = fs.readFileSync(path.join(dir, 'ed'), 'utf8').trim().split('\n');
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Lines of every kind the reader tells apart, including the multi-line PEM/RFC 4716 blocks. */
function vocabulary(): string[] {
  const body = (s: string): string => s.split(' ').slice(0, 2).join(' ');
  return [
    pub.ed,
    pub.ec,
    pub.rsa,
    `restrict,command="echo a, b" ${pub.ed}`,
    `no-pty,from="10.0.0.0/8" ${pub.rsa}\r`,
    `github.com,10.0.0.1 ${body(pub.ec)}`,
    `@cert-authority *.corp ${body(pub.ed)}`,
    '# a comment',
    '',
    '   ',
    'ssh-ed25519 AAAA!!!!',
    `ssh-rsa ${pub.ed.split(' ')[1]!} mismatch`,
    'frobnicate="x" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA',
    'restrict,command="unbalanced ssh-ed25519 AAAA',
    'just-one-word',
    ...privateBody, // BEGIN, body lines, END: one error for the lot
    privateBody[0]!, // a BEGIN whose END never comes (the next key line ends it)
    '---- BEGIN SSH2 PUBLIC KEY ----',
    'AAAAB3NzaC1yc2E',
    '---- END SSH2 PUBLIC KEY ----',
  ];
}

/** Splits `buf` into chunks of the given sizes (cycled). */
function chunked(buf: Buffer, sizes: number[]): Buffer[] {
  if (sizes.length === 0) return [buf];
  const chunks: Buffer[] = [];
  for (let i = 0, k = 0; i < buf.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]!);
    chunks.push(buf.subarray(i, i + n));
    i += n;
  }
  return chunks;
}

function summary(r: ReadResult): string {
  if ('error' in r) return `${r.error.source} ${r.error.code} ${r.error.message}`;
  const e = r.entry;
  return `${e.source} ${e.key.fingerprint} ${e.key.md5} ${JSON.stringify(e.options)} ${JSON.stringify(e.knownHost ?? null)}`;
}

async function viaEntries(buf: Buffer, sizes: number[], options: ReadOptions): Promise<string[]> {
  const out: string[] = [];
  const stream = Readable.from(chunked(buf, sizes));
  for await (const r of readKeyEntries({ source: 'f', stream }, options)) out.push(summary(r));
  return out;
}

/**
 * As inspect-parallel does it: blocks grouped into pieces of `groups` blocks (cycled), each
 * piece parsed by its own LineParser from a guessed state ("outside a block") and parsed again
 * when the guess was wrong; the reader's own results and NO_KEYS in between, in order.
 */
async function viaBlocks(
  buf: Buffer,
  sizes: number[],
  groups: number[],
  options: ReadOptions,
): Promise<string[]> {
  const out: string[] = [];
  const stream = Readable.from(chunked(buf, sizes));
  let state: string | undefined;
  let reported = 0;
  let piece: LineBlock[] = [];
  let g = 0;
  const flush = (): void => {
    if (piece.length === 0) return;
    const bytes = Buffer.concat(piece.map((b) => b.bytes));
    const parse = (from: string | undefined): { results: ReadResult[]; state: string | undefined } => {
      const results: ReadResult[] = [];
      const parser = new LineParser('f', options.maxLineBytes, from);
      const lines = parser.parse(bytes, piece[0]!.firstLine, results);
      expect(lines).toBe(piece.reduce((n, b) => n + b.lines, 0));
      return { results, state: parser.state };
    };
    let r = parse(undefined);
    if (state !== undefined) r = parse(state);
    state = r.state;
    reported += r.results.length;
    out.push(...r.results.map(summary));
    piece = [];
  };
  for await (const batch of readKeyEntryBlocks({ source: 'f', stream }, options)) {
    for (const item of batch) {
      if ('bytes' in item) {
        if (piece.length > 0) expect(item.firstLine).toBe(piece.at(-1)!.firstLine + piece.at(-1)!.lines);
        piece.push(item);
        if (piece.length >= Math.max(1, groups[g++ % groups.length]!)) flush();
        continue;
      }
      flush();
      if ('unlessReported' in item) {
        if (reported === 0) out.push(summary(item.unlessReported));
      } else {
        reported++;
        out.push(summary(item));
      }
    }
  }
  flush();
  return out;
}

describe('readKeyEntryBlocks + LineParser', () => {
  it('give what readKeyEntries gives, in any chunking and any grouping (property)', async () => {
    const words = vocabulary();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: words.length - 1 }), { maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (picks, sizes, groups, finalNewline) => {
          const text = picks.map((i) => words[i]!).join('\n') + (finalNewline ? '\n' : '');
          const buf = Buffer.from(text);
          const want = await viaEntries(buf, sizes, {});
          expect(await viaBlocks(buf, sizes, groups, {})).toEqual(want);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a PEM block across pieces: one error for the block, the keys after it read', async () => {
    const text = ['# head', pub.ed, ...privateBody, pub.ec, ''].join('\n');
    const buf = Buffer.from(text);
    const want = await viaEntries(buf, [], {});
    expect(want.map((s) => s.split(' ').slice(0, 2).join(' '))).toEqual([
      expect.stringMatching(/^f:2 SHA256:/) as string,
      'f:3 PRIVATE_KEY_IN_PUBLIC',
      expect.stringMatching(new RegExp(`^f:${privateBody.length + 3} SHA256:`)) as string,
    ]);
    // Chunks of 37 bytes, one block per piece: the block's lines land in many pieces.
    expect(await viaBlocks(buf, [37], [1], {})).toEqual(want);
  });

  it('over-long lines, binary data and NO_KEYS come out in order, as from readKeyEntries', async () => {
    const long = `ssh-ed25519 ${'A'.repeat(500)}`;
    const cases = [
      [pub.ed, long, pub.rsa, long, pub.ec, ''].join('\n'),
      [pub.ed, pub.ec, 'bad\u0000line', pub.rsa, ''].join('\n'),
      ['# only', '', '# comments', ''].join('\n'),
      [pub.ed, `${long}${long}${long}`].join('\n'),
    ];
    for (const text of cases) {
      const buf = Buffer.from(text);
      for (const sizes of [[7], [64], [300, 11], [100_000]]) {
        const options = { maxLineBytes: 400 };
        const want = await viaEntries(buf, sizes, options);
        expect(await viaBlocks(buf, sizes, [1, 2], options)).toEqual(want);
      }
    }
  });

  it('blocks are whole lines with their numbers and counts', async () => {
    const text = ['a', '', pub.ed, '# c', 'last-without-newline'].join('\n');
    const blocks: LineBlock[] = [];
    const stream = Readable.from(chunked(Buffer.from(text), [3]));
    for await (const batch of readKeyEntryBlocks({ source: 'f', stream })) {
      for (const item of batch) if ('bytes' in item) blocks.push(item);
    }
    expect(Buffer.concat(blocks.map((b) => b.bytes)).toString()).toBe(text);
    for (const b of blocks.slice(0, -1)) expect(b.bytes.at(-1)).toBe(0x0a);
    expect(blocks.reduce((n, b) => n + b.lines, 0)).toBe(5);
    expect(blocks[0]!.firstLine).toBe(1);
  });
});

describe('keys read by readKeyEntries: MD5 computed on first read', () => {
  it('md5 and every other field read as from parsePublicKey', async () => {
    const text = [pub.ed, pub.ec, `restrict ${pub.rsa}`, `host.example ${pub.ed}`].join('\n');
    const results: ReadResult[] = [];
    for await (const r of readKeyEntries({ source: 'f', stream: Readable.from([Buffer.from(text)]) }))
      results.push(r);
    const expected = [pub.ed, pub.ec, pub.rsa, pub.ed].map((t) => parsePublicKey(t));
    expect(results).toHaveLength(4);
    for (const [i, r] of results.entries()) {
      if (!('entry' in r)) throw new Error(summary(r));
      const key = r.entry.key;
      const want = expected[i]!;
      expect(key.md5).toBe(want.md5);
      expect(key.md5).toBe(want.md5); // cached, same value
      expect([key.type, key.family, key.bits, key.fingerprint, key.curve, key.comment]).toEqual([
        want.type,
        want.family,
        want.bits,
        want.fingerprint,
        want.curve,
        want.comment,
      ]);
      expect(key.blob.equals(want.blob)).toBe(true);
    }
  });

  it('parsePublicKey with lazyMd5: the same key, md5 a getter that can also be set', () => {
    for (const text of [pub.ed, pub.ec, pub.rsa]) {
      const eager = parsePublicKey(text);
      const lazy = parsePublicKey(text, { lazyMd5: true });
      expect(Object.prototype.hasOwnProperty.call(eager, 'md5')).toBe(true);
      expect(lazy.md5).toBe(eager.md5);
      expect({ ...lazy, md5: lazy.md5 }).toEqual(eager);
      lazy.md5 = 'MD5:set';
      expect(lazy.md5).toBe('MD5:set');
    }
  });
});
