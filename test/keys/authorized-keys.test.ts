import { describe, expect, it } from 'vitest';
import {
  AUTHORIZED_KEYS_OPTION_NAMES,
  formatAuthorizedKeysLine,
  formatAuthorizedKeysOptions,
  optionsExpiry,
  parseAuthorizedKeysLine,
  parseAuthorizedKeysOptions,
  parseExpiryTime,
} from '../../src/keys/authorized-keys.js';
import { KeyParseError } from '../../src/keys/errors.js';
import { vector } from './public-key-fixtures.js';

const ED = vector('ed25519_1.pub');
const ED_FP = vector('ed25519_1.fp');

function parseError(fn: () => unknown, re: RegExp): KeyParseError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(KeyParseError);
  expect((caught as KeyParseError).reason).toMatch(re);
  return caught as KeyParseError;
}

describe('parseAuthorizedKeysLine', () => {
  it('returns null for blank lines and # comments', () => {
    for (const l of ['', '   ', '\t', '\r', '# comment', '   # indented comment', '#' + ED]) {
      expect(parseAuthorizedKeysLine(l)).toBeNull();
    }
  });

  it('a bare key has no options', () => {
    const r = parseAuthorizedKeysLine(ED)!;
    expect(r.options).toEqual([]);
    expect(r.key.fingerprint).toBe(ED_FP);
    expect(r.key.comment).toBe('ED25519 test key #1');
    expect(parseAuthorizedKeysLine('  ' + ED + '\r')!.key.comment).toBe('ED25519 test key #1');
  });

  it('parses flag options, case-insensitively, as lower-case names', () => {
    const r = parseAuthorizedKeysLine(
      `restrict,NO-PTY,no-X11-forwarding,cert-authority,pty,no-touch-required,verify-required ${ED}`,
    )!;
    expect(r.options).toEqual([
      { name: 'restrict' },
      { name: 'no-pty' },
      { name: 'no-x11-forwarding' },
      { name: 'cert-authority' },
      { name: 'pty' },
      { name: 'no-touch-required' },
      { name: 'verify-required' },
    ]);
    expect(r.key.fingerprint).toBe(ED_FP);
  });

  it('parses quoted values with spaces, commas and \\" escapes; backslashes otherwise literal', () => {
    const line =
      'command="/usr/bin/git-shell -c \\"$SSH_ORIGINAL_COMMAND\\"",from="10.0.0.0/8,!10.0.0.1,*.example.com",' +
      'environment="PATH=/bin:/usr/bin",expiry-time="20990101",principals="alice,bob",permitopen="localhost:8080",' +
      'permitopen="[::1]:*",permitlisten="2222",permitlisten="0.0.0.0:*",tunnel="any",command2ok="x" ';
    // "command2ok" is not an option: sshd rejects it and so do we (checked below), drop it here.
    const r = parseAuthorizedKeysLine(line.replace(',command2ok="x"', '') + ED)!;
    expect(r.options).toEqual([
      { name: 'command', value: '/usr/bin/git-shell -c "$SSH_ORIGINAL_COMMAND"' },
      { name: 'from', value: '10.0.0.0/8,!10.0.0.1,*.example.com' },
      { name: 'environment', value: 'PATH=/bin:/usr/bin' },
      { name: 'expiry-time', value: '20990101' },
      { name: 'principals', value: 'alice,bob' },
      { name: 'permitopen', value: 'localhost:8080' },
      { name: 'permitopen', value: '[::1]:*' },
      { name: 'permitlisten', value: '2222' },
      { name: 'permitlisten', value: '0.0.0.0:*' },
      { name: 'tunnel', value: 'any' },
    ]);
    expect(r.key.comment).toBe('ED25519 test key #1');
    parseError(() => parseAuthorizedKeysLine(line + ED), /unknown option "command2ok"/);
    const bs = parseAuthorizedKeysLine(`command="a\\b\\\\c" ${ED}`)!;
    expect(bs.options[0]!.value).toBe('a\\b\\\\c');
  });

  it('an unknown key type is still a key, with or without options', () => {
    const pq = vector('mldsa44_ed25519_1.pub');
    const r = parseAuthorizedKeysLine(pq)!;
    expect(r.options).toEqual([]);
    expect(r.key.family).toBe('UNKNOWN');
    const r2 = parseAuthorizedKeysLine(`restrict ${pq}`)!;
    expect(r2.options).toEqual([{ name: 'restrict' }]);
    expect(r2.key.fingerprint).toBe(vector('mldsa44_ed25519_1.fp'));
  });

  it('certificate-authority lines with a certificate key', () => {
    const r = parseAuthorizedKeysLine(
      `cert-authority,principals="deploy" ${vector('rsa_1_sha512-cert.pub')}`,
    )!;
    expect(r.options[1]).toEqual({ name: 'principals', value: 'deploy' });
    expect(r.key.certificate?.keyId).toBe('hugo');
  });
});

