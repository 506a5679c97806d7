/**
 * Writes a set of files (a key pair) so that none is ever readable wider than its final mode and
 * a failure leaves no partial set: each file is written under a temporary name in its target
 * directory, created with its final mode (0600 for a private key, so never briefly wider),
 * flushed, and only then moved into place. Without `force` an existing file is never replaced,
 * even one created while we worked: link(2) fails atomically when the name exists.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { KeyfleetError } from '../errors.js';
import { fsReason } from './input-files.js';

export interface FileToWrite {
  path: string;
  data: string | Uint8Array;
  /** Final permission bits, e.g. 0o600. */
  mode: number;
}

/** A target file exists and overwriting was not asked for (exit 1: nothing was written). */
export class OutputExistsError extends KeyfleetError {
  readonly path: string;
  constructor(file: string) {
    super('OUTPUT_EXISTS', `${file} already exists; nothing was written (pass --force to overwrite it)`, {
      exitCode: 1,
    });
    this.path = file;
  }
}

/** A target file could not be written (directory missing, permission denied, disk full...). */
export class OutputError extends KeyfleetError {
  readonly path: string;
  constructor(file: string, reason: string, options: { cause?: unknown } = {}) {
    super('OUTPUT', `cannot write ${file}: ${reason}; nothing was written`, { exitCode: 1, ...options });
    this.path = file;
  }
}

/** Throws OutputExistsError / OutputError when `files` cannot be written; writes nothing. */
export async function checkWritable(files: readonly FileToWrite[], force: boolean): Promise<void> {
  for (const f of files) {
    const st = await fsp.lstat(f.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw new OutputError(f.path, fsReason(err), { cause: err });
    });
    if (st?.isDirectory()) throw new OutputError(f.path, 'it is a directory');
    if (st && !force) throw new OutputExistsError(f.path);
    const dir = path.dirname(f.path);
    const dst = await fsp.stat(dir).catch((err: NodeJS.ErrnoException) => {
      throw new OutputError(f.path, `directory ${dir}: ${fsReason(err)}`, { cause: err });
    });
    if (!dst.isDirectory()) throw new OutputError(f.path, `${dir} is not a directory`);
  }
}

/**
 * Writes every file or none. With `force`, existing files are replaced atomically (rename);
 * should placing a later file fail, the files already placed are removed again, so a mismatched
 * pair never remains.
 */
export async function writeFilesAtomically(
  files: readonly FileToWrite[],
  options: { force: boolean },
): Promise<void> {
  await checkWritable(files, options.force);
  const temps: string[] = [];
  const placed: string[] = [];
  let current = files[0]?.path ?? '';
  try {
    for (const f of files) {
      current = f.path;
      temps.push(await writeTemp(f));
    }
    for (const [i, f] of files.entries()) {
      current = f.path;
      await place(temps[i]!, f, options.force);
      placed.push(f.path);
    }
    await syncDir(path.dirname(current));
  } catch (err) {
    await Promise.all([...temps, ...placed].map((p) => fsp.unlink(p).catch(() => undefined)));
    if (err instanceof OutputExistsError) throw err;
    const undone =
      placed.length > 0
        ? ` (${placed.join(' and ')} removed again${options.force ? ': the files it replaced are gone' : ''})`
        : '';
    const reason = err instanceof KeyfleetError ? err.message : fsReason(err);
    throw new OutputError(current, reason + undone, { cause: err });
  }
}

async function writeTemp(f: FileToWrite): Promise<string> {
  const tmp = path.join(
    path.dirname(f.path),
    `.${path.basename(f.path)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  // O_EXCL: a fresh inode of ours, created with the final mode (the umask can only narrow it).
  const fh = await fsp.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, f.mode);
  try {
    await fh.chmod(f.mode); // exact mode whatever the umask (0644 for a .pub under umask 077)
    await fh.writeFile(f.data);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fsp.unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  return tmp;
}

async function place(tmp: string, f: FileToWrite, force: boolean): Promise<void> {
  if (force) {
    await fsp.rename(tmp, f.path);
    return;
  }
  try {
    await fsp.link(tmp, f.path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new OutputExistsError(f.path);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    // A filesystem without hard links: create the name exclusively with the final mode instead.
    await fsp.writeFile(f.path, f.data, { flag: 'wx', mode: f.mode }).catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'EEXIST' ? new OutputExistsError(f.path) : e;
    });
    await fsp.chmod(f.path, f.mode);
  }
  await fsp.unlink(tmp);
}

/** Makes the new names durable; best effort (some filesystems refuse to fsync a directory). */
async function syncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r').catch(() => undefined);
  await fh
    ?.sync()
    .catch(() => undefined)
    .finally(() => fh.close());
}
