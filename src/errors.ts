/**
 * The root of keyfleet's typed errors. Every error a user can meet carries a stable `code`,
 * structured fields, and a message that says what was wrong and what is allowed. The CLI prints
 * `message` only (no stack) unless KEYFLEET_DEBUG is set.
 */
export class KeyfleetError extends Error {
  /** Stable machine-readable code, e.g. `KEY_PARSE`, `PLATFORM`, `USAGE`. */
  readonly code: string;
  /** The process exit code the CLI uses when this error ends a command. */
  readonly exitCode: number;

  constructor(code: string, message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Wrong flags or arguments: exit 2, like every CLI that follows POSIX conventions. */
export class UsageError extends KeyfleetError {
  constructor(message: string) {
    super('USAGE', message, { exitCode: 2 });
  }
}

/** An input (file, stdin, flag value) that cannot be read at all. */
export class InputError extends KeyfleetError {
  readonly source: string;
  constructor(source: string, reason: string, options: { cause?: unknown } = {}) {
    super('INPUT', `${source}: ${reason}`, { exitCode: 2, ...options });
    this.source = source;
  }
}
