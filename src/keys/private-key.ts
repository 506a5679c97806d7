import { createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { DerReader } from './der.js';
import { KeyParseError } from './errors.js';
import { sshPublicBlob } from './node-key.js';
import {
  OPENSSH_LABEL,
  decodeOpenSshContainer,
  decryptPrivateSection,
  missingPassphrase,
  readPrivateSection,
  wrongPassphrase,
} from './openssh-private.js';
import { readArmoredBlock } from './pem.js';
import type { ArmoredBlock } from './pem.js';
import { parsePublicKeyBlob } from './public-key.js';
import type { PublicKey } from './types.js';

/**
 * Private key files: the public half is derived and returned, the private half is dropped.
 * OpenSSH's own container is read by hand (openssh-private.ts); PEM and PKCS#8 go through
 * node:crypto (OpenSSL), which reads them, including legacy `Proc-Type: 4,ENCRYPTED` PEM.
 * No error raised here carries private material: messages name the problem, never the bytes.
 */

export type PrivateKeyFormat = 'openssh' | 'pem-rsa' | 'pem-ec' | 'pkcs8' | 'pem-dsa';

export interface ParsedPrivateKey {
  /** The public half. Its comment is the one stored in an OpenSSH private key ('' for PEM). */
  publicKey: PublicKey;
  /** True when the file is passphrase-protected. */
  encrypted: boolean;
  format: PrivateKeyFormat;
  /** The encryption cipher, when encrypted (`aes256-ctr`, `AES-128-CBC`, `aes-256-cbc` ...). */
  cipher?: string;
  /** The key derivation, when encrypted (`bcrypt`, `pbkdf2`, `scrypt`, `EVP_BytesToKey-MD5`). */
  kdf?: string;
}

export interface ParsePrivateKeyOptions {
  /** The passphrase, used as given (a trailing newline from a passphrase file is the caller's to strip). */
  passphrase?: string | Buffer;
  /** Names the input in errors (a file path, or `-` for stdin). Default `<input>`. */
  source?: string;
}

const PEM_FORMATS: Readonly<Record<string, PrivateKeyFormat>> = {
  'RSA PRIVATE KEY': 'pem-rsa',
  'EC PRIVATE KEY': 'pem-ec',
  'DSA PRIVATE KEY': 'pem-dsa',
  'PRIVATE KEY': 'pkcs8',
  'ENCRYPTED PRIVATE KEY': 'pkcs8',
};

const PRIVATE_BEGIN_RE = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----/;
const PUTTY_RE = /^PuTTY-User-Key-File-\d+:/m;
const SSH2_PRIVATE = '---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----';

/**
 * True when `text` is a private key file keyfleet can be asked to read: a PEM/OpenSSH
 * `-----BEGIN ... PRIVATE KEY-----` block, a PuTTY `.ppk` or an ssh.com SSH2 private key (the
 * last two are recognised so that they get a conversion hint rather than a parse error).
 */
export function isPrivateKeyText(text: string): boolean {
  return PRIVATE_BEGIN_RE.test(text) || PUTTY_RE.test(text) || text.includes(SSH2_PRIVATE);
}

function place(err: unknown, source: string): unknown {
  if (err instanceof KeyParseError && err.source === '<input>' && source !== '<input>') return err.at(source);
  return err;
}

/**
 * Reads a private key file and returns its public half. Formats: OpenSSH (`openssh-key-v1`,
 * unencrypted or bcrypt-encrypted with any OpenSSH cipher), PEM RSA/EC/DSA (plain or legacy
 * encrypted), PKCS#8 (plain or encrypted).
 *
 * @throws EncryptedKeyError when the key is encrypted and no passphrase, or a wrong one, is given.
 * @throws KeyParseError when the text is not a readable private key (truncated, garbled, unsupported).
 */
export function parsePrivateKey(text: string, options: ParsePrivateKeyOptions = {}): ParsedPrivateKey {
  const source = options.source ?? '<input>';
  try {
    if (PUTTY_RE.test(text)) {
      throw new KeyParseError(
        'this is a PuTTY private key (.ppk); convert it with `puttygen KEY.ppk -O private-openssh -o KEY` and read that',
        { source },
      );
    }
    if (text.includes(SSH2_PRIVATE)) {
      throw new KeyParseError(
        'this is an ssh.com (SSH2) private key; convert it with `ssh-keygen -i -f KEY > KEY.openssh` and read that',
        { source },
      );
    }
    const block = readArmoredBlock(text, source, (label) => label.endsWith('PRIVATE KEY'));
    if (!block) {
      throw new KeyParseError(
        'no private key found (expected a PEM block labelled OPENSSH PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY)',
        { source },
      );
    }
    if (block.label === OPENSSH_LABEL) return parseOpenSsh(block, options.passphrase, source);
    const format = PEM_FORMATS[block.label];
    if (format === undefined) {
      throw new KeyParseError(
        `unsupported private key format "${block.label}" (supported: OPENSSH, RSA, EC, DSA, PKCS#8 PRIVATE KEY)`,
        { source },
      );
    }
    return parsePem(block, format, options.passphrase, source);
  } catch (err) {
    throw place(err, source);
  }
}

function parseOpenSsh(
  block: ArmoredBlock,
  passphrase: string | Buffer | undefined,
  source: string,
): ParsedPrivateKey {
  const container = decodeOpenSshContainer(block.body);
  const outer = parsePublicKeyBlob(container.publicBlob);
  const encrypted = container.cipherName !== 'none';
  const plain = decryptPrivateSection(container, passphrase, source);
  try {
    const { comment } = readPrivateSection(plain, container.publicBlob, source);
    return {
      publicKey: { ...outer, comment },
      encrypted,
      format: 'openssh',
      ...(encrypted ? { cipher: container.cipherName, kdf: container.kdfName } : {}),
    };
  } finally {
    plain.fill(0);
    block.body.fill(0);
  }
}

// PKCS#5 / PKCS#8 algorithm identifiers, to report how an ENCRYPTED PRIVATE KEY is protected.
const OIDS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.5.13': 'pbes2',
  '1.2.840.113549.1.5.12': 'pbkdf2',
  '1.3.6.1.4.1.11591.4.11': 'scrypt',
  '2.16.840.1.101.3.4.1.2': 'aes-128-cbc',
  '2.16.840.1.101.3.4.1.22': 'aes-192-cbc',
  '2.16.840.1.101.3.4.1.42': 'aes-256-cbc',
  '1.2.840.113549.3.7': 'des-ede3-cbc',
};

