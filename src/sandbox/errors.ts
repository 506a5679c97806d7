import { KeyfleetError } from '../errors.js';

/** The sandbox could not start, or its connection/state file is missing or unreadable. */
export class SandboxError extends KeyfleetError {
  /** The file concerned, when the problem is a file. */
  readonly path: string | undefined;
  constructor(message: string, options: { path?: string; cause?: unknown } = {}) {
    super('SANDBOX', message, options.cause === undefined ? {} : { cause: options.cause });
    this.path = options.path;
  }
}
