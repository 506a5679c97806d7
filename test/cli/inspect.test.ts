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
  sshKeygen,
} from './helpers.js';
import type { InspectJson } from './helpers.js';

let dir: string;
const keys: Record<string, string> = {};

/** [name, ssh-keygen -t, extra args, family, bits] */
const TYPES: [string, string, string[], string, number][] = [
  ['ed25519', 'ed25519', [], 'ED25519', 256],
  ['ecdsa256', 'ecdsa', ['-b', '256'], 'ECDSA', 256],
  ['ecdsa384', 'ecdsa', ['-b', '384'], 'ECDSA', 384],
  ['ecdsa521', 'ecdsa', ['-b', '521'], 'ECDSA', 521],
  ['rsa2048', 'rsa', ['-b', '2048'], 'RSA', 2048],
  ['rsa3072', 'rsa', ['-b', '3072'], 'RSA', 3072],
];

function inspectJson(
  args: string[],
  input?: string,
): { status: number | null; doc: InspectJson; stderr: string } {
  const r = runCli(['inspect', '--json', ...args], input === undefined ? {} : { input });
  return { status: r.status, doc: JSON.parse(r.stdout) as InspectJson, stderr: r.stderr };
}

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const pub = (name: string): string => fs.readFileSync(`${keys[name]}.pub`, 'utf8').trim();

