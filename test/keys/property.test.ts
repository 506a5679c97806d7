/**
 * Property tests (fast-check): formatting a parsed key and parsing it again gives the same key;
 * no input, however broken, makes the parsers throw anything but KeyParseError; points moved off
 * their curve are rejected; option lists and host patterns behave like sshd's.
 */
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatAuthorizedKeysLine,
  parseAuthorizedKeysLine,
  parseAuthorizedKeysOptions,
  formatAuthorizedKeysOptions,
} from '../../src/keys/authorized-keys.js';
import { certificateToJson } from '../../src/keys/certificate.js';
import { KeyParseError } from '../../src/keys/errors.js';
import { evaluateKey } from '../../src/keys/policy.js';
import { hashHostName, hostMatches, matchPattern, parseKnownHostsLine } from '../../src/keys/known-hosts.js';
import { formatPublicKey, parsePublicKey, parsePublicKeyBlob } from '../../src/keys/public-key.js';
import type { KeyOption, PublicKey } from '../../src/keys/types.js';
import { VECTORS, buildEd25519Cert, sshMpint, sshString, vector } from './public-key-fixtures.js';
import fs from 'node:fs';

const RUNS = 300;

/** Runs `fn`; passes if it returns or throws a KeyParseError, fails on any other throw. */
function onlyKeyParseErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof KeyParseError)) throw err;
    expect(err.reason.length).toBeGreaterThan(0);
  }
}

// A pool of real keys of every type (EC and RSA generation is too slow to do per run).
function ecPoint(namedCurve: string, size: number): Buffer {
  const jwk = generateKeyPairSync('ec', { namedCurve }).publicKey.export({ format: 'jwk' });
  const pad = (b64: string): Buffer => {
    const b = Buffer.from(b64, 'base64url');
    return Buffer.concat([Buffer.alloc(size - b.length), b]);
  };
  return Buffer.concat([Buffer.from([4]), pad(jwk.x!), pad(jwk.y!)]);
}
const EC_CURVES = [
  ['nistp256', 'prime256v1', 32],
  ['nistp384', 'secp384r1', 48],
  ['nistp521', 'secp521r1', 66],
] as const;
const EC_POOL = EC_CURVES.flatMap(([curve, node, size]) =>
  Array.from({ length: 4 }, () => ({ curve, size, point: ecPoint(node, size) })),
);
const RSA_POOL = [1024, 2048, 3072].map((bits) => {
  const jwk = generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' });
  return Buffer.concat([
    sshString('ssh-rsa'),
    sshMpint(Buffer.from(jwk.e!, 'base64url')),
    sshMpint(Buffer.from(jwk.n!, 'base64url')),
  ]);
});

/** Arbitrary key blobs of every parseable type. */
const blobArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc
    .uint8Array({ minLength: 32, maxLength: 32 })
    .map((pk) => Buffer.concat([sshString('ssh-ed25519'), sshString(pk)])),
  fc
    .tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.string({ maxLength: 20 }))
    .map(([pk, app]) =>
      Buffer.concat([sshString('sk-ssh-ed25519@openssh.com'), sshString(pk), sshString('ssh:' + app)]),
    ),
  fc
    .constantFrom(...EC_POOL)
    .map(({ curve, point }) =>
      Buffer.concat([sshString(`ecdsa-sha2-${curve}`), sshString(curve), sshString(point)]),
    ),
  fc
    .tuple(fc.constantFrom(...EC_POOL.filter((p) => p.curve === 'nistp256')), fc.string({ maxLength: 10 }))
    .map(([{ point }, app]) =>
      Buffer.concat([
        sshString('sk-ecdsa-sha2-nistp256@openssh.com'),
        sshString('nistp256'),
        sshString(point),
        sshString('ssh:' + app),
      ]),
    ),
  fc.constantFrom(...RSA_POOL),
  fc
    .record({
      keyId: fc.string({ maxLength: 30 }),
      principals: fc.array(fc.string({ maxLength: 12 }), { maxLength: 4 }),
      serial: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      role: fc.constantFrom(1, 2),
      validAfter: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      validBefore: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    })
    .map((spec) => buildEd25519Cert(spec).blob),
  fc
    .tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,15}@example\.com$/), fc.uint8Array({ maxLength: 64 }))
    .map(([type, data]) => Buffer.concat([sshString(type), sshString(data)])),
);

/** Comments as they survive a line: no line breaks, no surrounding blanks. */
const commentArb = fc
  .string({ maxLength: 40, unit: 'grapheme' })
  .map((s) => s.replace(/[\r\n\t\v\f]/g, ' ').trim());

