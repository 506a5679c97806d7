import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyParseError } from '../../src/keys/errors.js';
import {
  formatKnownHostsLine,
  hashHostName,
  hostLookupName,
  hostMatches,
  matchPattern,
  parseKnownHostsLine,
} from '../../src/keys/known-hosts.js';
import {
  HAVE_SSH_KEYGEN,
  makeTempDir,
  removeDir,
  sshKeygen,
  sshKeygenStatus,
  vector,
} from './public-key-fixtures.js';

const ED = vector('ed25519_1.pub');
const ED_FP = vector('ed25519_1.fp');

function parseError(fn: () => unknown, re: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(KeyParseError);
  expect((caught as KeyParseError).reason).toMatch(re);
}

describe('parseKnownHostsLine', () => {
  it('null for blank lines and comments', () => {
    for (const l of ['', '  ', '# c', '  #c']) expect(parseKnownHostsLine(l)).toBeNull();
  });

  it('plain host patterns', () => {
    const e = parseKnownHostsLine(`github.com,140.82.112.3,[git.example.com]:2222 ${ED}`)!;
    expect(e.hosts).toEqual(['github.com', '140.82.112.3', '[git.example.com]:2222']);
    expect(e.hashed).toBe(false);
    expect(e.marker).toBeUndefined();
    expect(e.key.fingerprint).toBe(ED_FP);
    expect(e.key.comment).toBe('ED25519 test key #1');
  });

  it('markers', () => {
    const ca = parseKnownHostsLine(`@cert-authority *.example.com ${ED}`)!;
    expect(ca.marker).toBe('@cert-authority');
    expect(ca.hosts).toEqual(['*.example.com']);
    const rev = parseKnownHostsLine(`@revoked * ${vector('rsa_1.pub')}`)!;
    expect(rev.marker).toBe('@revoked');
    expect(rev.key.family).toBe('RSA');
  });

  it('hashed hosts', () => {
    const name = hashHostName('github.com', Buffer.alloc(20, 1));
    const e = parseKnownHostsLine(`${name} ${ED}`)!;
    expect(e.hashed).toBe(true);
    expect(e.hosts).toEqual([name]);
  });

  it('formatKnownHostsLine round-trips', () => {
    for (const l of [`@cert-authority *.example.com,!x.example.com ${ED}`, `a,b ${ED}`]) {
      expect(formatKnownHostsLine(parseKnownHostsLine(l)!)).toBe(l);
    }
  });

  it('errors: unknown marker, missing hosts, missing key, bad hashed entry, empty pattern, bad key', () => {
    parseError(
      () => parseKnownHostsLine(`@trusted host ${ED}`),
      /unknown marker "@trusted" \(allowed: @cert-authority, @revoked\)/,
    );
    parseError(() => parseKnownHostsLine(ED), /missing host patterns/);
    parseError(() => parseKnownHostsLine('@revoked'), /missing host patterns/);
    parseError(() => parseKnownHostsLine('host.example.com'), /missing the key/);
    parseError(() => parseKnownHostsLine(`|1|abc|def ${ED}`), /malformed hashed host entry/);
    parseError(
      () =>
        parseKnownHostsLine(
          `|2|${Buffer.alloc(20).toString('base64')}|${Buffer.alloc(20).toString('base64')} ${ED}`,
        ),
      /malformed hashed/,
    );
    parseError(() => parseKnownHostsLine(`a,,b ${ED}`), /empty host pattern/);
    parseError(() => parseKnownHostsLine('host ssh-ed25519 AAAA'), /truncated key blob/);
    parseError(() => parseKnownHostsLine('host ssh-rsa ' + ED.split(' ')[1]), /does not match/);
  });

  it('a 10 MB line fails at once with the length limit', () => {
    parseError(() => parseKnownHostsLine('host ' + 'A'.repeat(10 * 1024 * 1024)), /at most 65536 characters/);
  });

  it('private key material is refused', () => {
    parseError(() => parseKnownHostsLine('-----BEGIN OPENSSH PRIVATE KEY-----'), /private key material/);
  });
});

