/**
 * Every bad input from the issue: a clear error naming the input, the right exit code, no stack
 * trace, and the other inputs/lines still reported.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  genKey,
  hasStackTrace,
  makeTempDir,
  privateBodyLines,
  runCli,
  sshFingerprint,
} from './helpers.js';
import type { InspectJson } from './helpers.js';

let dir: string;
let good: string; // a valid .pub file
let goodLine: string; // `ssh-ed25519 BASE64 comment`
let rsaLine: string;

function write(name: string, data: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, data);
  return file;
}

/**
 * Inspects `file` (plus the good key, which must still be reported) in table and JSON mode and
 * returns the single error's message; asserts exit 2, the stderr format and no stack trace.
 */
function oneError(file: string, source: string): string {
  const table = runCli(['inspect', file, good]);
  expect(table.status).toBe(2);
  expect(hasStackTrace(table.stderr)).toBe(false);
  const errLines = table.stderr.trimEnd().split('\n');
  expect(errLines).toHaveLength(1);
  expect(errLines[0]!.startsWith(`keyfleet: error: ${source}: `)).toBe(true);
  expect(table.stdout).toContain(sshFingerprint(good)); // the other input is still reported

  const json = runCli(['inspect', '--json', file, good]);
  expect(json.status).toBe(2);
  expect(json.stderr).toBe('');
  const doc = JSON.parse(json.stdout) as InspectJson;
  expect(doc.errors).toHaveLength(1);
  expect(doc.errors[0]!.source).toBe(source);
  expect(doc.keys.map((k) => k.fingerprint)).toContain(sshFingerprint(good));
  expect(errLines[0]).toBe(`keyfleet: error: ${source}: ${doc.errors[0]!.message}`);
  return doc.errors[0]!.message;
}

