import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EncryptedKeyError, KeyParseError } from '../../src/keys/errors.js';
import { isPrivateKeyText, parsePrivateKey } from '../../src/keys/private-key.js';
import { parsePublicKey } from '../../src/keys/public-key.js';

// OpenSSH's own fixtures (regress/unittests/sshkey/testdata): every private key against its .pub and .fp.
const DIR = '/work/shared/test-vectors/openssh-sshkey';
const read = (f: string) => readFileSync(path.join(DIR, f), 'utf8');
const PASSPHRASE = read('pw').replace(/\n$/, '');

const privateFiles = readdirSync(DIR)
  .filter((f) => !f.includes('.') && f !== 'pw')
  .sort();

/** The .pub that describes a private key file: X_pw -> X, rsa_n -> rsa_1 (same key, OpenSSH format). */
function pubFor(file: string): string {
  const base = file.replace(/_pw$/, '');
  return base.replace(/^(rsa|ecdsa)_n$/, '$1_1');
}

function fpFor(file: string): string | undefined {
  const f = `${pubFor(file)}.fp`;
  return readdirSync(DIR).includes(f) ? read(f).trim() : undefined;
}

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('parsePrivateKey on OpenSSH test vectors', () => {
  it('finds the full set of vectors', () => {
    expect(privateFiles).toContain('mldsa44_ed25519_1_pw');
    expect(privateFiles.length).toBeGreaterThanOrEqual(24);
  });

  for (const file of privateFiles) {
    const encrypted = file.endsWith('_pw');
    it(`${file}: public half matches ${pubFor(file)}.pub and .fp`, () => {
      const expected = parsePublicKey(read(`${pubFor(file)}.pub`));
      const parsed = parsePrivateKey(read(file), {
        source: file,
        ...(encrypted ? { passphrase: PASSPHRASE } : {}),
      });
      expect(parsed.publicKey.fingerprint).toBe(expected.fingerprint);
      expect(parsed.publicKey.blob.equals(expected.blob)).toBe(true);
      expect(parsed.publicKey.type).toBe(expected.type);
      expect(parsed.publicKey.bits).toBe(expected.bits);
      const fp = fpFor(file);
      if (fp !== undefined) expect(parsed.publicKey.fingerprint).toBe(fp);
      expect(parsed.encrypted).toBe(encrypted);
      const text = read(file);
      if (text.includes('OPENSSH PRIVATE KEY')) {
        expect(parsed.format).toBe('openssh');
        // The comment lives in the private section; the _n variants were written without one.
        expect(parsed.publicKey.comment).toBe(/_n(_pw)?$/.test(file) ? '' : expected.comment);
        if (encrypted) expect(parsed.kdf).toBe('bcrypt');
      } else {
        expect(parsed.format).toBe(text.includes('RSA PRIVATE KEY') ? 'pem-rsa' : 'pem-ec');
        expect(parsed.publicKey.comment).toBe('');
      }
    });

    if (encrypted) {
      it(`${file}: without a passphrase -> EncryptedKeyError naming --passphrase-file`, () => {
        const err = catchError(() => parsePrivateKey(read(file), { source: `vectors/${file}` }));
        expect(err).toBeInstanceOf(EncryptedKeyError);
        expect(err.message).toBe(
          `vectors/${file}: private key is encrypted; pass its passphrase with --passphrase-file FILE`,
        );
        expect((err as EncryptedKeyError).source).toBe(`vectors/${file}`);
      });

      it(`${file}: with a wrong passphrase -> EncryptedKeyError "wrong passphrase"`, () => {
        const err = catchError(() =>
          parsePrivateKey(read(file), { source: file, passphrase: 'not-the-passphrase' }),
        );
        expect(err).toBeInstanceOf(EncryptedKeyError);
        expect(err.message).toBe(
          `${file}: wrong passphrase (the private key did not decrypt with it); check the file given to --passphrase-file`,
        );
        expect(err.message).not.toMatch(/\n\s+at /);
      });
    }
  }

  it('reports the cipher of encrypted vectors', () => {
    const ctr = parsePrivateKey(read('ed25519_1_pw'), { passphrase: PASSPHRASE });
    expect(ctr).toMatchObject({ format: 'openssh', encrypted: true, cipher: 'aes256-ctr', kdf: 'bcrypt' });
    const cbc = parsePrivateKey(read('rsa_n_pw'), { passphrase: PASSPHRASE });
    expect(cbc).toMatchObject({ format: 'openssh', encrypted: true, cipher: 'aes256-cbc', kdf: 'bcrypt' });
    const pem = parsePrivateKey(read('rsa_1_pw'), { passphrase: PASSPHRASE });
    expect(pem).toMatchObject({ format: 'pem-rsa', encrypted: true, cipher: 'AES-128-CBC' });
    const plain = parsePrivateKey(read('ed25519_1'));
    expect(plain.cipher).toBeUndefined();
    expect(plain.kdf).toBeUndefined();
  });

  it('accepts the passphrase as a Buffer', () => {
    const parsed = parsePrivateKey(read('ecdsa_n_pw'), { passphrase: Buffer.from(PASSPHRASE) });
    expect(parsed.publicKey.fingerprint).toBe(read('ecdsa_1.fp').trim());
  });

  it('reads an unknown key type (mldsa44 hybrid) and still fingerprints it', () => {
    const parsed = parsePrivateKey(read('mldsa44_ed25519_1'));
    expect(parsed.publicKey.type).toBe('ssh-mldsa44-ed25519@openssh.com');
    expect(parsed.publicKey.unsupported).toBe(true);
    expect(parsed.publicKey.fingerprint).toBe(read('mldsa44_ed25519_1.fp').trim());
    expect(parsed.publicKey.comment).toBe('MLDSA44-ED25519 test key #1');
  });

  it('reads security-key (sk) private keys with their application', () => {
    const parsed = parsePrivateKey(read('ed25519_sk1'));
    expect(parsed.publicKey).toMatchObject({ family: 'ED25519-SK', application: 'ssh:' });
    const ecdsa = parsePrivateKey(read('ecdsa_sk1_pw'), { passphrase: PASSPHRASE });
    expect(ecdsa.publicKey).toMatchObject({ family: 'ECDSA-SK', curve: 'nistp256', application: 'ssh:' });
  });
});

