import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certTimeToIso, certificateToJson } from '../../src/keys/certificate.js';
import { KeyParseError } from '../../src/keys/errors.js';
import {
  MAX_LINE_LENGTH,
  decodeBase64Strict,
  formatPublicKey,
  isKnownKeyType,
  isPrivateKeyMaterial,
  keyTypeNames,
  keygenTypeLabel,
  parsePublicKey,
  parsePublicKeyBlob,
} from '../../src/keys/public-key.js';
import {
  HAVE_SSH_KEYGEN,
  blobLine,
  buildEd25519Cert,
  ed25519Blob,
  ed25519Pair,
  generateKey,
  keygenList,
  makeTempDir,
  removeDir,
  sshKeygenStatus,
  sshMpint,
  sshString,
  u32,
  vector,
} from './public-key-fixtures.js';

const ED = vector('ed25519_1.pub');
const [ED_TYPE, ED_B64] = ED.split(' ') as [string, string];

/** Asserts `fn` throws a KeyParseError whose reason matches `re`; returns it. */
function parseError(fn: () => unknown, re: RegExp): KeyParseError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(KeyParseError);
  const e = caught as KeyParseError;
  expect(e.reason).toMatch(re);
  expect(e.exitCode).toBe(2);
  return e;
}

describe('parsePublicKey: the text form', () => {
  it('parses type, blob and a comment with spaces; surrounding whitespace and CRLF ignored', () => {
    const key = parsePublicKey(`  \t${ED_TYPE}\t ${ED_B64}   ED25519 test key #1 \r\n`);
    expect(key.type).toBe('ssh-ed25519');
    expect(key.family).toBe('ED25519');
    expect(key.bits).toBe(256);
    expect(key.comment).toBe('ED25519 test key #1');
    expect(key.fingerprint).toBe(vector('ed25519_1.fp'));
    expect(key.md5).toMatch(/^MD5:([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    expect(key.blob.toString('base64')).toBe(ED_B64);
    expect(key.certificate).toBeUndefined();
  });

  it('a key without a comment has comment ""', () => {
    expect(parsePublicKey(`${ED_TYPE} ${ED_B64}`).comment).toBe('');
  });

  it('formatPublicKey round-trips, with or without the comment', () => {
    const key = parsePublicKey(ED);
    expect(formatPublicKey(key)).toBe(ED);
    expect(formatPublicKey(key, { comment: false })).toBe(`${ED_TYPE} ${ED_B64}`);
    expect(formatPublicKey(parsePublicKey(`${ED_TYPE} ${ED_B64}`))).toBe(`${ED_TYPE} ${ED_B64}`);
  });

  it('parses the sk types with their application string', () => {
    const ed = parsePublicKey(vector('ed25519_sk1.pub'));
    expect([ed.family, ed.bits, ed.application]).toEqual(['ED25519-SK', 256, 'ssh:']);
    const ec = parsePublicKey(vector('ecdsa_sk1.pub'));
    expect([ec.family, ec.bits, ec.application, ec.curve]).toEqual(['ECDSA-SK', 256, 'ssh:', 'nistp256']);
  });

  it('keygenTypeLabel appends -CERT for certificates', () => {
    expect(keygenTypeLabel(parsePublicKey(vector('ecdsa_sk1-cert.pub')))).toBe('ECDSA-SK-CERT');
    expect(keygenTypeLabel(parsePublicKey(vector('rsa_2.pub')))).toBe('RSA');
  });

  it('knows every key type name and tells type names from other words', () => {
    expect(keyTypeNames).toContain('ssh-ed25519');
    expect(keyTypeNames).toContain('sk-ecdsa-sha2-nistp256-cert-v01@openssh.com');
    expect(keyTypeNames).toContain('ssh-dss');
    expect(keyTypeNames).toHaveLength(16);
    expect(isKnownKeyType('ecdsa-sha2-nistp521')).toBe(true);
    expect(isKnownKeyType('restrict')).toBe(false);
    expect(isKnownKeyType('SSH-ED25519')).toBe(false);
  });
});

describe('parsePublicKey: bad input gives a KeyParseError that says what and what is allowed', () => {
  it('empty and whitespace-only input', () => {
    parseError(() => parsePublicKey(''), /input is empty.*TYPE BASE64/);
    parseError(() => parsePublicKey(' \t\r\n '), /input is empty/);
  });

  it('binary garbage, without echoing control bytes', () => {
    const garbage = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x1b, 0x5b, 0x32, 0x4a, 0x20, 0x41, 0x41]).toString(
      'latin1',
    );
    const e = parseError(() => parsePublicKey(garbage), /does not start with a key type/);
    // eslint-disable-next-line no-control-regex
    expect(e.message).not.toMatch(/[\u0000-\u001f]/);
  });

  it('a 10 MB single line fails at once with the length limit', () => {
    const line = 'ssh-ed25519 ' + 'A'.repeat(10 * 1024 * 1024);
    parseError(() => parsePublicKey(line), new RegExp(`at most ${MAX_LINE_LENGTH} characters`));
  });

  it('a type without a blob', () => {
    parseError(
      () => parsePublicKey('ssh-ed25519'),
      /missing the base64 key after the key type "ssh-ed25519"/,
    );
    parseError(() => parsePublicKey('ssh-ed25519   '), /missing the base64 key/);
  });

  it('a truncated blob (base64 cut short on a 4-character boundary, and not)', () => {
    parseError(() => parsePublicKey(`${ED_TYPE} ${ED_B64.slice(0, 60)}`), /truncated key blob/);
    parseError(() => parsePublicKey(`${ED_TYPE} ${ED_B64.slice(0, 61)}`), /not a multiple of 4/);
  });

  it('non-base64 characters, bad padding, missing padding', () => {
    parseError(
      () => parsePublicKey(`${ED_TYPE} ${ED_B64.slice(0, 20)}*${ED_B64.slice(21)}`),
      /not valid base64: character "\*" at position 21/,
    );
    parseError(() => parsePublicKey(`${ED_TYPE} AAAA=AAA`), /not valid base64/);
    const rsa = vector('rsa_1.pub').split(' ');
    expect(rsa[1]).toMatch(/=$/);
    parseError(() => parsePublicKey(`${rsa[0]} ${rsa[1]!.replace(/=+$/, '')}`), /not a multiple of 4/);
    expect(() => decodeBase64Strict('QQ==')).not.toThrow();
    parseError(() => decodeBase64Strict('QR=='), /non-zero bits/);
  });

  it('a type name that disagrees with the blob names both', () => {
    parseError(
      () => parsePublicKey(`ssh-rsa ${ED_B64} c`),
      /key type in the text \(ssh-rsa\) does not match the type inside the key blob \(ssh-ed25519\)/,
    );
    parseError(() => parsePublicKey(`ssh-ed25519-cert-v01@openssh.com ${ED_B64}`), /does not match/);
    parseError(() => parsePublicKey(`ssh-whatever@example.com ${ED_B64}`), /does not match/);
  });

  it('trailing bytes after the key fields', () => {
    const blob = Buffer.concat([Buffer.from(ED_B64, 'base64'), Buffer.from([0])]);
    parseError(() => parsePublicKey(blobLine('ssh-ed25519', blob)), /1 unexpected trailing bytes/);
  });

  it('more than one line', () => {
    parseError(() => parsePublicKey(`${ED}\n${ED}`), /more than one line/);
  });

  it('RFC 4716 and PEM public keys get a conversion hint', () => {
    parseError(
      () => parsePublicKey('---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----'),
      /ssh-keygen -i/,
    );
    parseError(
      () => parsePublicKey('-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----'),
      /-m PKCS8/,
    );
  });

  it('an Ed25519 key of the wrong length', () => {
    const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.alloc(31, 1))]);
    parseError(() => parsePublicKey(blobLine('ssh-ed25519', blob)), /31 bytes; it must be exactly 32/);
  });

  it('a blob that does not start with a type name', () => {
    parseError(() => parsePublicKeyBlob(Buffer.alloc(0)), /truncated key blob/);
    parseError(
      () => parsePublicKeyBlob(Buffer.concat([sshString(Buffer.from([1, 2, 3]))])),
      /does not start with a key type name/,
    );
    parseError(() => parsePublicKeyBlob(u32(0xffffffff)), /truncated key blob: needed 4294967295/);
  });
});

