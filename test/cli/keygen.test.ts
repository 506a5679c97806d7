import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  hasStackTrace,
  makeTempDir,
  runCli,
  runShell,
  sshFingerprint,
  sshKeygen,
  CLI,
} from './helpers.js';

let dir: string;

const mode = (file: string): number => fs.statSync(file).mode & 0o777;
const sha = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
/** `TYPE BASE64` of a public key line (the comment dropped). */
const keyPart = (line: string): string => line.trim().split(/\s+/).slice(0, 2).join(' ');

beforeAll(() => {
  ensureBuilt();
  dir = makeTempDir();
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('keyfleet keygen', () => {
  it.each([
    ['ed25519', [], 'ssh-ed25519', 256, 'ED25519'],
    ['ecdsa', [], 'ecdsa-sha2-nistp256', 256, 'ECDSA'],
    ['ecdsa', ['-b', '384'], 'ecdsa-sha2-nistp384', 384, 'ECDSA'],
    ['ecdsa', ['-b', '521'], 'ecdsa-sha2-nistp521', 521, 'ECDSA'],
    ['rsa', [], 'ssh-rsa', 3072, 'RSA'],
    ['rsa', ['-b', '2048'], 'ssh-rsa', 2048, 'RSA'],
  ] as const)(
    '-t %s %j: PATH 0600 and PATH.pub 0644 that ssh-keygen -y reads back',
    (type, extra, wireType, bits, family) => {
      const file = path.join(dir, `id_${type}_${bits}`);
      const r = runCli(['keygen', '-t', type, ...extra, '-C', 'ci@build', '-f', file]);
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
      expect(mode(file)).toBe(0o600);
      expect(mode(`${file}.pub`)).toBe(0o644);
      const pubText = fs.readFileSync(`${file}.pub`, 'utf8');
      expect(pubText).toMatch(new RegExp(`^${wireType} [A-Za-z0-9+/]+=* ci@build\\n$`));
      expect(keyPart(sshKeygen(['-y', '-f', file]))).toBe(keyPart(pubText));
      const fp = sshFingerprint(`${file}.pub`);
      expect(r.stdout).toContain(`${bits} ${fp} ci@build (${family})`);
      expect(fs.readFileSync(file, 'utf8')).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
      expect(r.stdout).not.toContain('PRIVATE KEY');
    },
  );

  it('defaults: ed25519, comment user@host', () => {
    const file = path.join(dir, 'id_default');
    const r = runCli(['keygen', '-f', file]);
    expect(r.status).toBe(0);
    expect(fs.readFileSync(`${file}.pub`, 'utf8')).toMatch(/^ssh-ed25519 \S+ \S+@\S+\n$/);
  });

  it('refuses to overwrite PATH or PATH.pub without --force (exit 1, nothing changed), replaces with --force', () => {
    const file = path.join(dir, 'id_exists');
    expect(runCli(['keygen', '-f', file]).status).toBe(0);
    const before = [sha(file), sha(`${file}.pub`)];

    const again = runCli(['keygen', '-f', file]);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe(
      `keyfleet: error: ${file} already exists; nothing was written (pass --force to overwrite it)\n`,
    );
    expect([sha(file), sha(`${file}.pub`)]).toEqual(before);

    // only the .pub exists: still refused, and no private key is created
    const lone = path.join(dir, 'id_lone');
    fs.writeFileSync(`${lone}.pub`, 'keep me\n');
    const r = runCli(['keygen', '-f', lone]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${lone}.pub already exists`);
    expect(fs.existsSync(lone)).toBe(false);
    expect(fs.readFileSync(`${lone}.pub`, 'utf8')).toBe('keep me\n');

    const forced = runCli(['keygen', '-f', file, '--force']);
    expect(forced.status).toBe(0);
    expect(sha(file)).not.toBe(before[0]);
    expect(mode(file)).toBe(0o600);
    expect(keyPart(sshKeygen(['-y', '-f', file]))).toBe(keyPart(fs.readFileSync(`${file}.pub`, 'utf8')));
    // no temporary files left behind
    expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('--force replaces a symlink at PATH itself, never writing through it', () => {
    const file = path.join(dir, 'id_link');
    const target = path.join(dir, 'link-target');
    fs.writeFileSync(target, 'do not touch\n');
    fs.symlinkSync(target, file);
    expect(runCli(['keygen', '-f', file]).status).toBe(1);
    expect(runCli(['keygen', '-f', file, '--force']).status).toBe(0);
    expect(fs.readFileSync(target, 'utf8')).toBe('do not touch\n');
    expect(fs.lstatSync(file).isSymbolicLink()).toBe(false);
    expect(mode(file)).toBe(0o600);
  });

  it('creates no partial pair when a file cannot be written', () => {
    const file = path.join(dir, 'id_blocked');
    fs.mkdirSync(`${file}.pub`); // PATH.pub is a directory
    const r = runCli(['keygen', '-f', file, '--force']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^keyfleet: error: cannot write .*id_blocked\.pub: it is a directory; nothing was written\n$/,
    );
    expect(fs.existsSync(file)).toBe(false);

    const missingDir = path.join(dir, 'no', 'such', 'dir', 'id');
    const m = runCli(['keygen', '-f', missingDir]);
    expect(m.status).toBe(1);
    expect(m.stderr).toMatch(/no such file or directory; nothing was written/);
    expect(hasStackTrace(m.stderr)).toBe(false);
  });

  it('modes do not depend on the umask: 0600 under umask 000, 0644 .pub under umask 077', () => {
    const cases: [string, string][] = [
      ['000', 'id_umask0'],
      ['077', 'id_umask77'],
    ];
    for (const [umask, name] of cases) {
      const r = runShell(`umask ${umask} && "${process.execPath}" "${CLI}" keygen -f ${name}`, dir);
      expect(r.status, r.stderr).toBe(0);
      expect(mode(path.join(dir, name))).toBe(0o600);
      expect(mode(path.join(dir, `${name}.pub`))).toBe(0o644);
    }
  });

  it('--json prints path, publicKeyPath, type, bits, fingerprint and publicKey, never the private key', () => {
    const file = path.join(dir, 'id_json');
    const r = runCli(['keygen', '-t', 'ecdsa', '-b', '384', '-C', 'j', '-f', file, '--json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toEqual({
      path: file,
      publicKeyPath: `${file}.pub`,
      type: 'ecdsa-sha2-nistp384',
      bits: 384,
      fingerprint: sshFingerprint(`${file}.pub`),
      publicKey: fs.readFileSync(`${file}.pub`, 'utf8').trim(),
    });
    expect(r.stdout).not.toContain('PRIVATE');
  });

  it('--passphrase-file encrypts the key: ssh-keygen needs the passphrase, keyfleet inspect reads it with it', () => {
    const pass = path.join(dir, 'pass');
    fs.writeFileSync(pass, 'open sesame\n');
    const file = path.join(dir, 'id_enc');
    const r = runCli(['keygen', '-f', file, '--passphrase-file', pass]);
    expect(r.status).toBe(0);
    expect(keyPart(sshKeygen(['-y', '-P', 'open sesame', '-f', file]))).toBe(
      keyPart(fs.readFileSync(`${file}.pub`, 'utf8')),
    );
    expect(() => sshKeygen(['-y', '-P', '', '-f', file])).toThrow();
    const inspect = runCli(['inspect', '--passphrase-file', pass, file]);
    expect(inspect.status).toBe(0);
    expect(inspect.stdout).toContain(sshFingerprint(`${file}.pub`));

    const empty = path.join(dir, 'empty-pass');
    fs.writeFileSync(empty, '\n');
    const e = runCli(['keygen', '-f', path.join(dir, 'id_enc2'), '--passphrase-file', empty]);
    expect(e.status).toBe(2);
    expect(e.stderr).toMatch(/first line is empty/);
  });

  it('usage errors exit 2 and name the allowed values; nothing is written', () => {
    const file = path.join(dir, 'id_usage');
    const cases: [string[], RegExp][] = [
      [['-t', 'dsa', '-f', file], /Allowed choices are ed25519, ecdsa, rsa/],
      [['-t', 'ecdsa', '-b', '300', '-f', file], /256, 384, 521/],
      [['-t', 'rsa', '-b', '1024', '-f', file], /at least 2048 bits/],
      [['-t', 'rsa', '-b', '32768', '-f', file], /2048-16384/],
      [['-b', '512', '-f', file], /ed25519 keys are always 256 bits/],
      [['-b', 'big', '-f', file], /expected a whole number of bits/],
      [['-C', 'two\nlines', '-f', file], /line breaks/],
      [[], /required option '-f, --file <path>' not specified/],
      [['-f', file, '--nope'], /unknown option '--nope'/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(['keygen', ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^keyfleet: error: /);
      expect(r.stderr).toMatch(message);
      expect(hasStackTrace(r.stderr)).toBe(false);
    }
    expect(fs.existsSync(file)).toBe(false);
  });
});
