/**
 * What every emulator in the sandbox implements, so `startSandbox` can start, describe, persist
 * and stop them without knowing which platform each one emulates.
 */
import { randomBytes } from 'node:crypto';
import type { EmulatorServer } from './http.js';

export interface Emulator {
  /** `github`, `gitlab`, `gcp`, ...: the key of its section in the connection and state files. */
  readonly name: string;
  readonly server: EmulatorServer;
  /** Its section of the connection file (URLs, tokens, seeded names). */
  connectionInfo(): object;
  /** Everything needed to restart it as it is now; JSON-serializable. */
  exportState(): unknown;
  close(): Promise<void>;
}

export interface EmulatorStartOptions {
  /** A value earlier returned by `exportState()`; when given, the seed is not applied. */
  state?: unknown;
  /** Seed users, tokens, org/group and repos/projects (default true). */
  seed?: boolean;
}

export type EmulatorStarter = (options: EmulatorStartOptions) => Promise<Emulator>;

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A sandbox token: `prefix` + 32 random alphanumerics (e.g. `kfgh_…`), a shape the redactor masks. */
export function randomToken(prefix: string, length = 32): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  // Rejection sampling keeps the alphabet uniform (248 = 4 * 62).
  for (const b of bytes) {
    if (b < 248) out += ALNUM[b % 62];
    if (out.length === length) break;
  }
  return out.length === length ? prefix + out : randomToken(prefix, length);
}

/** A deep copy through JSON, so exported state never aliases live objects. */
export function jsonClone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