describe('private key material where a public key is expected', () => {
  let dir: string;
  beforeAll(() => {
    dir = makeTempDir();
  });
  afterAll(() => removeDir(dir));

  const SECRETISH = /b3BlbnNzaC1rZXktdjE|MII[A-Za-z0-9+/]{20}/;

  it.runIf(HAVE_SSH_KEYGEN)(
    'an OpenSSH private key file, whole or one line of it, is refused without echoing it',
    () => {
      const file = generateKey(dir, 'priv', 'ed25519');
      const text = fs.readFileSync(file, 'utf8');
      expect(isPrivateKeyMaterial(text)).toBe(true);
      for (const input of [text, text.split('\n')[1]!, text.split('\n')[0]!]) {
        const e = parseError(
          () => parsePublicKey(input),
          /private key material.*public key is expected.*\.pub/,
        );
        expect(e.message).not.toMatch(SECRETISH);
        expect(e.message).not.toContain(text.split('\n')[1]!.slice(20, 40));
      }
    },
  );

  it('a PEM RSA private key and a PuTTY key are refused', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs1' }).toString();
    expect(isPrivateKeyMaterial(pem)).toBe(true);
    const e = parseError(() => parsePublicKey(pem), /private key material/);
    expect(e.message).not.toMatch(SECRETISH);
    parseError(() => parsePublicKey('PuTTY-User-Key-File-3: ssh-ed25519'), /private key material/);
  });

  it('isPrivateKeyMaterial is false for public keys', () => {
    expect(isPrivateKeyMaterial(ED)).toBe(false);
    expect(isPrivateKeyMaterial(vector('rsa_1-cert.pub'))).toBe(false);
  });
});