/** cipher and kdf of an encrypted PEM or PKCS#8 key, as far as they can be named. */
function pemEncryption(block: ArmoredBlock): { cipher?: string; kdf?: string } {
  const dek = block.headers.get('DEK-Info');
  if (dek !== undefined) return { cipher: dek.split(',')[0]!.trim(), kdf: 'EVP_BytesToKey-MD5' };
  try {
    const alg = new DerReader(block.body, 'encrypted PKCS#8 key').sequence().sequence();
    const scheme = alg.oid();
    if (OIDS[scheme] !== 'pbes2') return { kdf: 'pbes1' };
    const params = alg.sequence();
    const kdf = params.sequence().oid();
    const enc = params.sequence().oid();
    return { cipher: OIDS[enc] ?? enc, kdf: OIDS[kdf] ?? kdf };
  } catch {
    return {};
  }
}

function parsePem(
  block: ArmoredBlock,
  format: PrivateKeyFormat,
  passphrase: string | Buffer | undefined,
  source: string,
): ParsedPrivateKey {
  const encrypted =
    block.label === 'ENCRYPTED PRIVATE KEY' || (block.headers.get('Proc-Type') ?? '').includes('ENCRYPTED');
  if (encrypted && passphrase === undefined) throw missingPassphrase(source);
  let key: KeyObject;
  try {
    key = createPrivateKey({
      key: block.text,
      format: 'pem',
      ...(encrypted && passphrase !== undefined ? { passphrase } : {}),
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_MISSING_PASSPHRASE') throw missingPassphrase(source);
    if (encrypted) throw wrongPassphrase(source);
    // OpenSSL's error names a decoder step, never key bytes; only its code is kept.
    throw new KeyParseError(
      `not a valid ${block.label}: OpenSSL could not decode it${typeof code === 'string' ? ` (${code})` : ''}; the file may be truncated or damaged`,
      { source },
    );
  }
  const encryption = encrypted ? pemEncryption(block) : {};
  block.body.fill(0);
  return { publicKey: parsePublicKeyBlob(sshPublicBlob(key)), encrypted, format, ...encryption };
}
