import { KeyfleetError } from '../errors.js';
import { redact } from './redact.js';
import type { Platform } from './types.js';

export interface PlatformErrorFields {
  platform: Platform;
  status?: number;
  method?: string;
  url?: string;
  platformMessage: string;
  hint?: string;
  code?: string;
  cause?: unknown;
}

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
  private readonly fields: PlatformErrorFields;

  constructor(fields: PlatformErrorFields) {
    const url = fields.url === undefined ? undefined : redact(fields.url);
    const platformMessage = redact(fields.platformMessage);
    const hint = fields.hint === undefined ? undefined : redact(fields.hint);
    const req =
      fields.method && url ? ` (${fields.method} ${url}${fields.status ? ` -> ${fields.status}` : ''})` : '';
    super(
      fields.code ?? 'PLATFORM',
      `${fields.platform}: ${platformMessage}${req}${hint ? `\n  hint: ${hint}` : ''}`,
      {
        exitCode: 1,
      },
    );
    this.platform = fields.platform;
    this.status = fields.status;
    this.method = fields.method;
    this.url = url;
    this.platformMessage = platformMessage;
    this.hint = hint;
    // Kept for withHint(); without `cause` and non-enumerable so it never reaches a log.
    const { cause: _cause, ...rest } = fields;
    this.fields = rest;
    Object.defineProperty(this, 'fields', { enumerable: false });
    // The cause is kept out of `cause` on purpose: client errors carry request headers with tokens.
  }

  /** The same error with a more specific hint (and code), for callers that know what the status meant. */
  withHint(hint: string, code?: string): PlatformError {
    const c = code ?? (this.code === 'PLATFORM' ? undefined : this.code);
    return new PlatformError({ ...this.fields, hint, ...(c ? { code: c } : {}) });
  }

  /** A JSON-safe summary for `--json` reports (already redacted). */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      code: this.code,
      platform: this.platform,
      message: this.platformMessage,
    };
    if (this.status !== undefined) out.status = this.status;
    if (this.method !== undefined) out.method = this.method;
    if (this.url !== undefined) out.url = this.url;
    if (this.hint !== undefined) out.hint = this.hint;
    return out;
  }
}

const TOKEN_HELP: Record<Platform, string> = {
  github:
    'set GH_TOKEN or GITHUB_TOKEN (classic scopes: admin:public_key for your own keys, repo for deploy keys; ' +
    'GH_ENTERPRISE_TOKEN for GitHub Enterprise Server), or use the local sandbox with --sandbox [FILE]',
  gitlab:
    'set GITLAB_TOKEN (a personal access token with the api scope; read_api is enough for listing), ' +
    'or use the local sandbox with --sandbox [FILE]',
  gcp: 'run `gcloud auth application-default login` (Application Default Credentials), or use the local sandbox with --sandbox [FILE]',
};

const PLATFORM_NAMES: Record<Platform, string> = { github: 'GitHub', gitlab: 'GitLab', gcp: 'Google Cloud' };

/** No credentials for a call that needs them: says which variables keyfleet reads and the sandbox alternative. */
export function missingTokenError(platform: Platform, action: string): PlatformError {
  return new PlatformError({
    platform,
    code: 'NO_TOKEN',
    platformMessage: `no ${PLATFORM_NAMES[platform]} token: ${action} needs one`,
    hint: TOKEN_HELP[platform],
  });
}