describe('isPrivateKeyText', () => {
  it('recognises private key files', () => {
    for (const f of ['rsa_1', 'ecdsa_1', 'ed25519_1', 'rsa_1_pw', 'mldsa44_ed25519_1']) {
      expect(isPrivateKeyText(read(f))).toBe(true);
    }
    expect(isPrivateKeyText('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')).toBe(true);
    expect(isPrivateKeyText('-----BEGIN ENCRYPTED PRIVATE KEY-----')).toBe(true);
    expect(isPrivateKeyText('PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n')).toBe(true);
    expect(isPrivateKeyText('---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\n')).toBe(true);
  });

  it('does not flag public keys or other text', () => {
    for (const f of ['rsa_1.pub', 'ed25519_1.pub', 'ed25519_1-cert.pub', 'ecdsa_1.fp']) {
      expect(isPrivateKeyText(read(f))).toBe(false);
    }
    expect(isPrivateKeyText('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')).toBe(false);
    expect(isPrivateKeyText('')).toBe(false);
  });
});

describe('parsePrivateKey on bad input', () => {
  const ed = read('ed25519_1');
  const rsa = read('rsa_1');
  // Every base64 body line of the private keys: none may appear in any error message.
  const bodyLines = [ed, rsa, read('ecdsa_n')].flatMap((t) =>
    t.split('\n').filter((l) => l !== '' && !l.startsWith('-----')),
  );

  function expectParseError(text: string, reason: RegExp): KeyParseError {
    const err = catchError(() => parsePrivateKey(text, { source: 'id_test' }));
    expect(err).toBeInstanceOf(KeyParseError);
    const e = err as KeyParseError;
    expect(e.source).toBe('id_test');
    expect(e.message.startsWith('id_test')).toBe(true);
    expect(e.reason).toMatch(reason);
    for (const line of bodyLines) {
      expect(e.message).not.toContain(line);
      expect(e.message).not.toContain(line.slice(10, 30));
    }
    return e;
  }

  /** Offset just past the public key blob of a decoded openssh-key-v1 container. */
  function headerEnd(body: Buffer): number {
    let off = 15; // "openssh-key-v1\0"
    for (let i = 0; i < 3; i++) off += 4 + body.readUInt32BE(off); // cipher, kdf, kdf options
    off += 4; // nkeys
    return off + 4 + body.readUInt32BE(off); // public key blob
  }

  function lines(text: string): string[] {
    return text.split('\n');
  }

  it('a truncated OpenSSH key (last body lines lost)', () => {
    const l = lines(ed);
    const cut = [...l.slice(0, 3), l[l.length - 2], ''].join('\n');
    expectParseError(cut, /truncated|not a multiple|not valid base64/);
  });

  it('an OpenSSH key cut on a 4-character boundary (valid base64, short blob)', () => {
    const l = lines(ed);
    const body = l.slice(1, -2).join('');
    const short = body.slice(0, 200);
    const text = `-----BEGIN OPENSSH PRIVATE KEY-----\n${short}\n-----END OPENSSH PRIVATE KEY-----\n`;
    expectParseError(text, /truncated/);
  });

  it('a missing END line', () => {
    expectParseError(lines(ed).slice(0, -2).join('\n'), /no "-----END OPENSSH PRIVATE KEY-----" line/);
  });

  it('a body line with non-base64 characters names the line, not its content', () => {
    const l = lines(ed);
    l[2] = l[2]!.slice(0, 10) + '!*' + l[2]!.slice(12);
    const e = expectParseError(l.join('\n'), /not base64/);
    expect(e.line).toBe(3);
  });

  it('flipped bytes inside the private section (garbled key) do not leak', () => {
    // Flip the check word of an unencrypted key: the checkints then differ.
    const body = Buffer.from(lines(ed).slice(1, -2).join(''), 'base64');
    const off = headerEnd(body) + 4; // skip the private section's length
    body[off] = body[off]! ^ 0xff;
    const text = `-----BEGIN OPENSSH PRIVATE KEY-----\n${body.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
    expectParseError(text, /check words differ/);
  });

  it('a private section whose key does not match the header', () => {
    const a = Buffer.from(lines(ed).slice(1, -2).join(''), 'base64');
    const b = Buffer.from(lines(read('ed25519_2')).slice(1, -2).join(''), 'base64');
    // Same layout and lengths: take ed25519_1's header and ed25519_2's private section.
    const mixed = Buffer.concat([a.subarray(0, headerEnd(a)), b.subarray(headerEnd(b))]);
    const text = `-----BEGIN OPENSSH PRIVATE KEY-----\n${mixed.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
    expectParseError(text, /does not match the public key/);
  });

  it('a PEM key with damaged DER', () => {
    const l = lines(rsa);
    l[3] = 'A'.repeat(l[3]!.length);
    l[4] = 'B'.repeat(l[4]!.length);
    const e = expectParseError(l.join('\n'), /not a valid RSA PRIVATE KEY/);
    expect(e.reason).toContain('truncated or damaged');
  });

  it('wrong magic', () => {
    const text = `-----BEGIN OPENSSH PRIVATE KEY-----\n${Buffer.from('openssh-key-v2\0 and more bytes').toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
    expectParseError(text, /magic is missing/);
  });

  it('empty input, a public key, and a non-key PEM block', () => {
    expectParseError('', /no private key found/);
    expectParseError(read('ed25519_1.pub'), /no private key found/);
    expectParseError(
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      /no private key found/,
    );
  });

  it('an empty body', () => {
    expectParseError(
      '-----BEGIN OPENSSH PRIVATE KEY-----\n-----END OPENSSH PRIVATE KEY-----\n',
      /body is empty/,
    );
  });

  it('PuTTY and SSH2 keys get a conversion hint', () => {
    expectParseError('PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n', /puttygen/);
    expectParseError(
      '---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nAAAA\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\n',
      /ssh-keygen -i/,
    );
  });

  it('an unknown cipher name is reported by name', () => {
    const body = Buffer.from(lines(read('ed25519_1_pw')).slice(1, -2).join(''), 'base64');
    const patched = Buffer.from(body);
    patched.write('aes256-xyz', 15 + 4, 'latin1'); // same length as aes256-ctr
    const text = `-----BEGIN OPENSSH PRIVATE KEY-----\n${patched.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
    expectParseError(text, /unknown cipher "aes256-xyz" \(supported: none, 3des-cbc/);
  });

  it('a damaged cipher-name length never echoes bytes from the private section', () => {
    const body = Buffer.from(lines(ed).slice(1, -2).join(''), 'base64');
    // Stretch the cipher name over the whole file: the "name" then holds the private key bytes.
    const section = Buffer.from(body.subarray(headerEnd(body) + 4));
    body.writeUInt32BE(body.length - 15 - 4, 15);
    const text = `-----BEGIN OPENSSH PRIVATE KEY-----\n${body.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
    const e = expectParseError(text, /unknown cipher \(not a valid name\)/);
    expect(e.message).not.toContain(section.subarray(8, 40).toString('latin1'));
  });

  it('defaults the source to <input>', () => {
    const err = catchError(() => parsePrivateKey('garbage'));
    expect(err).toBeInstanceOf(KeyParseError);
    expect(err.message.startsWith('<input>: ')).toBe(true);
  });

  it('a key pasted on one line (newlines turned into spaces) still parses', () => {
    const oneLine = ed.trim().split('\n').join(' ');
    expect(parsePrivateKey(oneLine).publicKey.fingerprint).toBe(read('ed25519_1.fp').trim());
  });

  it('CRLF line endings and indentation (a key pasted into YAML) still parse, PEM headers included', () => {
    for (const f of ['rsa_1_pw', 'ecdsa_1_pw', 'ed25519_1_pw']) {
      const crlf = read(f).replace(/\n/g, '\r\n');
      const indented = read(f)
        .split('\n')
        .map((l) => (l === '' ? l : '    ' + l))
        .join('\n');
      const want = read(`${pubFor(f)}.fp`).trim();
      expect(parsePrivateKey(crlf, { passphrase: PASSPHRASE }).publicKey.fingerprint).toBe(want);
      expect(parsePrivateKey(indented, { passphrase: PASSPHRASE }).publicKey.fingerprint).toBe(want);
    }
  });

  it('a PEM RSA key pasted on one line still parses', () => {
    const oneLine = rsa.trim().split('\n').join(' ');
    expect(parsePrivateKey(oneLine).publicKey.fingerprint).toBe(read('rsa_1.fp').trim());
  });

  it('skips EC PARAMETERS before an EC PRIVATE KEY (openssl ecparam -genkey output)', () => {
    const params = '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n';
    const parsed = parsePrivateKey(params + read('ecdsa_1'));
    expect(parsed.publicKey.fingerprint).toBe(read('ecdsa_1.fp').trim());
  });
});
