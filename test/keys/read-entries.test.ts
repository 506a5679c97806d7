import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKnownHostsLine, readKeyEntries, readKeyEntryBatches } from '../../src/keys/read-entries.js';
import type { ReadOptions, ReadResult } from '../../src/keys/read-entries.js';

let dir: string;
const pub = { ed: '', ec: '', rsa: '' };
let privateOpenssh: string;

function keygen(name: string, type: string, bits?: string): string {
  const file = path.join(dir, name);
  const args = [
    '-q',
    '-t',
    type,
    '-N',
    '',
    '-C',
    `${name} comment`,
    '-f',
    file,
    ...(bits ? ['-b', bits] : []),
  ];
  const r = spawnSync('ssh-keygen', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return file;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kf-'));
  const specs: ['ed' | 'ec' | 'rsa', string, string?][] = [
    ['ed', 'ed25519'],
    ['ec', 'ecdsa', '384'],
    ['rsa', 'rsa', '2048'],
  ];
  for (const [name, type, bits] of specs) {
    const file = keygen(name, type, bits);
    pub[name] = fs.readFileSync(`${file}.pub`, 'utf8').trim();
  }
  privateOpenssh = fs.readFileSync(path.join(dir, 'ed'), 'utf8');
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Feeds `data` in the given chunk sizes (cycled) and collects the results. */
async function read(
  data: Buffer | string,
  chunkSizes: number[] = [],
  options: ReadOptions = {},
): Promise<ReadResult[]> {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const chunks: Buffer[] = [];
  if (chunkSizes.length === 0) chunks.push(buf);
  else
    for (let i = 0, c = 0; i < buf.length; c++) {
      const n = Math.max(1, chunkSizes[c % chunkSizes.length]!);
      chunks.push(buf.subarray(i, i + n));
      i += n;
    }
  const out: ReadResult[] = [];
  for await (const r of readKeyEntries({ source: 'f', stream: Readable.from(chunks) }, options)) out.push(r);
  return out;
}

/** A comparable summary: source and fingerprint, or source and error code. */
const summary = (rs: ReadResult[]): string[] =>
  rs.map((r) =>
    'entry' in r ? `${r.entry.source} ${r.entry.key.fingerprint}` : `${r.error.source} ${r.error.code}`,
  );

describe('readKeyEntries', () => {
  it('reads .pub, authorized_keys and known_hosts lines in one stream, with file:line sources', async () => {
    const text = [
      '# comment',
      pub.ed,
      '',
      `restrict,command="echo a, b" ${pub.ec}`,
      `github.com,10.0.0.1 ${pub.rsa}`,
      `@cert-authority *.corp ${pub.ed}`,
      `  ${pub.ec}  `,
    ].join('\r\n');
    const rs = await read(text);
    expect(rs.every((r) => 'entry' in r)).toBe(true);
    const entries = rs.map((r) => ('entry' in r ? r.entry : undefined)!);
    expect(entries.map((e) => e.source)).toEqual(['f:2', 'f:4', 'f:5', 'f:6', 'f:7']);
    expect(entries[1]!.options).toEqual([{ name: 'restrict' }, { name: 'command', value: 'echo a, b' }]);
    expect(entries[2]!.knownHost).toEqual({ hosts: ['github.com', '10.0.0.1'], hashed: false });
    expect(entries[3]!.knownHost).toEqual({ marker: '@cert-authority', hosts: ['*.corp'], hashed: false });
    expect(entries[4]!.key.comment).toBe('ec comment');
  });

  it('gives the same results however the input is chunked (property)', async () => {
    const lines = [
      pub.ed,
      `no-pty ${pub.rsa}`,
      'garbage line here',
      `host ${pub.ec}`,
      '',
      '# c',
      ...privateOpenssh.trimEnd().split('\n'),
      'ü comment-ish line',
      `${pub.ed.split(' ').slice(0, 2).join(' ')} ünïcödé ✓`,
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(lines, { minLength: 1 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        async (picked, sizes, finalNewline) => {
          const text = picked.join('\n') + (finalNewline ? '\n' : '');
          expect(summary(await read(text, sizes))).toEqual(summary(await read(text)));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('byte-at-a-time input (a slow pipe) still reads multi-byte UTF-8 comments intact', async () => {
    const line = `${pub.ed.split(' ').slice(0, 2).join(' ')} José’s key ✓\n`;
    const rs = await read(line, [1]);
    expect(rs).toHaveLength(1);
    expect('entry' in rs[0]! && rs[0].entry.key.comment).toBe('José’s key ✓');
  });

  it('a private key file: whole-file, public half only, source without a line', async () => {
    for (const sizes of [[], [7], [1000]]) {
      const rs = await read(`\n${privateOpenssh}`, sizes);
      expect(rs).toHaveLength(1);
      const r = rs[0]!;
      expect('entry' in r && r.entry).toMatchObject({ source: 'f', fromPrivateKey: true, options: [] });
      expect('entry' in r && `${r.entry.key.type} ${r.entry.key.blob.toString('base64')}`).toBe(
        pub.ed.split(' ').slice(0, 2).join(' '),
      );
    }
    const tooBig = await read(privateOpenssh + 'A'.repeat(2000), [], { maxPrivateKeyBytes: 1000 });
    expect(summary(tooBig)).toEqual(['f FILE_TOO_LARGE']);
  });

  it('empty, whitespace-only and comment-only inputs', async () => {
    expect(await read('')).toEqual([
      { error: { source: 'f', code: 'EMPTY', message: 'empty file: no keys found' } },
    ]);
    expect(summary(await read(' \n\t\r\n'))).toEqual(['f EMPTY']);
    expect(summary(await read('# a\n\n# b'))).toEqual(['f NO_KEYS']);
  });

  it('over-long lines: one error each, the rest read, whatever the chunking', async () => {
    const long = 'x'.repeat(5000);
    const text = `${pub.ed}\n${long}\n${pub.ec}\n${long}`;
    for (const sizes of [[], [100], [4999], [5001], [1]]) {
      expect(summary(await read(text, sizes, { maxLineBytes: 1000 }))).toEqual([
        `f:1 ${summary(await read(pub.ed))[0]!.split(' ')[1]}`,
        'f:2 LINE_TOO_LONG',
        `f:3 ${summary(await read(pub.ec))[0]!.split(' ')[1]}`,
        'f:4 LINE_TOO_LONG',
      ]);
    }
  });

  it('binary data: one error for the input; lines before it are kept', async () => {
    expect(summary(await read(Buffer.from([0x00, 0x01, 0x02, 0x0a, 0x41])))).toEqual(['f BINARY']);
    expect(summary(await read(Buffer.from([0xc3, 0x28, 0x0a])))).toEqual(['f BINARY']); // invalid UTF-8
    const mixed = Buffer.concat([
      Buffer.from(`${pub.ed}\n${pub.rsa}\n`),
      Buffer.from('ab\xffcd\n'.repeat(50), 'latin1'),
    ]);
    for (const sizes of [[], [3], [64]]) {
      const rs = await read(mixed, sizes);
      expect(summary(rs).map((s) => s.split(' ')[0])).toEqual(['f:1', 'f:2', 'f:3']);
      expect(rs[2]).toEqual({
        error: {
          source: 'f:3',
          code: 'BINARY',
          message: 'binary data (invalid UTF-8), not an OpenSSH key file; stopped reading here',
        },
      });
    }
  });

  it('a UTF-8 BOM is ignored; UTF-16 is named', async () => {
    expect(summary(await read(`\ufeff${pub.ed}\n`))).toEqual(summary(await read(`${pub.ed}\n`)));
    expect(
      summary(await read(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(pub.ed, 'utf16le')]))),
    ).toEqual(['f BINARY']);
  });

  it('a pasted private key block is one error, its lines skipped and never echoed', async () => {
    const text = `${pub.ed}\n${privateOpenssh}${pub.rsa}\n`;
    const rs = await read(text, [13]);
    expect(summary(rs).map((s) => s.split(' ')[0])).toEqual([
      'f:1',
      'f:2',
      `f:${privateOpenssh.split('\n').length + 1}`,
    ]);
    const err = rs[1]!;
    expect('error' in err && err.error.code).toBe('PRIVATE_KEY_IN_PUBLIC');
    const body = privateOpenssh.split('\n')[1]!;
    expect(JSON.stringify(rs.filter((r) => 'error' in r))).not.toContain(body.slice(0, 20));
  });

  it('a pasted block without its END line does not swallow the key lines after it', async () => {
    const body = privateOpenssh.trimEnd().split('\n').slice(0, -1); // BEGIN and body, no END
    const text = [pub.ed, ...body, `restrict ${pub.rsa}`, `host ${pub.ec}`].join('\n');
    const rs = await read(text);
    expect(summary(rs).map((s) => s.split(' ')[0])).toEqual([
      'f:1',
      'f:2',
      `f:${body.length + 2}`,
      `f:${body.length + 3}`,
    ]);
    expect(rs.map((r) => ('entry' in r ? 'key' : r.error.code))).toEqual([
      'key',
      'PRIVATE_KEY_IN_PUBLIC',
      'key',
      'key',
    ]);
    // an RFC 4716 block's header that mentions ssh-keygen is still inside the block
    const rfc = [
      '---- BEGIN SSH2 PUBLIC KEY ----',
      'Comment: "made by ssh-keygen ssh-ed25519"',
      'AAAAC3Nz',
      '---- END SSH2 PUBLIC KEY ----',
      pub.ed,
    ];
    expect((await read(rfc.join('\n'))).map((r) => ('entry' in r ? 'key' : r.error.code))).toEqual([
      'UNSUPPORTED_FORMAT',
      'key',
    ]);
  });

  it('a BEGIN line with an odd label is reported without echoing the label', async () => {
    const rs = await read(`-----BEGIN \u001b[2J EVIL-----\nabc\n-----END x-----\n${pub.ed}\n`);
    expect(rs.map((r) => ('entry' in r ? 'key' : r.error.message))).toEqual([
      'a "-----BEGIN" line: not an SSH key',
      'key',
    ]);
  });

  it('batches: one array per chunk, flattening to the same results', async () => {
    const text = Array.from({ length: 300 }, () => pub.ed).join('\n');
    const chunks = [Buffer.from(text.slice(0, 10_000)), Buffer.from(text.slice(10_000))];
    const batches: ReadResult[][] = [];
    for await (const b of readKeyEntryBatches({ source: 'f', stream: Readable.from(chunks) }))
      batches.push(b);
    expect(batches.length).toBeGreaterThanOrEqual(2);
    expect(batches.flat()).toHaveLength(300);
  });

  it('stops reading the stream when it ends early (binary input)', async () => {
    let pulled = 0;
    async function* source(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield Buffer.from('\u0000binary\n');
      }
    }
    expect(summary(await collect(source()))).toEqual(['f BINARY']);
    expect(pulled).toBeLessThan(5);
  });
});

async function collect(stream: AsyncIterable<Buffer>): Promise<ReadResult[]> {
  const out: ReadResult[] = [];
  for await (const r of readKeyEntries({ source: 'f', stream })) out.push(r);
  return out;
}

describe('isKnownHostsLine', () => {
  it.each([
    ['ssh-ed25519 AAAA c', false],
    ['restrict ssh-ed25519 AAAA', false],
    ['no-pty,no-agent-forwarding ssh-rsa AAAA', false],
    ['command="a b" ssh-rsa AAAA', false],
    ['from="10.0.0.1" ssh-rsa AAAA', false],
    ['github.com ssh-ed25519 AAAA', true],
    ['[git.corp]:2222,10.0.0.1 ecdsa-sha2-nistp256 AAAA', true],
    ['|1|c2FsdA==|aGFzaA== ssh-ed25519 AAAA', true],
    ['@revoked * ssh-rsa AAAA', true],
    ['*.example.com sk-ssh-ed25519@openssh.com AAAA', true],
  ])('%s -> %s', (line, expected) => {
    expect(isKnownHostsLine(line)).toBe(expected);
  });
});
