import { randomBytes } from 'node:crypto';
import { EncryptedKeyError, KeyParseError } from './errors.js';
import {
  AuthTagError,
  DEFAULT_CIPHER,
  DEFAULT_KDF_ROUNDS,
  KDF_SALT_LEN,
  SSH_CIPHERS,
  SSH_CIPHER_NAMES,
  bcryptPbkdf,
  sshDecrypt,
  sshEncrypt,
} from './cipher.js';
import { armor } from './pem.js';
import { SshReader, SshWriter } from './wire.js';

/**
 * The `openssh-key-v1` private key container (OpenSSH PROTOCOL.key), read and written by hand:
 * node:crypto does not know it and no maintained JS library writes it the way ssh-keygen does.
 *
 *   "openssh-key-v1\0" string ciphername, string kdfname, string kdfoptions, uint32 nkeys (1),
 *   string publickey, string encrypted-private-section [|| authtag]
 *
 * The private section is uint32 checkint twice, the key (type + type-specific fields), a
 * comment, and padding 1, 2, 3, ... to the cipher's block size.
 *
 * Private material never reaches an error message: errors name what was wrong (a length, a
 * mismatch) and never echo bytes or strings read from the private section.
 */
export const OPENSSH_LABEL = 'OPENSSH PRIVATE KEY';
const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
/** A damaged rounds field must not make decryption run for hours (ssh-keygen -a 100 is a common high). */
export const MAX_KDF_ROUNDS = 1000;

export interface OpenSshContainer {
  cipherName: string;
  kdfName: string;
  /** bcrypt salt and rounds when kdfName is `bcrypt`. */
  kdf?: { salt: Buffer; rounds: number };
  /** The outer, unencrypted public key blob. */
  publicBlob: Buffer;
  /** The (possibly encrypted) private section, without the AEAD tag. */
  privateSection: Buffer;
  tag: Buffer;
}

/**
 * A cipher or KDF name for an error message, only when it looks like a name: a damaged length
 * could otherwise make the "name" run into the private section, whose bytes must not be echoed.
 */
function quotedName(s: string): string {
  return /^[A-Za-z0-9@._+-]{1,64}$/.test(s) ? `"${s}"` : '(not a valid name)';
}

/** Splits the decoded container. Throws KeyParseError (without a source: callers place it). */
export function decodeOpenSshContainer(body: Buffer): OpenSshContainer {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new KeyParseError('not an OpenSSH private key: the "openssh-key-v1" magic is missing');
  }
  const r = new SshReader(body.subarray(MAGIC.length), 'OpenSSH private key');
  const cipherName = r.string();
  const cipher = SSH_CIPHERS.get(cipherName);
  if (!cipher) {
    throw new KeyParseError(
      `unknown cipher ${quotedName(cipherName)} (supported: none, ${SSH_CIPHER_NAMES.join(', ')})`,
    );
  }
  const kdfName = r.string();
  const kdfOptions = r.bytes();
  const nkeys = r.uint32();
  if (nkeys !== 1)
    throw new KeyParseError(`the file holds ${nkeys} keys; OpenSSH private key files hold exactly 1`);
  const publicBlob = r.bytes();
  let kdf: OpenSshContainer['kdf'];
  if (kdfName === 'bcrypt') {
    const k = new SshReader(kdfOptions, 'bcrypt KDF options');
    const salt = k.bytes();
    const rounds = k.uint32();
    k.end();
    if (rounds < 1 || rounds > MAX_KDF_ROUNDS) {
      throw new KeyParseError(
        `bcrypt KDF rounds is ${rounds} (keyfleet reads 1 to ${MAX_KDF_ROUNDS}; ssh-keygen's default is 16)`,
      );
    }
    if (salt.length < 1 || salt.length > 1024)
      throw new KeyParseError(`bcrypt KDF salt is ${salt.length} bytes (expected 16)`);
    kdf = { salt: Buffer.from(salt), rounds };
  } else if (kdfName === 'none') {
    if (kdfOptions.length !== 0) throw new KeyParseError('KDF "none" with non-empty KDF options');
  } else {
    throw new KeyParseError(`unknown KDF ${quotedName(kdfName)} (supported: none, bcrypt)`);
  }
  if ((cipherName === 'none') !== (kdfName === 'none')) {
    throw new KeyParseError(
      `cipher ${quotedName(cipherName)} with KDF ${quotedName(kdfName)}: both must be "none" or neither`,
    );
  }
  const len = r.uint32();
  if (r.remaining < len + cipher.authLen) {
    throw new KeyParseError(
      `truncated OpenSSH private key: the private section needs ${len + cipher.authLen} bytes, ${r.remaining} left`,
    );
  }
  if (len < cipher.blockSize || len % cipher.blockSize !== 0) {
    throw new KeyParseError(
      `the private section is ${len} bytes, not a multiple of the ${cipher.blockSize}-byte block size of ${cipherName}`,
    );
  }
  const rest = r.rest();
  if (rest.length !== len + cipher.authLen) {
    throw new KeyParseError(
      `${rest.length - len - cipher.authLen} unexpected trailing bytes after the private section`,
    );
  }
  return {
    cipherName,
    kdfName,
    ...(kdf ? { kdf } : {}),
    publicBlob: Buffer.from(publicBlob),
    privateSection: rest.subarray(0, len),
    tag: rest.subarray(len),
  };
}