describe('authorized_keys lines sshd would reject', () => {
  const cases: [string, string, RegExp][] = [
    ['unbalanced quote', `command="echo hi ${ED}`, /unbalanced quote in options/],
    ['unbalanced quote, escaped closing quote', `command="echo hi\\" ${ED}`, /unbalanced quote in options/],
    [
      'unknown option (named, and the allowed ones listed)',
      `no-such-thing ${ED}`,
      /unknown option "no-such-thing".*allowed: restrict/,
    ],
    ['negating a flag that cannot be negated', `no-restrict ${ED}`, /unknown option "no-restrict"/],
    ['unquoted value', `command=ls ${ED}`, /must be in double quotes/],
    ['valued option without a value', `command ${ED}`, /command needs a value/],
    ['flag with a value', `pty="yes" ${ED}`, /pty takes no value/],
    ['command twice', `command="a",command="b" ${ED}`, /multiple "command" options/],
    ['from twice', `from="a",from="b" ${ED}`, /multiple "from" options/],
    ['trailing comma', `restrict, ${ED}`, /ends with a comma/],
    ['double comma', `restrict,,pty ${ED}`, /empty option/],
    ['leading comma', `,restrict ${ED}`, /empty option/],
    ['text after a quoted value', `command="a"b ${ED}`, /unexpected text after option command/],
    [
      'bad expiry-time',
      `expiry-time="2030-01-01" ${ED}`,
      /expiry-time="2030-01-01" is not a valid time.*YYYYMMDD/,
    ],
    ['bad environment', `environment="no equals" ${ED}`, /NAME=value/],
    ['bad permitopen', `permitopen="8080" ${ED}`, /permitopen="8080" is not valid/],
    ['bad permitlisten port', `permitlisten="host:99999" ${ED}`, /permitlisten="host:99999" is not valid/],
    ['bad tunnel', `tunnel="tun0" ${ED}`, /tunnel="tun0" is not valid/],
    ['options but no key', 'restrict,pty', /options are not followed by a key/],
    ['options then a broken key', `restrict ssh-ed25519 AAAA`, /truncated key blob/],
  ];
  for (const [what, line, re] of cases) {
    it(what, () => {
      parseError(() => parseAuthorizedKeysLine(line), re);
    });
  }

  it('private key material pasted into authorized_keys is refused without echoing it', () => {
    const body = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW';
    for (const line of [
      '-----BEGIN OPENSSH PRIVATE KEY-----',
      body,
      `restrict ${body}`,
      '-----BEGIN RSA PRIVATE KEY-----',
    ]) {
      const e = parseError(
        () => parseAuthorizedKeysLine(line),
        /private key material.*public key is expected/,
      );
      expect(e.message).not.toContain(body);
    }
  });

  it('a 10 MB line fails at once with the length limit', () => {
    parseError(
      () => parseAuthorizedKeysLine('restrict ' + 'A'.repeat(10 * 1024 * 1024)),
      /at most 65536 characters/,
    );
    parseError(() => parseAuthorizedKeysLine('x'.repeat(10 * 1024 * 1024)), /at most 65536 characters/);
  });

  it('binary garbage is called that', () => {
    parseError(() => parseAuthorizedKeysLine('\u0000\u0001\u0002 \u00ff'), /not an authorized_keys line/);
  });
});