function sameKey(a: PublicKey, b: PublicKey): void {
  expect(b.type).toBe(a.type);
  expect(b.blob.equals(a.blob)).toBe(true);
  expect([b.fingerprint, b.md5, b.bits, b.family, b.comment, b.curve, b.application]).toEqual([
    a.fingerprint,
    a.md5,
    a.bits,
    a.family,
    a.comment,
    a.curve,
    a.application,
  ]);
  expect(b.certificate).toEqual(a.certificate);
}

describe('round trips', () => {
  it('parsePublicKey(formatPublicKey(key)) is the same key, and the text is reproduced exactly', () => {
    fc.assert(
      fc.property(blobArb, commentArb, (blob, comment) => {
        const key = parsePublicKeyBlob(blob, comment);
        // Policy evaluation and the JSON form accept every key, whatever its certificate times.
        expect(['ok', 'weak', 'forbidden', 'expired']).toContain(evaluateKey(key).verdict);
        if (key.certificate) expect(() => JSON.stringify(certificateToJson(key.certificate!))).not.toThrow();
        const text = formatPublicKey(key);
        const back = parsePublicKey(text);
        sameKey(key, back);
        expect(formatPublicKey(back)).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });

  it('authorized_keys lines with random options round-trip', () => {
    const flag = fc.constantFrom(
      'restrict',
      'no-pty',
      'no-agent-forwarding',
      'cert-authority',
      'pty',
      'no-x11-forwarding',
    );
    const safeValue = fc
      .string({ maxLength: 30, unit: 'grapheme' })
      .map((s) => s.replace(/[\r\n\0]/g, '').replace(/\\+$/, ''));
    const valued = fc.tuple(fc.constantFrom('command', 'from', 'principals'), safeValue);
    const options = fc
      .array(
        fc.oneof(
          flag.map((name): KeyOption => ({ name })),
          valued.map(([name, value]): KeyOption => ({ name, value })),
        ),
        {
          maxLength: 6,
        },
      )
      // sshd allows command/from/principals once each.
      .map((opts) =>
        opts.filter((o, i) => o.value === undefined || opts.findIndex((p) => p.name === o.name) === i),
      );
    fc.assert(
      fc.property(options, blobArb, commentArb, (opts, blob, comment) => {
        const key = parsePublicKeyBlob(blob, comment);
        const line = formatAuthorizedKeysLine(opts, key);
        const back = parseAuthorizedKeysLine(line)!;
        expect(back.options).toEqual(opts);
        sameKey(key, back.key);
        if (opts.length > 0)
          expect(parseAuthorizedKeysOptions(formatAuthorizedKeysOptions(opts))).toEqual(opts);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('no input crashes the parsers', () => {
  const parsers: [string, (s: string) => unknown][] = [
    ['parsePublicKey', parsePublicKey],
    ['parseAuthorizedKeysLine', parseAuthorizedKeysLine],
    ['parseKnownHostsLine', parseKnownHostsLine],
  ];

  for (const [name, parse] of parsers) {
    it(`${name}: arbitrary strings and bytes`, () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ maxLength: 200 }),
            fc.string({ maxLength: 200, unit: 'binary' }),
            fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
            // Plausible prefixes followed by noise.
            fc
              .tuple(
                fc.constantFrom(
                  'ssh-ed25519 ',
                  'ssh-rsa AAAA',
                  'restrict ',
                  'command="',
                  '@revoked ',
                  '|1|',
                  'host ssh-rsa ',
                ),
                fc.string({ maxLength: 100 }),
              )
              .map(([a, b]) => a + b),
          ),
          (s) => onlyKeyParseErrors(() => parse(s)),
        ),
        { numRuns: RUNS },
      );
    });
  }

  const validLines = fs
    .readdirSync(VECTORS)
    .filter((f) => f.endsWith('.pub') && !f.includes('.param.'))
    .map((f) => vector(f));

  it('mutated valid lines (bit flips in the blob, truncation, character edits) give a key or a KeyParseError', () => {
    const mutation = fc.oneof(
      // Flip one bit of the decoded blob and re-encode: deep in the binary parser.
      fc.record({ kind: fc.constant('flip' as const), pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      // Cut the decoded blob short.
      fc.record({ kind: fc.constant('cut-blob' as const), pos: fc.nat() }),
      // Cut the text short.
      fc.record({ kind: fc.constant('cut-text' as const), pos: fc.nat() }),
      // Replace one character of the text.
      fc.record({
        kind: fc.constant('edit' as const),
        pos: fc.nat(),
        ch: fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
      }),
    );
    const prefix = fc.constantFrom(
      '',
      'restrict ',
      'command="x y",from="a,b" ',
      'host1,*.example.com ',
      '@cert-authority * ',
    );
    fc.assert(
      fc.property(fc.constantFrom(...validLines), mutation, prefix, (line, m, pre) => {
        const [type, b64, ...rest] = line.split(' ');
        let text: string;
        if (m.kind === 'flip' || m.kind === 'cut-blob') {
          const blob = Buffer.from(b64!, 'base64');
          const pos = m.pos % blob.length;
          const mutated = m.kind === 'flip' ? Buffer.from(blob) : blob.subarray(0, pos);
          if (m.kind === 'flip') mutated[pos]! ^= 1 << m.bit;
          text = [type, mutated.toString('base64'), ...rest].join(' ');
        } else if (m.kind === 'cut-text') {
          text = line.slice(0, m.pos % line.length);
        } else {
          const pos = m.pos % line.length;
          text = line.slice(0, pos) + m.ch + line.slice(pos + 1);
        }
        for (const parse of [parsePublicKey, parseAuthorizedKeysLine, parseKnownHostsLine]) {
          onlyKeyParseErrors(() => parse(pre + text));
          onlyKeyParseErrors(() => parse(text));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('a bit flip in a signed certificate is rejected (or, in the type name, makes it an unknown type)', () => {
    const blob = buildEd25519Cert({ keyId: 'prop', principals: ['a', 'b'] }).blob;
    fc.assert(
      fc.property(fc.nat({ max: blob.length - 1 }), fc.integer({ min: 0, max: 7 }), (pos, bit) => {
        const m = Buffer.from(blob);
        m[pos]! ^= 1 << bit;
        // Every byte before the signature is signed, and Ed25519 signatures are not malleable:
        // any change fails verification or parsing, unless it renames the type, which turns
        // the blob into an unknown key type.
        let key: PublicKey | undefined;
        onlyKeyParseErrors(() => (key = parsePublicKeyBlob(m)));
        if (key !== undefined) {
          expect(pos).toBeLessThan(4 + 'ssh-ed25519-cert-v01@openssh.com'.length);
          expect(key.type).not.toBe('ssh-ed25519-cert-v01@openssh.com');
          expect([key.family, key.unsupported]).toEqual(['UNKNOWN', true]);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('ECDSA points off the curve', () => {
  it('a valid point with y moved by any nonzero amount is rejected', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...EC_POOL),
        fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
        ({ curve, size, point }, d) => {
          const y = BigInt('0x' + point.subarray(1 + size).toString('hex'));
          const y2 = (y + d) % (1n << BigInt(size * 8));
          const moved = Buffer.concat([
            point.subarray(0, 1 + size),
            Buffer.from(y2.toString(16).padStart(size * 2, '0'), 'hex'),
          ]);
          const blob = Buffer.concat([sshString(`ecdsa-sha2-${curve}`), sshString(curve), sshString(moved)]);
          expect(() => parsePublicKeyBlob(blob)).toThrow(KeyParseError);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('random coordinates are rejected', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...EC_CURVES),
        fc.uint8Array({ minLength: 132, maxLength: 132 }),
        ([curve, , size], bytes) => {
          const point = Buffer.concat([Buffer.from([4]), Buffer.from(bytes.subarray(0, 2 * size))]);
          const blob = Buffer.concat([sshString(`ecdsa-sha2-${curve}`), sshString(curve), sshString(point)]);
          expect(() => parsePublicKeyBlob(blob)).toThrow(/curve|not reduced|out-of-range/);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('host patterns', () => {
  it('a hashed entry matches its host (and port) and nothing else', () => {
    const host = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,30}$/);
    fc.assert(
      fc.property(
        host,
        host,
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        fc.option(fc.integer({ min: 1, max: 65535 })),
        (h, other, salt, port) => {
          const p = port ?? undefined;
          const name = p === undefined || p === 22 ? h : `[${h}]:${p}`;
          const entry = { hosts: [hashHostName(name, Buffer.from(salt))], hashed: true };
          expect(hostMatches(entry, h, p)).toBe(true);
          if (other !== h) expect(hostMatches(entry, other, p)).toBe(false);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('matchPattern agrees with a regular-expression reference on * and ?', () => {
    const toRegExp = (p: string): RegExp =>
      new RegExp(
        '^' +
          p
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '.*')
            .replace(/\?/g, '.') +
          '$',
        's',
      );
    fc.assert(
      fc.property(
        fc.stringMatching(/^[ab*?.]{0,10}$/),
        fc.stringMatching(/^[ab.]{0,12}$/),
        (pattern, text) => {
          expect(matchPattern(text, pattern)).toBe(toRegExp(pattern).test(text));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