/**
 * The decrypted private section. Throws EncryptedKeyError when the key is encrypted and no
 * passphrase was given, or the checkints do not match (wrong passphrase).
 */
export function decryptPrivateSection(
  c: OpenSshContainer,
  passphrase: string | Buffer | undefined,
  source: string,
): Buffer {
  const cipher = SSH_CIPHERS.get(c.cipherName)!;
  let plain: Buffer;
  if (cipher.name === 'none') {
    plain = Buffer.from(c.privateSection);
  } else {
    if (passphrase === undefined) throw missingPassphrase(source);
    const pass = typeof passphrase === 'string' ? Buffer.from(passphrase, 'utf8') : passphrase;
    if (pass.length === 0) throw wrongPassphrase(source);
    const keyIv = bcryptPbkdf(pass, c.kdf!.salt, c.kdf!.rounds, cipher.keyLen + cipher.ivLen);
    try {
      plain = sshDecrypt(cipher, keyIv, c.privateSection, c.tag);
    } catch (err) {
      if (err instanceof AuthTagError) throw wrongPassphrase(source);
      throw err;
    } finally {
      keyIv.fill(0);
    }
  }
  if (plain.readUInt32BE(0) !== plain.readUInt32BE(4)) {
    plain.fill(0);
    // Unencrypted: the file is damaged. Encrypted: the passphrase was wrong (OpenSSH's own test).
    if (cipher.name === 'none') {
      throw new KeyParseError('corrupt private section: the two check words differ', { source });
    }
    throw wrongPassphrase(source);
  }
  return plain;
}

export function missingPassphrase(source: string): EncryptedKeyError {
  return new EncryptedKeyError(
    source,
    'private key is encrypted; pass its passphrase with --passphrase-file FILE',
  );
}

export function wrongPassphrase(source: string): EncryptedKeyError {
  return new EncryptedKeyError(
    source,
    'wrong passphrase (the private key did not decrypt with it); check the file given to --passphrase-file',
  );
}

const SK_ECDSA = 'sk-ecdsa-sha2-nistp256@openssh.com';
const SK_ED25519 = 'sk-ssh-ed25519@openssh.com';

/**
 * Reads the private key fields of `type` and returns the public blob they imply, or undefined
 * for types whose private layout keyfleet does not know (the generic path then applies).
 */