describe('formatting options and lines', () => {
  it('formats options as sshd reads them and round-trips', () => {
    const options = [
      { name: 'restrict' },
      { name: 'command', value: 'echo "a, b" \\ c' },
      { name: 'from', value: '10.0.0.0/8,!10.0.0.1' },
    ];
    const key = parseAuthorizedKeysLine(ED)!.key;
    const line = formatAuthorizedKeysLine(options, key);
    expect(line).toBe(`restrict,command="echo \\"a, b\\" \\ c",from="10.0.0.0/8,!10.0.0.1" ${ED}`);
    const back = parseAuthorizedKeysLine(line)!;
    expect(back.options).toEqual(options);
    expect(back.key.fingerprint).toBe(key.fingerprint);
    expect(formatAuthorizedKeysLine([], key, { comment: false })).toBe(ED.split(' ').slice(0, 2).join(' '));
  });

  it('a value that cannot be written in authorized_keys syntax is refused', () => {
    expect(() => formatAuthorizedKeysOptions([{ name: 'command', value: 'ends with \\' }])).toThrow(
      KeyParseError,
    );
    expect(() => formatAuthorizedKeysOptions([{ name: 'command', value: 'two\nlines' }])).toThrow(
      KeyParseError,
    );
  });

  it('accepts every option name sshd accepts, each with a valid value where it takes one', () => {
    const values: Record<string, string> = {
      command: 'ls',
      from: '10.0.0.0/8',
      environment: 'A=b',
      'expiry-time': '20300101',
      permitopen: 'h:1',
      permitlisten: '1',
      principals: 'a',
      tunnel: '1',
    };
    const flags = ['restrict', 'no-agent-forwarding', 'no-port-forwarding', 'no-pty', 'no-user-rc', 'no-x11-forwarding',
      'cert-authority', 'no-touch-required', 'verify-required', 'agent-forwarding', 'port-forwarding', 'pty',
      'user-rc', 'x11-forwarding']; // prettier-ignore
    for (const n of [...flags, ...Object.keys(values)]) {
      expect(AUTHORIZED_KEYS_OPTION_NAMES).toContain(n);
      const text = n in values ? `${n}="${values[n]}"` : n;
      expect(parseAuthorizedKeysOptions(text)).toEqual([
        n in values ? { name: n, value: values[n] } : { name: n },
      ]);
    }
  });
});

describe('expiry-time', () => {
  it('parses the formats sshd accepts, UTC with Z/UTC, local time otherwise', () => {
    expect(parseExpiryTime('20300101Z')!.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(parseExpiryTime('203001011230Z')!.toISOString()).toBe('2030-01-01T12:30:00.000Z');
    expect(parseExpiryTime('20300101123045UTC')!.toISOString()).toBe('2030-01-01T12:30:45.000Z');
    expect(parseExpiryTime('20300101')!.getTime()).toBe(new Date(2030, 0, 1).getTime());
    expect(parseExpiryTime('203001011230')!.getTime()).toBe(new Date(2030, 0, 1, 12, 30).getTime());
  });

  it('rejects other formats', () => {
    for (const v of [
      '',
      'Z',
      '2030',
      '2030-01-01',
      '20301301',
      '20300100',
      '20300101250000',
      '2030010112',
      '20300101x',
      '19000101Z',
    ]) {
      expect(parseExpiryTime(v)).toBeUndefined();
    }
  });

  it('optionsExpiry is the earliest expiry-time (as sshd uses)', () => {
    const d = optionsExpiry([
      { name: 'expiry-time', value: '20310101Z' },
      { name: 'restrict' },
      { name: 'expiry-time', value: '20300101Z' },
    ]);
    expect(d!.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(optionsExpiry([{ name: 'restrict' }])).toBeUndefined();
  });
});

describe('badly pasted authorized_keys options', () => {
  it('a key without its type gets a hint', () => {
    parseError(() => parseAuthorizedKeysLine(ED.split(' ').slice(1).join(' ')), /key type is missing/);
  });

  it('typographic quotes get a hint', () => {
    parseError(
      () => parseAuthorizedKeysLine(`command=\u201cls\u201d ${ED}`),
      /typographic quotes; use plain ASCII/,
    );
  });
});