beforeAll(() => {
  ensureBuilt();
  dir = makeTempDir();
  good = `${genKey(dir, 'good', 'ed25519')}.pub`;
  goodLine = fs.readFileSync(good, 'utf8').trim();
  rsaLine = fs.readFileSync(`${genKey(dir, 'rsa', 'rsa', ['-b', '2048'])}.pub`, 'utf8').trim();
}, 60_000);

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('bad input', () => {
  it('an empty file', () => {
    const file = write('empty.pub', '');
    expect(oneError(file, file)).toBe('empty file: no keys found');
    const blank = write('blank.pub', '\n  \n\t\n');
    expect(oneError(blank, blank)).toBe('empty file: no keys found');
    const comments = write('comments', '# nothing here\n\n');
    expect(oneError(comments, comments)).toMatch(/no keys found/);
  });

  it('binary garbage: one error for the whole input, not one per line', () => {
    // A PNG-like header first, so the first line is binary whatever the random bytes are.
    const garbage = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), randomBytes(200_000)]);
    const file = write('garbage.bin', garbage);
    expect(oneError(file, file)).toBe('binary data, not an OpenSSH key file');
    const elf = write(
      'program',
      Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\0\0\0'), randomBytes(5000)]),
    );
    expect(oneError(elf, elf)).toBe('binary data, not an OpenSSH key file');
  });

  it('binary data after good lines: the lines before it are reported, then one error', () => {
    const file = write('tail-garbage', `${goodLine}\n${rsaLine}\n` + 'x\u0000y\n'.repeat(1000));
    const r = runCli(['inspect', '--json', file]);
    expect(r.status).toBe(2);
    const doc = JSON.parse(r.stdout) as InspectJson;
    expect(doc.keys.map((k) => k.source)).toEqual([`${file}:1`, `${file}:2`]);
    expect(doc.errors).toEqual([
      {
        source: `${file}:3`,
        code: 'BINARY',
        message: 'binary data (NUL byte), not an OpenSSH key file; stopped reading here',
      },
    ]);
    const utf16 = write(
      'utf16.pub',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(goodLine, 'utf16le')]),
    );
    expect(oneError(utf16, utf16)).toMatch(/UTF-16 text.*save it as UTF-8/);
  });

  it('a 10 MB single line (generated here, not committed)', () => {
    const file = write('huge-line', 'ssh-rsa ' + 'A'.repeat(10 * 1024 * 1024));
    expect(oneError(file, `${file}:1`)).toMatch(/line is longer than 65536 bytes/);
    // in the middle of a file, with a newline after it: the lines around it are still read
    const mid = write('huge-mid', `${goodLine}\n${'B'.repeat(10 * 1024 * 1024)}\n${rsaLine}\n`);
    const r = runCli(['inspect', '--json', mid]);
    expect(r.status).toBe(2);
    const doc = JSON.parse(r.stdout) as InspectJson;
    expect(doc.keys.map((k) => k.source)).toEqual([`${mid}:1`, `${mid}:3`]);
    expect(doc.errors.map((e) => [e.source, e.code])).toEqual([[`${mid}:2`, 'LINE_TOO_LONG']]);
  });

  it('a truncated blob', () => {
    const [type, b64] = goodLine.split(' ');
    const file = write('truncated.pub', `${type} ${b64!.slice(0, 40)} cut\n`);
    expect(oneError(file, `${file}:1`)).toMatch(/truncated/);
    const short = write('short.pub', `${type} ${b64!.slice(0, 41)}\n`); // not a multiple of 4
    expect(oneError(short, `${short}:1`)).toMatch(/truncated or damaged/);
  });

  it('a non-base64 blob', () => {
    const [type, b64] = goodLine.split(' ');
    const file = write('nonb64.pub', `${type} ${b64!.slice(0, 20)}!@#$${b64!.slice(24)}\n`);
    expect(oneError(file, `${file}:1`)).toMatch(/not valid base64/);
  });

  it('a type name that disagrees with its blob', () => {
    const b64 = goodLine.split(' ')[1];
    const file = write('mismatch.pub', `ssh-rsa ${b64} liar\n`);
    expect(oneError(file, `${file}:1`)).toMatch(/ssh-rsa.*does not match.*ssh-ed25519/);
  });

  it('a private key pasted into an authorized_keys file: one error, its material never shown', () => {
    const priv = genKey(dir, 'pasted', 'ed25519');
    const pemPriv = genKey(dir, 'pasted_pem', 'rsa', ['-b', '2048', '-m', 'PEM']);
    const file = write(
      'authorized_keys',
      `${goodLine}\n${fs.readFileSync(priv, 'utf8')}${rsaLine}\n${fs.readFileSync(pemPriv, 'utf8')}`,
    );
    const r = runCli(['inspect', '--json', file]);
    expect(r.status).toBe(2);
    const doc = JSON.parse(r.stdout) as InspectJson;
    expect(doc.keys).toHaveLength(2);
    expect(doc.errors.map((e) => e.source)).toEqual([`${file}:2`, `${file}:10`]);
    for (const e of doc.errors) {
      expect(e.code).toBe('PRIVATE_KEY_IN_PUBLIC');
      expect(e.message).toMatch(/^private key found where public keys are expected/);
    }
    const table = runCli(['inspect', file]);
    expect(table.stderr.trimEnd().split('\n')).toHaveLength(2);
    for (const line of [...privateBodyLines(priv), ...privateBodyLines(pemPriv)]) {
      for (const out of [r.stdout, r.stderr, table.stdout, table.stderr])
        expect(out).not.toContain(line.slice(0, 24));
    }
    // a single base64 line of an OpenSSH private key, without its BEGIN line
    const fragment = write('fragment', `${privateBodyLines(priv)[0]}\n`);
    const f = runCli(['inspect', fragment]);
    expect(f.status).toBe(2);
    expect(f.stderr).toMatch(/private key material/);
    expect(f.stderr).not.toContain(privateBodyLines(priv)[0]!.slice(0, 24));
  });

  it('unbalanced quotes in options', () => {
    const file = write('unbalanced', `command="echo hi,no-pty ${goodLine}\n`);
    expect(oneError(file, `${file}:1`)).toMatch(/unbalanced quote/);
  });

  it('a missing file', () => {
    const file = path.join(dir, 'does-not-exist.pub');
    expect(oneError(file, file)).toBe('no such file or directory');
  });

  it('a directory', () => {
    const sub = path.join(dir, 'keys.d');
    fs.mkdirSync(sub);
    expect(oneError(sub, sub)).toMatch(/^is a directory; name the key files in it instead/);
  });

  it('text that is not a key file gives a message per line saying what a key line looks like', () => {
    const file = write('hosts', 'localhost\n');
    expect(oneError(file, `${file}:1`)).toMatch(/not a key line: expected "\[OPTIONS\] TYPE BASE64/);
    const pem = write('cert.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(oneError(pem, `${pem}:1`)).toMatch(/PEM "CERTIFICATE" block is not an SSH key/);
    const rfc = write('ssh2.pub', '---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----\n');
    expect(oneError(rfc, `${rfc}:1`)).toMatch(/RFC 4716.*ssh-keygen -i -f FILE/);
  });
});
