import type { MetadataItem, MetadataJson, MetadataState } from './types.js';

/**
 * Validation of a `Metadata` request body against Compute's documented limits (API-CONTRACTS.md
 * 3.2): keys `[a-zA-Z0-9-_]+` under 128 bytes and unique, values up to 256 KiB, keys and values
 * up to 512 KiB in total. The message texts are Google-style but unverified [U].
 */

const KEY_RE = /^[a-zA-Z0-9_-]+$/;

export interface MetadataLimits {
  maxValueBytes: number;
  maxTotalBytes: number;
}

export type ParsedMetadata =
  | { ok: true; fingerprint: string | undefined; items: MetadataItem[] }
  | { ok: false; message: string; reason: string };

export function parseMetadataBody(body: unknown, limits: MetadataLimits): ParsedMetadata {
  if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) {
    return {
      ok: false,
      message: 'Invalid JSON payload received. Expected an object for Metadata.',
      reason: 'parseError',
    };
  }
  const b = (body ?? {}) as Record<string, unknown>;
  if ('__invalidJson' in b) {
    return { ok: false, message: 'Invalid JSON payload received. Unexpected token.', reason: 'parseError' };
  }
  const fp = b['fingerprint'];
  if (fp !== undefined && fp !== null && typeof fp !== 'string') {
    return {
      ok: false,
      message: "Invalid value for field 'resource.fingerprint': expected a string.",
      reason: 'invalid',
    };
  }
  const rawItems = b['items'] ?? [];
  if (!Array.isArray(rawItems)) {
    return {
      ok: false,
      message: "Invalid value for field 'resource.items': expected a list.",
      reason: 'invalid',
    };
  }
  const items: MetadataItem[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (const [i, raw] of rawItems.entries()) {
    const field = `resource.items[${i}]`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      return {
        ok: false,
        message: `Invalid value for field '${field}': expected an object.`,
        reason: 'invalid',
      };
    }
    const { key, value } = raw as Record<string, unknown>;
    if (typeof key !== 'string' || key === '') {
      return { ok: false, message: `Required field '${field}.key' not specified`, reason: 'required' };
    }
    if (!KEY_RE.test(key) || Buffer.byteLength(key) >= 128) {
      return {
        ok: false,
        message: `Invalid value for field '${field}.key': '${key}'. Must be a match of regex '[a-zA-Z0-9-_]{1,127}'`,
        reason: 'invalid',
      };
    }
    if (seen.has(key)) {
      return {
        ok: false,
        message: `Invalid value for field '${field}.key': '${key}'. Duplicate metadata keys are not allowed.`,
        reason: 'invalid',
      };
    }
    seen.add(key);
    if (value !== undefined && value !== null && typeof value !== 'string') {
      return {
        ok: false,
        message: `Invalid value for field '${field}.value': expected a string.`,
        reason: 'invalid',
      };
    }
    const size = typeof value === 'string' ? Buffer.byteLength(value) : 0;
    if (size > limits.maxValueBytes) {
      return {
        ok: false,
        message: `Value for field '${field}.value' is too large: maximum size ${limits.maxValueBytes} character(s); actual size ${size}.`,
        reason: 'invalid',
      };
    }
    total += Buffer.byteLength(key) + size;
    items.push(typeof value === 'string' ? { key, value } : { key });
  }
  if (total > limits.maxTotalBytes) {
    return {
      ok: false,
      message: `Invalid value for field 'resource': the total size of all metadata keys and values is ${total} bytes; the maximum is ${limits.maxTotalBytes} bytes.`,
      reason: 'invalid',
    };
  }
  return { ok: true, fingerprint: typeof fp === 'string' ? fp : undefined, items };
}

/** Metadata as the API renders it: no `items` at all when empty. */
export function renderMetadata(m: MetadataState): MetadataJson {
  const out: MetadataJson = { kind: 'compute#metadata', fingerprint: m.fingerprint };
  if (m.items.length) out.items = m.items.map((i) => ({ ...i }));
  return out;
}
