import { KeyfleetError } from '../errors.js';

/**
 * A key text that is not a valid OpenSSH key. `source` names the input (file path or `-`),
 * `line` is 1-based when the input is line oriented, `reason` says what was wrong and, where it
 * helps, what is allowed.
 */
export class KeyParseError extends KeyfleetError {
  readonly source: string;
  readonly line: number | undefined;
  readonly reason: string;

  constructor(
    reason: string,
    where: { source?: string; line?: number } = {},
    options: { cause?: unknown } = {},
  ) {
    const source = where.source ?? '<input>';
    const at = where.line === undefined ? source : `${source}:${where.line}`;
    super('KEY_PARSE', `${at}: ${reason}`, { exitCode: 2, ...options });
    this.source = source;
    this.line = where.line;
    this.reason = reason;
  }

  /** The same error, placed at a source and line (parsers below the file level do not know them). */
  at(source: string, line?: number): KeyParseError {
    return new KeyParseError(this.reason, line === undefined ? { source } : { source, line }, {
      cause: this,
    });
  }
}

/** A private key that is encrypted and no (or a wrong) passphrase was given. */
export class EncryptedKeyError extends KeyfleetError {
  readonly source: string;
  constructor(source: string, reason: string) {
    super('KEY_ENCRYPTED', `${source}: ${reason}`, { exitCode: 2 });
    this.source = source;
  }
}
