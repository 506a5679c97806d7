/**
 * `keyfleet keygen`: validates the flags, generates the pair, writes PATH (0600) and PATH.pub
 * (0644) all-or-nothing, and prints the fingerprint. The private key is never printed.
 */
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { generateKeyPairAsync, resolveKeySpec } from '../../keys/generate.js';
import { keygenTypeLabel } from '../../keys/public-key.js';
import type { KeygenFlags } from '../commands/keygen.js';
import { readPassphraseFile } from '../input-files.js';
import { printJson } from '../output.js';
import { checkWritable, writeFilesAtomically } from '../write-secret.js';

/** `-b` as a number (ranges per type are checked by resolveKeySpec), or a usage error. */
export function parseBits(bits: string | undefined): number | undefined {
  if (bits === undefined) return undefined;
  if (!/^\d{1,6}$/.test(bits)) {
    throw new UsageError(
      `-b ${JSON.stringify(bits)}: expected a whole number of bits (ecdsa: 256, 384, 521; rsa: 2048-16384)`,
    );
  }
  return Number(bits);
}

/** `user@host`, as ssh-keygen's default comment. */
export function defaultComment(): string {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.LOGNAME ?? 'user'; // no passwd entry (some containers)
  }
  return `${user}@${os.hostname()}`;
}

export async function runKeygen(flags: KeygenFlags): Promise<number> {
  const bitsFlag = parseBits(flags.bits);
  const spec = resolveKeySpec(
    bitsFlag === undefined ? { type: flags.type } : { type: flags.type, bits: bitsFlag },
  );
  const comment = flags.comment ?? defaultComment();
  if (/[\r\n]/.test(comment)) throw new UsageError('-C: the comment cannot contain line breaks');
  let passphrase: string | undefined;
  if (flags.passphraseFile !== undefined) {
    passphrase = await readPassphraseFile(flags.passphraseFile);
    if (passphrase === '') {
      throw new UsageError(
        `--passphrase-file ${flags.passphraseFile}: the first line is empty; leave out --passphrase-file for an unencrypted key`,
      );
    }
  }
  const privatePath = path.resolve(flags.file);
  const publicPath = `${privatePath}.pub`;
  const force = flags.force === true;
  // Fail before the (possibly slow) generation when the files cannot be written anyway.
  await checkWritable(
    [
      { path: privatePath, data: '', mode: 0o600 },
      { path: publicPath, data: '', mode: 0o644 },
    ],
    force,
  );

  const pair = await generateKeyPairAsync({
    ...spec,
    comment,
    ...(passphrase === undefined ? {} : { passphrase }),
  });
  const publicLine = pair.publicKey.endsWith('\n') ? pair.publicKey : pair.publicKey + '\n';
  await writeFilesAtomically(
    [
      { path: privatePath, data: pair.privateKey, mode: 0o600 },
      { path: publicPath, data: publicLine, mode: 0o644 },
    ],
    { force },
  );

  const { key } = pair;
  if (flags.json) {
    printJson({
      path: privatePath,
      publicKeyPath: publicPath,
      type: key.type,
      bits: key.bits,
      fingerprint: key.fingerprint,
      publicKey: publicLine.trimEnd(),
    });
  } else {
    process.stdout.write(
      `Wrote private key ${privatePath} (mode 0600)${passphrase === undefined ? '' : ', encrypted'}\n` +
        `Wrote public key ${publicPath}\n` +
        `${key.bits} ${key.fingerprint} ${key.comment || 'no comment'} (${keygenTypeLabel(key)})\n`,
    );
  }
  return 0;
}
