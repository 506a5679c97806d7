/**
 * The parallel path of `keyfleet inspect` (worker threads, src/cli/run/inspect-parallel.ts) must
 * print exactly what the single-threaded path prints: the same stdout, stderr and exit status,
 * on files of many segments with keys of every kind, options, certificates, known_hosts lines,
 * errors, a pasted private key across a segment boundary, an over-long line and lines split
 * across read chunks. Small thresholds (environment knobs) make small files take that path.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, genKey, makeTempDir, sshKeygen } from './helpers.js';
import type { InspectJson } from './helpers.js';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string>, input = ''): Run {
  const r = spawnSync(process.execPath, [CLI, 'inspect', ...args], {
    input,
    env: { ...process.env, KEYFLEET_DEBUG: '', ...env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SINGLE = { KEYFLEET_INSPECT_THREADS: '1' };
/** Every segment one read block (~64 KiB), every one parsed by the worker. */
const WORKER_EACH_BLOCK = {
  KEYFLEET_INSPECT_THREADS: '2',
  KEYFLEET_INSPECT_PARALLEL_MIN_BYTES: '0',
  KEYFLEET_INSPECT_SEGMENT_BYTES: '1',
  KEYFLEET_INSPECT_WORKERS_ONLY: '1',
};
/** Two workers and the main thread sharing one-block segments (which thread does what varies). */
const SHARED_EACH_BLOCK = {
  KEYFLEET_INSPECT_THREADS: '3',
  KEYFLEET_INSPECT_PARALLEL_MIN_BYTES: '0',
  KEYFLEET_INSPECT_SEGMENT_BYTES: '1',
};
/** Segments of several blocks, all parsed by workers. */
const WORKER_BIG_SEGMENTS = {
  KEYFLEET_INSPECT_THREADS: '3',
  KEYFLEET_INSPECT_PARALLEL_MIN_BYTES: '0',
  KEYFLEET_INSPECT_SEGMENT_BYTES: '200000',
  KEYFLEET_INSPECT_WORKERS_ONLY: '1',
};
const PARALLEL = { WORKER_EACH_BLOCK, SHARED_EACH_BLOCK, WORKER_BIG_SEGMENTS };

/** The size of the blocks the reader reads (src/cli/input-files.ts). */
const CHUNK = 64 * 1024;

let dir: string;
/** The big mixed file, and the line numbers its keys and errors must be reported at. */
let mixed: { file: string; keyLines: number[]; errorLines: number[]; pemLine: number; longLine: number };
let clean: string;

