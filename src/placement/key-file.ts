/**
 * Reading the one public key that `grant` places (and `revoke` may be given instead of a
 * fingerprint): a `.pub` file or standard input, exactly one key, never a private key.
 */
import { promises as fsp } from 'node:fs';
import { InputError } from '../errors.js';
import { KeyParseError } from '../keys/errors.js';
import { isPrivateKeyText } from '../keys/private-key.js';
import { isPrivateKeyMaterial, parsePublicKey } from '../keys/public-key.js';
import type { PublicKey } from '../keys/types.js';

/** More than any public key file; a bigger input is not a `.pub` file. */
const MAX_KEY_FILE_BYTES = 256 * 1024;

const PRIVATE_REFUSED =
  'this is a private key; keyfleet places public keys only. Pass the .pub file instead ' +
  '(or make one with `ssh-keygen -y -f KEY > KEY.pub`). The private key was not used and is not shown.';

async function readAll(stream: AsyncIterable<Buffer | string>, source: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    size += b.length;
    if (size > MAX_KEY_FILE_BYTES) {
      throw new InputError(
        source,
        `larger than ${MAX_KEY_FILE_BYTES / 1024} KiB; expected one public key (a .pub file)`,
      );
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads the text of `file` (`-` = standard input) with a size bound. */
export async function readKeyText(
  file: string,
  stdin: AsyncIterable<Buffer | string> = process.stdin,
): Promise<string> {
  const source = file === '-' ? '(stdin)' : file;
  if (file === '-') return readAll(stdin, source);
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      file,
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code ?? err),
    );
  }
  try {
    if ((await fh.stat()).isDirectory())
      throw new InputError(file, 'is a directory; expected a public key file (.pub)');
    return await readAll(fh.createReadStream(), source);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * The single public key in `text`. Blank lines and `#` comments are skipped; a private key,
 * no key, or more than one key is an InputError that names the source and never echoes key material.
 */
export function parseSingleKey(text: string, source: string): PublicKey {
  if (isPrivateKeyText(text) || isPrivateKeyMaterial(text)) throw new InputError(source, PRIVATE_REFUSED);
  const lines = text
    .split(/\r?\n/)
    .map((l, i) => ({ line: l.trim(), n: i + 1 }))
    .filter((l) => l.line !== '' && !l.line.startsWith('#'));
  if (lines.length === 0)
    throw new InputError(source, 'no public key found; expected one line "TYPE BASE64 [COMMENT]"');
  if (lines.length > 1) {
    throw new InputError(
      source,
      `holds ${lines.length} lines that look like keys; give exactly one public key per file (one grant per key)`,
    );
  }
  const { line, n } = lines[0]!;
  try {
    return parsePublicKey(line);
  } catch (err) {
    if (err instanceof KeyParseError) throw err.at(source, n);
    throw err;
  }
}

export async function readSingleKey(
  file: string,
  stdin?: AsyncIterable<Buffer | string>,
): Promise<PublicKey> {
  const text = await readKeyText(file, stdin);
  return parseSingleKey(text, file === '-' ? '(stdin)' : file);
}