describe('ECDSA point validation', () => {
  const curves = [
    { curve: 'nistp256', node: 'prime256v1', size: 32 },
    { curve: 'nistp384', node: 'secp384r1', size: 48 },
    { curve: 'nistp521', node: 'secp521r1', size: 66 },
  ] as const;

  function ecBlob(curve: string, point: Buffer, name = curve): Buffer {
    return Buffer.concat([sshString(`ecdsa-sha2-${curve}`), sshString(name), sshString(point)]);
  }

  function nodePoint(namedCurve: string, size: number): Buffer {
    const jwk = generateKeyPairSync('ec', { namedCurve }).publicKey.export({ format: 'jwk' });
    const pad = (b64: string): Buffer => {
      const b = Buffer.from(b64, 'base64url');
      return Buffer.concat([Buffer.alloc(size - b.length), b]);
    };
    return Buffer.concat([Buffer.from([4]), pad(jwk.x!), pad(jwk.y!)]);
  }

  for (const c of curves) {
    it(`${c.curve}: 20 points from node:crypto are accepted with ${c.curve} bits`, () => {
      for (let i = 0; i < 20; i++) {
        const key = parsePublicKeyBlob(ecBlob(c.curve, nodePoint(c.node, c.size)));
        expect(key.curve).toBe(c.curve);
        expect(key.bits).toBe(Number(c.curve.slice(5)));
      }
    });

    it(`${c.curve}: a point moved off the curve is rejected`, () => {
      const p = nodePoint(c.node, c.size);
      p[p.length - 1]! ^= 1; // y + or - 1: not on the curve
      parseError(() => parsePublicKeyBlob(ecBlob(c.curve, p)), new RegExp(`not on the ${c.curve} curve`));
    });
  }

  it('compressed points, wrong lengths, the wrong curve name and coordinates >= p are rejected', () => {
    const p = nodePoint('prime256v1', 32);
    const compressed = Buffer.concat([Buffer.from([2 + (p[64]! & 1)]), p.subarray(1, 33)]);
    parseError(() => parsePublicKeyBlob(ecBlob('nistp256', compressed)), /not in uncompressed form.*0x0[23]/);
    parseError(
      () => parsePublicKeyBlob(ecBlob('nistp256', p.subarray(0, 64))),
      /64 bytes; an uncompressed nistp256 point is 65/,
    );
    parseError(
      () => parsePublicKeyBlob(ecBlob('nistp256', p, 'nistp384')),
      /curve "nistp384" inside the blob does not match key type ecdsa-sha2-nistp256/,
    );
    parseError(() => parsePublicKeyBlob(ecBlob('nistp256', Buffer.alloc(0))), /EC point is empty/);
    const big = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 0xff)]);
    parseError(() => parsePublicKeyBlob(ecBlob('nistp256', big)), /not reduced/);
    // The point at "zero" (0, sqrt(b)) does not exist; (0,0) is off the curve.
    parseError(
      () => parsePublicKeyBlob(ecBlob('nistp256', Buffer.concat([Buffer.from([4]), Buffer.alloc(64)]))),
      /not on the nistp256 curve/,
    );
  });

  it('an sk-ecdsa key off the curve is rejected too', () => {
    const blob = Buffer.from(vector('ecdsa_sk1.pub').split(' ')[1]!, 'base64');
    const appLen = 4 + 'ssh:'.length;
    blob[blob.length - appLen - 1]! ^= 1;
    parseError(() => parsePublicKeyBlob(blob), /not on the nistp256 curve/);
  });
});

