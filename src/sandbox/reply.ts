import type { EmuResponse } from './http.js';

/**
 * Thrown inside an emulator handler to answer early (401, 404, 422...). The emulator's request
 * pipeline catches it and sends `response`, so checks read as one line each.
 */
export class Reply extends Error {
  constructor(readonly response: EmuResponse) {
    super(`HTTP ${response.status}`);
    this.name = 'Reply';
  }
}

/** Runs a handler, turning a thrown Reply into its response. */
export async function answer(run: () => EmuResponse | Promise<EmuResponse>): Promise<EmuResponse> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof Reply) return err.response;
    throw err;
  }
}

/** The request body as a JSON object; `undefined` when there was none; `null` when it was not an object. */
export function bodyObject(body: unknown): Record<string, unknown> | undefined | null {
  if (body === undefined) return undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || '__invalidJson' in body)
    return null;
  return body as Record<string, unknown>;
}