beforeAll(() => {
  ensureBuilt();
  dir = makeTempDir();
  const pubs: string[] = [];
  for (const [name, type, bits] of [
    ['ed', 'ed25519', []],
    ['ec256', 'ecdsa', ['-b', '256']],
    ['ec384', 'ecdsa', ['-b', '384']],
    ['ec521', 'ecdsa', ['-b', '521']],
    ['rsa2048', 'rsa', ['-b', '2048']],
    ['rsa3072', 'rsa', ['-b', '3072']],
  ] as const) {
    const key = genKey(dir, name, type, [...bits]);
    pubs.push(fs.readFileSync(`${key}.pub`, 'utf8').split(' ').slice(0, 2).join(' '));
  }
  // Certificates: a valid user certificate and an expired host certificate, signed by a CA.
  const ca = genKey(dir, 'ca', 'ed25519');
  sshKeygen(['-q', '-s', ca, '-I', 'alice', '-n', 'alice,ml', '-V', '+52w', `${path.join(dir, 'ed')}.pub`]);
  sshKeygen([
    '-q',
    '-s',
    ca,
    '-h',
    '-I',
    'old-host',
    '-V',
    '20200101:20200102',
    `${path.join(dir, 'ec256')}.pub`,
  ]);
  const certs = ['ed', 'ec256'].map((n) =>
    fs
      .readFileSync(path.join(dir, `${n}-cert.pub`), 'utf8')
      .split(' ')
      .slice(0, 2)
      .join(' '),
  );
  // A hashed known_hosts line, as ssh-keygen -H writes it.
  const kh = path.join(dir, 'kh');
  fs.writeFileSync(kh, `hashed.example ${pubs[0]!}\n`);
  sshKeygen(['-q', '-H', '-f', kh]);
  const hashedHost = fs.readFileSync(kh, 'utf8').trim().split(' ')[0]!;
  const privateKey = fs.readFileSync(path.join(dir, 'ed'), 'utf8').trim().split('\n');

  // Lines of every kind, cycled; every key line names its own line number (L<n>).
  const kinds: ((n: number) => { text: string; key?: boolean; error?: boolean })[] = [
    (n) => ({ text: `${pubs[n % 6]!} user-L${n}@train`, key: true }),
    (n) => ({ text: `restrict,command="echo \\"a, b\\"" ${pubs[(n + 1) % 6]!} opt-L${n}`, key: true }),
    (n) => ({ text: `from="10.0.0.0/8,!10.1.2.3",no-pty ${pubs[(n + 2) % 6]!} from-L${n}\r`, key: true }),
    (n) => ({ text: `host-L${n}.example,10.0.0.1 ${pubs[(n + 3) % 6]!}`, key: true }),
    (n) => ({ text: `@cert-authority *.L${n}.corp ${pubs[0]!}`, key: true }),
    (n) => ({ text: `@revoked revoked-L${n}.example ${pubs[4]!}`, key: true }),
    (n) => ({ text: `${hashedHost} ${pubs[1]!} hashed-L${n}`, key: true }),
    (n) => ({ text: `${certs[Math.floor(n / 14) % 2]!} cert-L${n}`, key: true }),
    () => ({ text: '# a comment' }),
    () => ({ text: '' }),
    () => ({ text: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5!!!!', error: true }),
    () => ({ text: `ssh-rsa ${pubs[0]!.split(' ')[1]!} wrong type`, error: true }),
    () => ({ text: `frobnicate="1" ${pubs[0]!}`, error: true }),
    (n) => ({ text: `   ${pubs[n % 6]!}   spaced-L${n}   `, key: true }),
  ];
  const lines: string[] = [];
  const keyLines: number[] = [];
  const errorLines: number[] = [];
  let bytes = 0;
  let pemLine = 0;
  let pemStart = 0;
  let longLine = 0;
  const push = (text: string): void => {
    lines.push(text);
    bytes += Buffer.byteLength(text) + 1;
  };
  for (let i = 0; bytes < 11 * CHUNK; i++) {
    // A pasted private key across the end of the third read block (after the first 200 rows,
    // which size the table on the main thread): its BEGIN line ends the block, so the next
    // segment starts inside it. One error; its body is never shown.
    if (pemLine === 0 && bytes > 3 * CHUNK - 1200) {
      const begin = 3 * CHUNK - privateKey[0]!.length - 10;
      push(`#${'x'.repeat(begin - bytes - 2)}`);
      pemStart = bytes;
      pemLine = lines.length + 1;
      errorLines.push(pemLine);
      for (const l of privateKey) push(l);
      continue;
    }
    // An over-long line in the sixth block: one error, the lines around it still read.
    if (longLine === 0 && bytes > 6 * CHUNK) {
      longLine = lines.length + 1;
      errorLines.push(longLine);
      push(`ssh-ed25519 ${'A'.repeat(70_000)}`);
      continue;
    }
    const n = lines.length + 1;
    const line = kinds[i % kinds.length]!(n);
    if (line.key) keyLines.push(n);
    if (line.error) errorLines.push(n);
    push(line.text);
  }
  expect(pemLine).toBeGreaterThan(0);
  expect([pemStart < 3 * CHUNK, pemStart + privateKey[0]!.length + 1 < 3 * CHUNK]).toEqual([true, true]);
  expect(longLine).toBeGreaterThan(0);
  const file = path.join(dir, 'authorized_keys');
  fs.writeFileSync(file, lines.join('\n') + `\n${pubs[5]!} last-L${lines.length + 1}`); // no final newline
  keyLines.push(lines.length + 1);
  mixed = { file, keyLines, errorLines, pemLine, longLine };

  // No errors; an expired option makes it exit 1 (and --fail-on weak catches RSA 2048 too).
  clean = path.join(dir, 'clean_keys');
  const cleanLines = Array.from({ length: 2500 }, (_, i) => `${pubs[i % 6]!} clean-${i + 1}`);
  cleanLines[1700] = `expiry-time="20200101" ${pubs[0]!} expired`;
  fs.writeFileSync(clean, cleanLines.join('\n') + '\n');
}, 120_000);

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function expectSame(args: string[], input = ''): Run {
  const want = run(args, SINGLE, input);
  for (const [name, env] of Object.entries(PARALLEL)) {
    const got = run(args, env, input);
    expect({ variant: name, ...got }).toEqual({ variant: name, ...want });
  }
  return want;
}

describe('keyfleet inspect: parallel path gives byte-identical output', () => {
  it('the mixed file spans many read blocks (the test is meaningful)', () => {
    const size = fs.statSync(mixed.file).size;
    expect(size).toBeGreaterThan(10 * CHUNK);
    expect(mixed.keyLines.length).toBeGreaterThan(1500);
  });

  it('table: same stdout, stderr and exit status (2: errors)', () => {
    const r = expectSame([mixed.file]);
    expect(r.status).toBe(2);
    const rows = r.stdout.trimEnd().split('\n').slice(1);
    expect(rows).toHaveLength(mixed.keyLines.length);
    // The pasted private key: one error, no line of its body anywhere.
    expect(r.stderr).toContain(`${mixed.file}:${mixed.pemLine}: private key found`);
    expect(r.stderr).toContain(`${mixed.file}:${mixed.longLine}: line is longer than 65536 bytes`);
  });

  it('--json: the same document; every key and error at its own line number', () => {
    const r = expectSame(['--json', mixed.file]);
    expect(r.status).toBe(2);
    const doc = JSON.parse(r.stdout) as InspectJson;
    const lineOf = (source: string): number => Number(source.slice(mixed.file.length + 1));
    expect(doc.keys.map((k) => lineOf(k.source))).toEqual(mixed.keyLines);
    for (const k of doc.keys) {
      // Every key line names its number: in the comment, or in the hosts of known_hosts lines.
      const named = /L(\d+)/.exec(k.comment) ?? /L(\d+)/.exec(k.knownHost?.hosts.join(',') ?? '');
      if (named) expect(Number(named[1])).toBe(lineOf(k.source));
    }
    expect(doc.errors.map((e) => lineOf(e.source))).toEqual(mixed.errorLines);
    const kinds = new Set(doc.keys.map((k) => `${k.family}${k.certificate ? '-CERT' : ''}`));
    expect([...kinds].sort()).toEqual(['ECDSA', 'ECDSA-CERT', 'ED25519', 'ED25519-CERT', 'RSA']);
    expect(doc.keys.some((k) => k.knownHost?.hashed)).toBe(true);
    expect(doc.keys.some((k) => k.knownHost?.marker === '@revoked')).toBe(true);
    expect(doc.keys.some((k) => k.verdict === 'expired')).toBe(true); // the expired host certificate
  });

  it('-E md5 with policy flags', () => {
    const r = expectSame(['-E', 'md5', '--fail-on', 'weak', '--min-rsa-bits', '4096', mixed.file]);
    expect(r.stdout).toContain('MD5:');
    expect(r.stdout).not.toContain('SHA256:');
  });

  it('exit 1 without errors (an expired key), and 1 for --fail-on weak', () => {
    expect(expectSame([clean]).status).toBe(1);
    expect(expectSame(['--json', '--fail-on', 'weak', clean]).status).toBe(1);
  });

  it('several inputs: a big file, standard input, a missing file and another big file', () => {
    const stdin = 'ssh-ed25519 AAAA!!\n# c\n';
    const r = expectSame(['--json', mixed.file, '-', path.join(dir, 'missing'), clean], stdin);
    expect(r.status).toBe(2);
    const doc = JSON.parse(r.stdout) as InspectJson;
    expect(doc.errors.some((e) => e.source === '(stdin):1')).toBe(true);
    expect(doc.errors.some((e) => e.source === path.join(dir, 'missing'))).toBe(true);
  });

  it('binary data late in a file: the lines before it, then one error, in every path', () => {
    const file = path.join(dir, 'binary_tail');
    const head = fs.readFileSync(clean).subarray(0, 5 * CHUNK + 1234);
    const cut = head.lastIndexOf(0x0a) + 1;
    fs.writeFileSync(file, Buffer.concat([head.subarray(0, cut), Buffer.from([0, 1, 2, 0x0a]), head]));
    const r = expectSame(['--json', file]);
    expect(r.status).toBe(2);
    const doc = JSON.parse(r.stdout) as InspectJson;
    expect(doc.errors).toHaveLength(1);
    expect(doc.errors[0]!.code).toBe('BINARY');
  });

  it('only comments: NO_KEYS once; an empty file: EMPTY', () => {
    const comments = path.join(dir, 'comments');
    fs.writeFileSync(comments, '# nothing here\n\n'.repeat(20_000));
    const empty = path.join(dir, 'empty');
    fs.writeFileSync(empty, '');
    const r = expectSame(['--json', comments, empty]);
    expect(r.status).toBe(2);
    expect((JSON.parse(r.stdout) as InspectJson).errors.map((e) => e.code)).toEqual(['NO_KEYS', 'EMPTY']);
  });
});