describe('host matching', () => {
  it('lookup names: [host]:port unless the port is 22', () => {
    expect(hostLookupName('Git.Example.com')).toBe('git.example.com');
    expect(hostLookupName('h', 22)).toBe('h');
    expect(hostLookupName('h', 2222)).toBe('[h]:2222');
  });

  it('wildcards and negation', () => {
    expect(matchPattern('a.example.com', '*.example.com')).toBe(true);
    expect(matchPattern('example.com', '*.example.com')).toBe(false);
    expect(matchPattern('host1', 'host?')).toBe(true);
    expect(matchPattern('host12', 'host?')).toBe(false);
    expect(matchPattern('abc', '*')).toBe(true);
    expect(matchPattern('', '*')).toBe(true);
    expect(matchPattern('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab', '*a*a*a*a*a*a*a*a*a*a*a*a*c')).toBe(
      false,
    );
    const e = { hosts: ['*.example.com', '!bad.example.com'], hashed: false };
    expect(hostMatches(e, 'a.example.com')).toBe(true);
    expect(hostMatches(e, 'A.EXAMPLE.COM')).toBe(true);
    expect(hostMatches(e, 'bad.example.com')).toBe(false);
    expect(hostMatches(e, 'a.example.org')).toBe(false);
    expect(hostMatches({ hosts: ['[git.example.com]:2222'], hashed: false }, 'git.example.com', 2222)).toBe(
      true,
    );
    expect(hostMatches({ hosts: ['[git.example.com]:2222'], hashed: false }, 'git.example.com')).toBe(false);
    expect(hostMatches({ hosts: ['git.example.com'], hashed: false }, 'git.example.com', 2222)).toBe(false);
  });

  it('hashed entries by HMAC-SHA1', () => {
    const e = parseKnownHostsLine(`${hashHostName('[git.example.com]:2222', Buffer.alloc(20, 9))} ${ED}`)!;
    expect(hostMatches(e, 'git.example.com', 2222)).toBe(true);
    expect(hostMatches(e, 'git.example.com')).toBe(false);
    expect(hostMatches(e, 'other', 2222)).toBe(false);
  });
});

describe.runIf(HAVE_SSH_KEYGEN)(
  'host matching agrees with ssh-keygen -F (plain and ssh-keygen -H hashed files)',
  () => {
    let dir: string;
    const lines = [
      `*.example.com,!bad.example.com ${ED}`,
      `[git.example.com]:2222 ${ED}`,
      `git.example.com,10.0.0.1 ${ED}`,
      `h?st ${ED}`,
      `@cert-authority *.corp ${ED}`,
      `web*,!web2 ${ED}`,
      `@revoked [*.example.com]:* ${ED}`,
    ];
    const queries: [string, number | undefined][] = [
      ['a.example.com', undefined],
      ['bad.example.com', undefined],
      ['git.example.com', undefined],
      ['git.example.com', 2222],
      ['a.example.com', 2200],
      ['10.0.0.1', undefined],
      ['HOST', undefined],
      ['x.corp', undefined],
      ['web1', undefined],
      ['web2', undefined],
      ['nowhere', undefined],
    ];

    beforeAll(() => {
      dir = makeTempDir();
    });
    afterAll(() => removeDir(dir));

    function keygenFound(file: string, name: string): number[] {
      // Exit status 1 means "not found"; the listing on stdout is what counts.
      const { stdout: out } = sshKeygenStatus(['-F', name, '-f', file]);
      return [...out.matchAll(/found: line (\d+)/g)].map((m) => Number(m[1]));
    }

    it('plain patterns: the same lines match every query', () => {
      const file = path.join(dir, 'known_hosts');
      fs.writeFileSync(file, lines.join('\n') + '\n');
      for (const [host, port] of queries) {
        const ours = lines.flatMap((l, i) =>
          hostMatches(parseKnownHostsLine(l)!, host, port) ? [i + 1] : [],
        );
        expect([host, port, ours]).toEqual([host, port, keygenFound(file, hostLookupName(host, port))]);
      }
    });

    it('hashed by ssh-keygen -H: the same lines match every query', () => {
      const file = path.join(dir, 'known_hosts_hashed');
      fs.writeFileSync(file, lines.join('\n') + '\n');
      sshKeygen(['-H', '-f', file]);
      const hashedLines = fs.readFileSync(file, 'utf8').trim().split('\n');
      const entries = hashedLines.map((l) => parseKnownHostsLine(l)!);
      expect(entries.filter((e) => e.hashed).length).toBeGreaterThanOrEqual(2);
      for (const [host, port] of queries) {
        const ours = entries.flatMap((e, i) => (hostMatches(e, host, port) ? [i + 1] : []));
        expect([host, port, ours]).toEqual([host, port, keygenFound(file, hostLookupName(host, port))]);
      }
    });
  },
);