function readKnownKey(type: string, r: SshReader): Buffer | undefined {
  const w = new SshWriter().string(type);
  if (type === 'ssh-ed25519') {
    const pk = r.bytes();
    const sk = r.bytes();
    if (pk.length !== 32 || sk.length !== 64 || !sk.subarray(32).equals(pk)) {
      throw new KeyParseError('corrupt ssh-ed25519 private key (wrong field lengths or mismatched halves)');
    }
    return w.bytes(pk).toBuffer();
  }
  if (type.startsWith('ecdsa-sha2-')) {
    const curve = r.string();
    const q = r.bytes();
    r.mpint();
    return w.string(curve).bytes(q).toBuffer();
  }
  if (type === 'ssh-rsa') {
    const n = r.mpint();
    const e = r.mpint();
    r.mpint(); // d
    r.mpint(); // iqmp
    r.mpint(); // p
    r.mpint(); // q
    return w.mpint(e).mpint(n).toBuffer();
  }
  if (type === 'ssh-dss') {
    const p = r.mpint();
    const q = r.mpint();
    const g = r.mpint();
    const y = r.mpint();
    r.mpint(); // x
    return w.mpint(p).mpint(q).mpint(g).mpint(y).toBuffer();
  }
  if (type === SK_ECDSA) {
    const curve = r.string();
    const q = r.bytes();
    const app = r.bytes();
    r.uint8(); // flags
    r.bytes(); // key handle
    r.bytes(); // reserved
    return w.string(curve).bytes(q).bytes(app).toBuffer();
  }
  if (type === SK_ED25519) {
    const pk = r.bytes();
    const app = r.bytes();
    r.uint8();
    r.bytes();
    r.bytes();
    return w.bytes(pk).bytes(app).toBuffer();
  }
  return undefined;
}

function paddingOk(rest: Buffer): boolean {
  for (let i = 0; i < rest.length; i++) if (rest[i] !== ((i + 1) & 0xff)) return false;
  return true;
}

export interface PrivateSectionInfo {
  /** The comment stored with the private key ('' when it could not be located for an unknown type). */
  comment: string;
  /** True when the private fields were checked against the outer public blob. */
  verified: boolean;
}

/**
 * Checks a decrypted private section against the outer public blob and returns its comment.
 * Known types are parsed field by field (as OpenSSH's sshkey_private_deserialize does) and
 * their public part must equal the outer blob. For other types (e.g. post-quantum hybrids)
 * the fields are read as a run of strings, which holds for every OpenSSH type without a raw
 * byte field: the comment is the last string, and the outer blob's fields must be a prefix.
 */
export function readPrivateSection(plain: Buffer, publicBlob: Buffer, source: string): PrivateSectionInfo {
  const outerType = new SshReader(publicBlob, 'public key').string();
  const r = new SshReader(plain.subarray(8), 'private section');
  try {
    const type = r.string();
    if (type !== outerType) {
      throw new KeyParseError(
        'the private section holds a different key type than the public key in the file',
      );
    }
    const start = r.position;
    let derived: Buffer | undefined;
    try {
      derived = readKnownKey(type, r);
    } catch (err) {
      if (err instanceof KeyParseError) throw new KeyParseError(`corrupt private section: ${err.reason}`);
      throw err;
    }
    if (derived !== undefined) {
      if (!derived.equals(publicBlob)) {
        throw new KeyParseError('the private key does not match the public key in the file header');
      }
      const comment = r.string();
      if (!paddingOk(r.rest())) throw new KeyParseError('corrupt private section: bad padding');
      return { comment, verified: true };
    }
    // Generic: a run of length-prefixed strings, then the padding.
    const fields: Buffer[] = [];
    let end = start;
    while (r.remaining >= 4) {
      const len = plain.readUInt32BE(8 + r.position);
      if (len > r.remaining - 4) break;
      fields.push(r.bytes());
      end = r.position;
    }
    if (fields.length === 0 || !paddingOk(r.rest())) return { comment: '', verified: false };
    const outerFields = publicBlob.subarray(4 + Buffer.byteLength(outerType));
    const body = plain.subarray(8 + start, 8 + end);
    const isCert = type.endsWith('-cert-v01@openssh.com');
    // A layout we do not know may legitimately differ, so a failed check is reported, not thrown.
    const verified = isCert
      ? fields[0]!.equals(publicBlob)
      : body.subarray(0, outerFields.length).equals(outerFields);
    return { comment: fields.length > 1 ? fields[fields.length - 1]!.toString('utf8') : '', verified };
  } catch (err) {
    if (err instanceof KeyParseError) throw err.at(source);
    throw err;
  }
}

