import { randomBytes, randomInt } from 'node:crypto';

/**
 * Small value generators shaped like Google's: metadata fingerprints, numeric ids, operation
 * names, RFC 3339 timestamps with an offset, and `?fields=` partial responses.
 */

/** 8 random bytes in base64url with padding (12 chars), like observed fingerprints (`-goaeN2SGek=`). */
export function newFingerprint(): string {
  return randomBytes(8).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** A random decimal id of exactly `digits` digits (no leading zero). */
export function numericId(digits: number): string {
  let s = String(randomInt(1, 10));
  while (s.length < digits) s += String(randomInt(0, 10));
  return s;
}

/** `operation-1619221279356-5c0ac552b379f-4c936f4c-587403ae` */
export function operationName(now: number): string {
  const hex = (n: number) =>
    randomBytes(Math.ceil(n / 2))
      .toString('hex')
      .slice(0, n);
  return `operation-${now}-${hex(13)}-${hex(8)}-${hex(8)}`;
}

const offsetFormat = (() => {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: 'America/Los_Angeles', timeZoneName: 'longOffset' });
  } catch {
    return undefined;
  }
})();

/**
 * Compute writes timestamps in Pacific time with a numeric offset (`2021-04-23T16:41:19.748-07:00`);
 * doing the same makes clients that only handle `Z` fail here rather than in production.
 */
export function googleTime(ms: number): string {
  const d = new Date(ms);
  const name = offsetFormat?.formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
  const sign = m?.[1] ?? '+';
  const hh = m?.[2] ?? '00';
  const mm = m?.[3] ?? '00';
  const offsetMin = (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm));
  const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, -1);
  return `${local}${sign}${hh}:${mm}`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Compute's rule for `requestId`: a UUID, but not the zero UUID. */
export function isValidRequestId(id: string): boolean {
  return UUID_RE.test(id) && !/^[0-]+$/.test(id);
}

type FieldTree = Map<string, FieldTree | null>;

/**
 * Google's partial-response `fields` syntax: `a,b/c,d(e,f)`. Returns undefined when the
 * expression does not parse (the caller answers 400).
 */
export function parseFields(expr: string): FieldTree | undefined {
  let i = 0;
  // item := name ('/' item | '(' list ')')?
  const parseItem = (): [string, FieldTree | null] | undefined => {
    const start = i;
    while (i < expr.length && !',()/'.includes(expr[i]!)) i++;
    const name = expr.slice(start, i).trim();
    if (!name) return undefined;
    if (expr[i] === '/') {
      i++;
      const inner = parseItem();
      return inner ? [name, new Map([inner])] : undefined;
    }
    if (expr[i] === '(') {
      i++;
      const inner = parseList();
      if (!inner || expr[i] !== ')') return undefined;
      i++;
      return [name, inner];
    }
    return [name, null];
  };
  // list := item (',' item)*
  const parseList = (): FieldTree | undefined => {
    const tree: FieldTree = new Map();
    for (;;) {
      const item = parseItem();
      if (!item) return undefined;
      const [name, sub] = item;
      const prev = tree.get(name);
      tree.set(name, prev === null || sub === null ? null : mergeTrees(prev, sub));
      if (expr[i] !== ',') return tree;
      i++;
    }
  };
  const tree = parseList();
  return tree && i === expr.length ? tree : undefined;
}

function mergeTrees(a: FieldTree | undefined, b: FieldTree): FieldTree {
  if (!a) return b;
  const out: FieldTree = new Map(a);
  for (const [k, v] of b) {
    const prev = out.get(k);
    out.set(k, prev === null || v === null ? null : mergeTrees(prev, v));
  }
  return out;
}

/**
 * Keeps only the selected fields; arrays apply the selection to each element, and `*` selects
 * every key of a map (the zones under an aggregated list's `items`).
 */
export function pickFields(value: unknown, tree: FieldTree): unknown {
  if (Array.isArray(value)) return value.map((v) => pickFields(v, tree));
  if (value === null || typeof value !== 'object') return value;
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const any = tree.get('*');
  for (const k of Object.keys(src)) {
    const sub = tree.has(k) ? tree.get(k) : any;
    if (sub === undefined) continue;
    out[k] = sub === null ? src[k] : pickFields(src[k], sub);
  }
  return out;
}
