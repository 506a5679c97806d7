import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../../src/errors.js';
import { KeyParseError } from '../../src/keys/errors.js';
import { parseExpires } from '../../src/placement/expires.js';
import { parseSingleKey, readSingleKey } from '../../src/placement/key-file.js';
import { ed25519Line, privateKeyPem } from './helpers.js';

const NOW = new Date('2027-01-01T00:00:00Z');

describe('parseExpires', () => {
  it.each([
    ['30d', '2027-01-31T00:00:00.000Z'],
    ['12h', '2027-01-01T12:00:00.000Z'],
    ['90m', '2027-01-01T01:30:00.000Z'],
    ['2w', '2027-01-15T00:00:00.000Z'],
    ['2027-03-01', '2027-03-01T00:00:00.000Z'],
    ['2027-03-01T12:30:00Z', '2027-03-01T12:30:00.000Z'],
    ['2027-03-01T12:30:00+02:00', '2027-03-01T10:30:00.000Z'],
    ['2027-03-01T12:30:00.5Z', '2027-03-01T12:30:00.500Z'],
  ])('%s', (text, iso) => {
    expect(parseExpires(text, NOW).toISOString()).toBe(iso);
  });

  it.each([
    ['2026-12-31', /in the past/],
    ['0d', /in the past/],
    ['2027-01-01T00:00:00Z', /in the past/],
    ['tomorrow', /not understood/],
    ['30 days', /not understood/],
    ['2027-02-30', /not a valid date/],
    ['2027-13-01', /not a valid date/],
    ['-5d', /not understood/],
  ])('%s is a usage error', (text, why) => {
    expect(() => parseExpires(text, NOW)).toThrow(UsageError);
    expect(() => parseExpires(text, NOW)).toThrow(why);
  });
});

describe('reading the key to grant', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kf-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads exactly one key, skipping blank lines and comments', async () => {
    const line = ed25519Line('me@laptop');
    const file = path.join(dir, 'one.pub');
    fs.writeFileSync(file, `# my key\n\n${line}\n\n`);
    const key = await readSingleKey(file);
    expect(key.type).toBe('ssh-ed25519');
    expect(key.comment).toBe('me@laptop');
  });

  it('reads standard input for "-"', async () => {
    const line = ed25519Line();
    const key = await readSingleKey('-', Readable.from([Buffer.from(line + '\n')]));
    expect(line).toContain(key.blob.toString('base64'));
  });

  it('refuses a private key without echoing it', () => {
    const pem = privateKeyPem();
    let err: unknown;
    try {
      parseSingleKey(pem, 'id_ed25519');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^id_ed25519: this is a private key; keyfleet places public keys only/);
    expect(msg).toMatch(/ssh-keygen -y -f KEY/);
    const body = pem.split('\n')[1]!;
    expect(msg).not.toContain(body.slice(0, 20));
  });

  it('refuses a file with two keys, an empty file, and names the line of a bad key', () => {
    expect(() => parseSingleKey(`${ed25519Line()}\n${ed25519Line()}\n`, 'two.pub')).toThrow(
      /two.pub: holds 2 lines that look like keys; give exactly one public key per file/,
    );
    expect(() => parseSingleKey('\n# nothing\n', 'empty.pub')).toThrow(/empty.pub: no public key found/);
    let err: unknown;
    try {
      parseSingleKey('# c\nssh-ed25519 AAAA!!', 'bad.pub');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KeyParseError);
    expect((err as Error).message).toMatch(/^bad.pub:2: /);
  });

  it('names a missing file and a directory', async () => {
    await expect(readSingleKey(path.join(dir, 'nope.pub'))).rejects.toThrow(/nope.pub: no such file/);
    await expect(readSingleKey(dir)).rejects.toThrow(/is a directory/);
  });
});