export interface OpenSshPrivateKeyParts {
  /** The public key blob (written, unencrypted, in the file header). */
  publicBlob: Buffer;
  /** The key type name followed by its private fields, in OpenSSH's wire encoding. */
  privateKey: Buffer;
  comment?: string;
  /** Encrypts with bcrypt + `cipher` when set and non-empty (an empty passphrase means none, as in ssh-keygen). */
  passphrase?: string | Buffer;
  /** Default aes256-ctr, as ssh-keygen. */
  cipher?: string;
  /** bcrypt rounds; default 16, as ssh-keygen. */
  rounds?: number;
}

/**
 * Writes an OpenSSH private key file exactly as ssh-keygen does: random checkint twice, the
 * key, the comment, padding 1, 2, 3, ..., base64 wrapped at 70 columns.
 */
export function encodeOpenSshPrivateKey(parts: OpenSshPrivateKeyParts): string {
  const pass =
    parts.passphrase === undefined
      ? Buffer.alloc(0)
      : typeof parts.passphrase === 'string'
        ? Buffer.from(parts.passphrase, 'utf8')
        : parts.passphrase;
  const cipherName = pass.length === 0 ? 'none' : (parts.cipher ?? DEFAULT_CIPHER);
  const cipher = SSH_CIPHERS.get(cipherName);
  if (!cipher)
    throw new RangeError(`unknown cipher "${cipherName}" (supported: ${SSH_CIPHER_NAMES.join(', ')})`);
  const rounds = parts.rounds ?? DEFAULT_KDF_ROUNDS;
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new RangeError(`bcrypt rounds must be a positive integer`);

  const check = randomBytes(4);
  const section = new SshWriter()
    .raw(check)
    .raw(check)
    .raw(parts.privateKey)
    .string(parts.comment ?? '')
    .toBuffer();
  const padLen = (cipher.blockSize - (section.length % cipher.blockSize)) % cipher.blockSize;
  const pad = Buffer.alloc(padLen);
  for (let i = 0; i < padLen; i++) pad[i] = i + 1;
  const plain = Buffer.concat([section, pad]);
  section.fill(0);

  let kdfName = 'none';
  let kdfOptions: Buffer = Buffer.alloc(0);
  let encrypted: { data: Buffer; tag: Buffer };
  if (cipher.name === 'none') {
    encrypted = { data: plain, tag: Buffer.alloc(0) };
  } else {
    const salt = randomBytes(KDF_SALT_LEN);
    kdfName = 'bcrypt';
    kdfOptions = new SshWriter().bytes(salt).uint32(rounds).toBuffer();
    const keyIv = bcryptPbkdf(pass, salt, rounds, cipher.keyLen + cipher.ivLen);
    encrypted = sshEncrypt(cipher, keyIv, plain);
    keyIv.fill(0);
    plain.fill(0);
  }
  const blob = new SshWriter()
    .raw(MAGIC)
    .string(cipher.name)
    .string(kdfName)
    .bytes(kdfOptions)
    .uint32(1)
    .bytes(parts.publicBlob)
    .bytes(encrypted.data)
    .raw(encrypted.tag)
    .toBuffer();
  const text = armor(OPENSSH_LABEL, blob, 70);
  blob.fill(0);
  encrypted.data.fill(0);
  return text;
}