describe('RSA modulus and exponent checks (matching ssh-keygen 9.2 where it checks)', () => {
  let dir: string;
  beforeAll(() => {
    dir = makeTempDir();
  });
  afterAll(() => removeDir(dir));

  function rsaLine(e: Buffer, n: Buffer, rawN = false): string {
    return blobLine(
      'ssh-rsa',
      Buffer.concat([sshString('ssh-rsa'), sshMpint(e), rawN ? sshString(n) : sshMpint(n)]),
    );
  }
  function modulus(bits: number): { e: Buffer; n: Buffer } {
    const jwk = generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' });
    return { e: Buffer.from(jwk.e!, 'base64url'), n: Buffer.from(jwk.n!, 'base64url') };
  }
  function keygenAccepts(line: string): boolean {
    const f = path.join(dir, 'k.pub');
    fs.writeFileSync(f, line + '\n');
    return sshKeygenStatus(['-l', '-f', f]).status === 0;
  }

  it('below 1024 bits is refused (like ssh-keygen); 1024 is accepted with bits as ssh-keygen prints', () => {
    for (const bits of [512, 768, 1016]) {
      const { e, n } = modulus(bits);
      const line = rsaLine(e, n);
      parseError(
        () => parsePublicKey(line),
        new RegExp(`modulus is ${bits} bits; OpenSSH refuses RSA keys below 1024`),
      );
      if (HAVE_SSH_KEYGEN) expect(keygenAccepts(line)).toBe(false);
    }
    const { e, n } = modulus(1024);
    const line = rsaLine(e, n);
    expect(parsePublicKey(line).bits).toBe(1024);
    if (HAVE_SSH_KEYGEN) expect(keygenAccepts(line)).toBe(true);
  });

  it('above 16384 bits is refused (like ssh-keygen)', () => {
    const n = Buffer.alloc(2049, 0xff);
    parseError(
      () => parsePublicKey(rsaLine(Buffer.from([1, 0, 1]), n)),
      /16392 bits; OpenSSH accepts at most 16384/,
    );
  });

  it('an even modulus or an exponent that is even or below 3 is refused (stricter than ssh-keygen)', () => {
    const { e, n } = modulus(1024);
    const even = Buffer.from(n);
    even[even.length - 1]! &= 0xfe;
    parseError(() => parsePublicKey(rsaLine(e, even)), /modulus is even/);
    for (const bad of [[], [1], [2], [1, 0, 0]]) {
      parseError(() => parsePublicKey(rsaLine(Buffer.from(bad), n)), /exponent must be odd and at least 3/);
    }
    expect(parsePublicKey(rsaLine(Buffer.from([3]), n)).bits).toBe(1024);
  });

  it('a negative mpint is refused', () => {
    const { e, n } = modulus(1024);
    parseError(() => parsePublicKey(rsaLine(e, n, true)), /RSA modulus is a negative mpint/);
  });

  it.runIf(HAVE_SSH_KEYGEN)(
    'a non-minimal mpint (extra zero byte) is accepted and fingerprinted as ssh-keygen does (re-encoded)',
    () => {
      const { e, n } = modulus(1024);
      const padded = Buffer.concat([
        sshString('ssh-rsa'),
        sshString(Buffer.concat([Buffer.alloc(2), e])),
        sshMpint(n),
      ]);
      const line = blobLine('ssh-rsa', padded, 'padded');
      const f = path.join(dir, 'padded.pub');
      fs.writeFileSync(f, line + '\n');
      const key = parsePublicKey(line);
      expect(key.fingerprint).toBe(keygenList(f).fingerprint);
      expect(key.md5).toBe(keygenList(f, 'md5').fingerprint);
      expect(key.fingerprint).toBe(parsePublicKey(rsaLine(e, n)).fingerprint);
      // The original bytes are kept (formatting does not rewrite the key).
      expect(key.blob.equals(padded)).toBe(true);
    },
  );
});