beforeAll(() => {
  ensureBuilt();
  dir = makeTempDir();
  for (const [name, type, extra] of TYPES) keys[name] = genKey(dir, name, type, extra);
  keys.rsa1024 = genKey(dir, 'rsa1024', 'rsa', ['-b', '1024']);
}, 120_000);

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('keyfleet inspect: keys of every type', () => {
  it.each(TYPES)(
    '%s: table row with type, bits and the fingerprint ssh-keygen prints',
    (name, _t, _e, family, bits) => {
      const r = runCli(['inspect', `${keys[name]}.pub`]);
      expect(r.status).toBe(bits < 3072 && family === 'RSA' ? 0 : 0); // weak is not a failure by default
      const [header, row, ...rest] = r.stdout.trimEnd().split('\n');
      expect(header).toMatch(/^SOURCE\s+TYPE\s+BITS\s+FINGERPRINT\s+COMMENT\s+VERDICT$/);
      expect(rest).toEqual([]);
      const cells = row!.split(/\s{2,}/);
      expect(cells).toEqual([
        `${keys[name]}.pub:1`,
        family,
        String(bits),
        sshFingerprint(`${keys[name]}.pub`),
        `${name}@test`,
        family === 'RSA' && bits < 3072 ? 'weak' : 'ok',
      ]);
      expect(r.stderr).toBe('');
    },
  );

  it('--json gives one document with every documented field, fingerprints as ssh-keygen', () => {
    const files = TYPES.map(([name]) => `${keys[name]}.pub`);
    const { status, doc } = inspectJson(files);
    expect(status).toBe(0);
    expect(doc.errors).toEqual([]);
    expect(doc.keys).toHaveLength(TYPES.length);
    for (const [i, [name, , , family, bits]] of TYPES.entries()) {
      const k = doc.keys[i]!;
      expect(Object.keys(k).slice(0, 10)).toEqual([
        'source',
        'type',
        'family',
        'bits',
        'fingerprint',
        'md5',
        'comment',
        'options',
        'certificate',
        'knownHost',
      ]);
      expect(k).toMatchObject({
        source: `${keys[name]}.pub:1`,
        type: pub(name).split(' ')[0],
        family,
        bits,
        fingerprint: sshFingerprint(`${keys[name]}.pub`),
        md5: sshFingerprint(`${keys[name]}.pub`, 'md5'),
        comment: `${name}@test`,
        options: [],
        certificate: null,
        knownHost: null,
        fromPrivateKey: false,
      });
      expect(k.verdict).toBe(family === 'RSA' && bits < 3072 ? 'weak' : 'ok');
      if (k.verdict === 'weak') expect(k.findings.map((f) => f.code)).toContain('rsa-weak');
      else expect(k.findings).toEqual([]);
    }
  });

  it('-E md5 shows MD5 fingerprints in the table, as ssh-keygen -E md5', () => {
    const r = runCli(['inspect', '-E', 'md5', `${keys.ed25519}.pub`]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(sshFingerprint(`${keys.ed25519}.pub`, 'md5'));
    expect(r.stdout).not.toContain('SHA256:');
  });

  it('reads standard input with "-" and with no file at all', () => {
    const text = `${pub('ed25519')}\n${pub('ecdsa256')}\n`;
    for (const args of [['-'], []]) {
      const { status, doc } = inspectJson(args, text);
      expect(status).toBe(0);
      expect(doc.keys.map((k) => k.source)).toEqual(['(stdin):1', '(stdin):2']);
      expect(doc.keys[1]!.fingerprint).toBe(sshFingerprint(`${keys.ecdsa256}.pub`));
    }
  });

  it('control characters in a comment never reach the terminal in table mode', () => {
    const file = write(
      'escape.pub',
      `${pub('ed25519').split(' ').slice(0, 2).join(' ')} evil\u001b[31mred\n`,
    );
    const r = runCli(['inspect', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).toContain('evil?[31mred');
    expect(inspectJson([file]).doc.keys[0]!.comment).toBe('evil\u001b[31mred');
  });
});

describe('keyfleet inspect: file kinds', () => {
  it('authorized_keys: options (quoted, with spaces and commas), comments, blank lines, line numbers', () => {
    const file = write(
      'authorized_keys',
      [
        '# team keys',
        '',
        `restrict,command="rsync --server -logDtpre.iLsfxC . /data",from="10.0.0.0/8,192.168.1.1" ${pub('ed25519')}`,
        `no-pty,expiry-time="20991231" ${pub('ecdsa384')}`,
        `   ${pub('rsa3072')}`,
      ].join('\n') + '\n',
    );
    const { status, doc } = inspectJson([file]);
    expect(status).toBe(0);
    expect(doc.errors).toEqual([]);
    expect(doc.keys.map((k) => k.source)).toEqual([`${file}:3`, `${file}:4`, `${file}:5`]);
    expect(doc.keys[0]!.options).toEqual([
      { name: 'restrict' },
      { name: 'command', value: 'rsync --server -logDtpre.iLsfxC . /data' },
      { name: 'from', value: '10.0.0.0/8,192.168.1.1' },
    ]);
    expect(doc.keys[1]!.options).toEqual([{ name: 'no-pty' }, { name: 'expiry-time', value: '20991231' }]);
    expect(doc.keys[2]!.fingerprint).toBe(sshFingerprint(`${keys.rsa3072}.pub`));
  });

  it('authorized_keys: an expired expiry-time option fails the key (exit 1)', () => {
    const file = write('expired_ak', `expiry-time="20200101" ${pub('ed25519')}\n`);
    const { status, doc } = inspectJson([file]);
    expect(status).toBe(1);
    expect(doc.keys[0]!.verdict).toBe('expired');
    expect(doc.keys[0]!.findings.map((f) => f.code)).toContain('option-expired');
  });

  it('known_hosts: plain and hashed hosts, @cert-authority and @revoked markers', () => {
    const plain = write(
      'known_hosts_plain',
      `git.example.com,10.1.2.3 ${pub('ed25519').split(' ').slice(0, 2).join(' ')}\n` +
        `[build.example.com]:2222 ${pub('ecdsa256').split(' ').slice(0, 2).join(' ')}\n`,
    );
    sshKeygen(['-H', '-f', plain]); // hashes in place (keeps a .old copy)
    const hashedText = fs.readFileSync(plain, 'utf8');
    expect(hashedText).toMatch(/^\|1\|/);
    const file = write(
      'known_hosts',
      hashedText +
        `@cert-authority *.example.com ${pub('ecdsa384').split(' ').slice(0, 2).join(' ')}\n` +
        `@revoked old.example.com ${pub('rsa2048').split(' ').slice(0, 2).join(' ')}\n`,
    );
    const { status, doc } = inspectJson([file]);
    expect(status).toBe(0);
    expect(doc.errors).toEqual([]);
    const hosts = doc.keys.map((k) => k.knownHost!);
    // ssh-keygen -H writes one hashed line per host name: 3 hashed lines, then the 2 markers.
    expect(hosts.map((h) => [h.marker, h.hashed])).toEqual([
      [undefined, true],
      [undefined, true],
      [undefined, true],
      ['@cert-authority', false],
      ['@revoked', false],
    ]);
    for (const h of hosts.slice(0, 3)) expect(h.hosts[0]).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+$/);
    expect(hosts[3]).toEqual({ marker: '@cert-authority', hosts: ['*.example.com'], hashed: false });
    expect(hosts[4]).toEqual({ marker: '@revoked', hosts: ['old.example.com'], hashed: false });
    const fp = (n: string): string => sshFingerprint(`${keys[n]}.pub`);
    expect(doc.keys.map((k) => k.fingerprint)).toEqual([
      fp('ed25519'),
      fp('ed25519'),
      fp('ecdsa256'),
      fp('ecdsa384'),
      fp('rsa2048'),
    ]);
    const table = runCli(['inspect', file]);
    expect(table.stdout).toContain('@revoked old.example.com');
  });

  it('certificates: key id, principals, validity, CA fingerprint, role and serial', () => {
    const ca = genKey(dir, 'ca', 'ed25519');
    const userKey = genKey(dir, 'certuser', 'ecdsa');
    sshKeygen([
      '-q',
      '-s',
      ca,
      '-I',
      'alice@corp',
      '-n',
      'alice,deploy',
      '-z',
      '42',
      '-V',
      '20200101:20990101',
      `${userKey}.pub`,
    ]);
    const expiredKey = genKey(dir, 'certold', 'ed25519');
    sshKeygen(['-q', '-s', ca, '-I', 'old', '-h', '-V', '20200101:20200102', `${expiredKey}.pub`]);
    const foreverKey = genKey(dir, 'certforever', 'ed25519');
    sshKeygen(['-q', '-s', ca, '-I', 'forever', '-n', 'bob', `${foreverKey}.pub`]);

    const { status, doc } = inspectJson([`${userKey}-cert.pub`, `${foreverKey}-cert.pub`]);
    expect(status).toBe(0);
    const [cert, forever] = doc.keys;
    expect(cert!.type).toBe('ecdsa-sha2-nistp256-cert-v01@openssh.com');
    expect(cert!.fingerprint).toBe(sshFingerprint(`${userKey}-cert.pub`));
    expect(cert!.certificate).toEqual({
      keyId: 'alice@corp',
      principals: ['alice', 'deploy'],
      validAfter: new Date(2020, 0, 1).toISOString(),
      validBefore: new Date(2099, 0, 1).toISOString(),
      caFingerprint: sshFingerprint(`${ca}.pub`),
      role: 'user',
      serial: '42',
    });
    expect(forever!.certificate).toMatchObject({ validAfter: null, validBefore: null, principals: ['bob'] });
    const table = runCli(['inspect', `${userKey}-cert.pub`]);
    expect(table.stdout).toMatch(/ECDSA-CERT\s+256/);

    const old = inspectJson([`${expiredKey}-cert.pub`]);
    expect(old.status).toBe(1); // expired always fails
    expect(old.doc.keys[0]!.verdict).toBe('expired');
    expect(old.doc.keys[0]!.certificate!.role).toBe('host');
  });

  it.each([
    ['OpenSSH ed25519', 'priv_ed', 'ed25519', []],
    ['OpenSSH rsa', 'priv_rsa', 'rsa', ['-b', '2048']],
    ['PEM rsa', 'priv_pem_rsa', 'rsa', ['-b', '2048', '-m', 'PEM']],
    ['PEM ecdsa', 'priv_pem_ec', 'ecdsa', ['-m', 'PEM']],
    ['PKCS#8 ecdsa', 'priv_p8_ec', 'ecdsa', ['-b', '384', '-m', 'PKCS8']],
  ])(
    'private key file (%s): the public half is reported, no private material is printed',
    (_l, name, type, extra) => {
      const file = genKey(dir, name, type, extra);
      for (const args of [[file], ['--json', file]]) {
        const r = runCli(['inspect', ...args]);
        expect(r.status).toBe(0);
        expect(r.stdout).toContain(sshFingerprint(`${file}.pub`));
        for (const line of privateBodyLines(file)) {
          expect(r.stdout).not.toContain(line.slice(0, 24));
          expect(r.stderr).not.toContain(line.slice(0, 24));
        }
      }
      const { doc } = inspectJson([file]);
      expect(doc.keys[0]).toMatchObject({ source: file, fromPrivateKey: true });
    },
  );

  it('encrypted private key: a clear error naming --passphrase-file, then success with it', () => {
    const file = path.join(dir, 'enc_ed');
    sshKeygen(['-q', '-t', 'ed25519', '-N', 'correct horse', '-C', 'enc', '-f', file]);
    const pemFile = path.join(dir, 'enc_pem');
    sshKeygen(['-q', '-t', 'ecdsa', '-m', 'PEM', '-N', 'correct horse', '-f', pemFile]);
    for (const f of [file, pemFile]) {
      const without = runCli(['inspect', f]);
      expect(without.status).toBe(2);
      expect(without.stderr).toMatch(new RegExp(`^keyfleet: error: ${f}: .*encrypted.*--passphrase-file`));
      expect(hasStackTrace(without.stderr)).toBe(false);
    }
    const pass = write('pass.txt', 'correct horse\n');
    const wrong = write('wrong.txt', 'battery staple\n');
    const ok = inspectJson(['--passphrase-file', pass, file, pemFile]);
    expect(ok.status).toBe(0);
    expect(ok.doc.keys.map((k) => k.fingerprint)).toEqual([
      sshFingerprint(`${file}.pub`),
      sshFingerprint(`${pemFile}.pub`),
    ]);
    const bad = runCli(['inspect', '--passphrase-file', wrong, file]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/wrong passphrase/);
    const missing = runCli(['inspect', '--passphrase-file', path.join(dir, 'nope.txt'), file]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(
      `--passphrase-file ${path.join(dir, 'nope.txt')}: no such file or directory`,
    );
  });
});

describe('keyfleet inspect: exit codes and policy flags', () => {
  it('0 when every key passes; 1 for a forbidden key; 2 when an input fails, the rest still reported', () => {
    expect(runCli(['inspect', `${keys.ed25519}.pub`, `${keys.rsa2048}.pub`]).status).toBe(0);

    const forbidden = inspectJson([`${keys.ed25519}.pub`, `${keys.rsa1024}.pub`]);
    expect(forbidden.status).toBe(1);
    expect(forbidden.doc.keys[1]).toMatchObject({ bits: 1024, verdict: 'forbidden' });
    expect(forbidden.doc.keys[1]!.findings[0]).toMatchObject({ code: 'rsa-forbidden', severity: 'high' });

    const missing = path.join(dir, 'missing.pub');
    const mixed = inspectJson([`${keys.ed25519}.pub`, missing, `${keys.rsa1024}.pub`]);
    expect(mixed.status).toBe(2); // an unreadable input outranks a policy failure
    expect(mixed.doc.keys).toHaveLength(2);
    expect(mixed.doc.errors).toEqual([
      { source: missing, code: 'INPUT', message: 'no such file or directory' },
    ]);
  });

  it('--fail-on weak makes a weak key fail; --min-rsa-bits moves the weak threshold', () => {
    expect(runCli(['inspect', '--fail-on', 'weak', `${keys.rsa2048}.pub`]).status).toBe(1);
    expect(runCli(['inspect', '--fail-on', 'weak', `${keys.rsa3072}.pub`]).status).toBe(0);
    const stricter = inspectJson(['--min-rsa-bits', '4096', '--fail-on', 'weak', `${keys.rsa3072}.pub`]);
    expect(stricter.status).toBe(1);
    expect(stricter.doc.keys[0]!.verdict).toBe('weak');
    const laxer = inspectJson(['--min-rsa-bits', '2048', `${keys.rsa2048}.pub`]);
    expect(laxer.doc.keys[0]!.verdict).toBe('ok');
  });

  it('bad flag values are usage errors (exit 2) naming what is allowed', () => {
    const cases: [string[], RegExp][] = [
      [['--fail-on', 'meh'], /Allowed choices are weak, forbidden/],
      [['-E', 'sha1'], /Allowed choices are sha256, md5/],
      [['--min-rsa-bits', 'lots'], /whole number from 2048 to 16384/],
      [['--min-rsa-bits', '1024'], /whole number from 2048 to 16384/],
      [['--bogus'], /unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(['inspect', ...args, `${keys.ed25519}.pub`]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^keyfleet: error: /);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });

  it('streams: a 20,000-line file gives one row per key in order, and JSON that parses', () => {
    const lines = ['ed25519', 'ecdsa256', 'rsa3072', 'ecdsa521'].map((n) => pub(n));
    const text = Array.from(
      { length: 20_000 },
      (_, i) => `${lines[i % 4]!.split(' ').slice(0, 2).join(' ')} k${i}`,
    ).join('\n');
    const file = write('many', text + '\n');
    const table = runCli(['inspect', file]);
    expect(table.status).toBe(0);
    const rows = table.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(20_001);
    expect(rows[20_000]).toMatch(new RegExp(`^${file}:20000\\s+ECDSA\\s+521 .* k19999\\s+ok$`));
    const { doc } = inspectJson([file]);
    expect(doc.keys).toHaveLength(20_000);
    expect(doc.keys[19_999]!.comment).toBe('k19999');
  });

  it('--json output is exactly the pretty-printed document', () => {
    const r = runCli(['inspect', '--json', `${keys.ed25519}.pub`, path.join(dir, 'absent')]);
    expect(r.stdout).toBe(JSON.stringify(JSON.parse(r.stdout), null, 2) + '\n');
    const empty = runCli(['inspect', '--json', path.join(dir, 'absent')]);
    expect(empty.stdout).toBe(JSON.stringify(JSON.parse(empty.stdout), null, 2) + '\n');
    expect(JSON.parse(empty.stdout).keys).toEqual([]);
  });
});
