import { KeyfleetError } from '../errors.js';
import { redact } from './redact.js';
import type { Platform } from './types.js';

/**
 * Every remote failure, whatever the platform, becomes one PlatformError: platform, HTTP status,
 * method, URL (credentials redacted), the platform's own message and a hint that says what to
 * do next.
 */
export class PlatformError extends KeyfleetError {
  readonly platform: Platform;
  readonly status: number | undefined;
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly platformMessage: string;
  readonly hint: string | undefined;

  constructor(fields: {
    platform: Platform;
    status?: number;
    method?: string;
    url?: string;
    platformMessage: string;
    hint?: string;
    code?: string;
    cause?: unknown;
  }) {
    const url = fields.url === undefined ? undefined : redact(fields.url);
    const platformMessage = redact(fields.platformMessage);
    const hint = fields.hint === undefined ? undefined : redact(fields.hint);
    const req = fields.method && url ? ` (${fields.method} ${url}${fields.status ? ` -> ${fields.status}` : ''})` : '';
    super(fields.code ?? 'PLATFORM', `${fields.platform}: ${platformMessage}${req}${hint ? `\n  hint: ${hint}` : ''}`, {
      exitCode: 1,
    });
    this.platform = fields.platform;
    this.status = fields.status;
    this.method = fields.method;
    this.url = url;
    this.platformMessage = platformMessage;
    this.hint = hint;
    // The cause is kept out of `cause` on purpose: client errors carry request headers with tokens.
  }
}