describe('DSA, unknown types and certificates', () => {
  it.runIf(HAVE_SSH_KEYGEN)('ssh-dss is parsed: DSA family, p bits, unsupported', () => {
    const dir = makeTempDir();
    try {
      const file = generateKey(dir, 'dsa', 'dsa');
      const key = parsePublicKey(fs.readFileSync(`${file}.pub`, 'utf8'));
      expect([key.family, key.bits, key.unsupported]).toEqual(['DSA', 1024, true]);
      expect(key.fingerprint).toBe(keygenList(`${file}.pub`).fingerprint);
    } finally {
      removeDir(dir);
    }
  });

  it('an unknown type: family UNKNOWN, bits 0, unsupported, fingerprint over the blob', () => {
    const blob = Buffer.concat([sshString('ssh-future@example.com'), sshString(Buffer.alloc(100, 9))]);
    const key = parsePublicKey(blobLine('ssh-future@example.com', blob, 'from the future'));
    expect([key.type, key.family, key.bits, key.unsupported, key.comment]).toEqual([
      'ssh-future@example.com',
      'UNKNOWN',
      0,
      true,
      'from the future',
    ]);
    expect(key.fingerprint).toMatch(/^SHA256:/);
    expect(keygenTypeLabel(key)).toBe('UNKNOWN');
  });

  it('a hand-built certificate parses with all its fields', () => {
    const subject = ed25519Pair();
    const { blob, caBlob } = buildEd25519Cert({
      pk: subject.pk,
      role: 2,
      serial: 99n,
      keyId: 'web01',
      principals: ['web01.example.com', 'web01'],
      validAfter: 1000n,
      validBefore: 2000n,
      critical: [['force-command', 'uptime']],
      extensions: ['permit-pty', 'permit-user-rc'],
    });
    const key = parsePublicKeyBlob(blob, 'c');
    const plain = parsePublicKeyBlob(ed25519Blob(subject.pk));
    expect(key.fingerprint).toBe(plain.fingerprint);
    expect(key.certificate).toMatchObject({
      certType: 'ssh-ed25519-cert-v01@openssh.com',
      role: 'host',
      serial: 99n,
      keyId: 'web01',
      principals: ['web01.example.com', 'web01'],
      validAfter: 1000n,
      validBefore: 2000n,
      criticalOptions: { 'force-command': 'uptime' },
      extensions: ['permit-pty', 'permit-user-rc'],
      caType: 'ssh-ed25519',
      caFingerprint: parsePublicKeyBlob(caBlob).fingerprint,
      signatureType: 'ssh-ed25519',
    });
  });

  it('certificateToJson: strings for serial and times, null for "always" and "forever"', () => {
    const cert = parsePublicKey(vector('rsa_1_sha512-cert.pub')).certificate!;
    const json = certificateToJson(cert);
    expect(json).toMatchObject({
      type: 'ssh-rsa-cert-v01@openssh.com',
      role: 'user',
      serial: '1',
      keyId: 'hugo',
      principals: ['user1', 'user2'],
      criticalOptions: { 'force-command': '/bin/ls', 'source-address': '10.0.0.0/8' },
      ca: { type: 'ssh-rsa', fingerprint: vector('rsa_2.fp') },
      signatureType: 'rsa-sha2-512',
    });
    expect(json.validAfter).toMatch(/^1998-12-3\dT\d\d:00:00Z$/);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    const forever = certificateToJson(parsePublicKeyBlob(buildEd25519Cert().blob).certificate!);
    expect([forever.validAfter, forever.validBefore]).toEqual([null, null]);
    expect(certTimeToIso(0xfffffffffffffffen)).toBe(
      '18446744073709551614 seconds after 1970-01-01T00:00:00Z',
    );
    expect(certTimeToIso(1893456000n)).toBe('2030-01-01T00:00:00Z');
  });

  it('a certificate with an invalid role, trailing data, or a certificate as CA is refused', () => {
    parseError(() => parsePublicKeyBlob(buildEd25519Cert({ role: 3 }).blob), /invalid certificate type 3/);
    parseError(
      () => parsePublicKeyBlob(buildEd25519Cert({ trailing: Buffer.from([1]) }).blob),
      /trailing bytes/,
    );
    // Cut inside the signature.
    const { blob } = buildEd25519Cert();
    parseError(() => parsePublicKeyBlob(blob.subarray(0, blob.length - 10)), /truncated certificate blob/);
  });

  it('a certificate whose signature was tampered with is refused', () => {
    const { blob } = buildEd25519Cert({ keyId: 'honest' });
    const at = blob.indexOf(Buffer.from('honest'));
    blob[at] = 'H'.charCodeAt(0);
    parseError(() => parsePublicKeyBlob(blob), /does not verify against the CA key/);
  });
});

describe('badly pasted keys (each pinned to a fingerprint or a helpful error)', () => {
  const fp = vector('ed25519_1.fp');
  const accepted: [string, string][] = [
    ['trailing CRLF and blank lines', `${ED}\r\n\r\n`],
    ['tabs between fields', `${ED_TYPE}\t${ED_B64}\tED25519 test key #1`],
    ['leading spaces', `    ${ED}`],
  ];
  for (const [what, text] of accepted) {
    it(`accepted: ${what}`, () => {
      const key = parsePublicKey(text);
      expect(key.fingerprint).toBe(fp);
      expect(key.comment).toBe('ED25519 test key #1');
    });
  }

  it('accepted: a comment with non-ASCII text is kept as is', () => {
    expect(parsePublicKey(`${ED_TYPE} ${ED_B64} zoë@laptop 🔑`).comment).toBe('zoë@laptop 🔑');
  });

  const refused: [string, string, RegExp][] = [
    ['wrapped by a terminal', `${ED_TYPE} ${ED_B64.slice(0, 40)}\n${ED_B64.slice(40)}`, /join the lines/],
    ['a non-breaking space after the type', `${ED_TYPE}\u00a0${ED_B64}`, /non-ASCII space.*U\+00A0/],
    ['a byte-order mark', `\ufeff${ED}`, /byte-order mark/],
    [
      'a zero-width space inside the base64',
      `${ED_TYPE} ${ED_B64.slice(0, 30)}\u200b${ED_B64.slice(30)}`,
      /not valid base64.*position 31/,
    ],
    ['a shell prompt pasted with it', `$ cat ~/.ssh/id_ed25519.pub ${ED}`, /does not start with a key type/],
    ['the whole key in quotes', `"${ED}"`, /does not start with a key type/],
    ['only the base64', `${ED_B64} comment`, /key type is missing: the text starts with the base64 key/],
    ['only the base64, no / or +', 'AAAAC3NzaC1lZDI1NTE5AAAAIabc some comment', /key type is missing/],
  ];
  for (const [what, text, re] of refused) {
    it(`refused: ${what}`, () => {
      parseError(() => parsePublicKey(text), re);
    });
  }
});
