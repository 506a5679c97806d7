/**
 * The subset of Compute's list `filter` syntax the emulator understands: comparisons
 * `field OP value` with `=`, `!=`, `>`, `<`, `>=`, `<=`, `:` (has; `*` is a wildcard, `field:*`
 * tests presence) and the regular-expression forms `field eq 'RE'` / `field ne 'RE'`, joined by
 * `AND` (or juxtaposition), `OR` and `NOT`, with parentheses. As in Google's filter grammar
 * (AIP-160), OR binds tighter than AND. `field` is a dotted path into the resource's JSON; an
 * array field matches when any element does, and a resource URL also matches its last segment
 * (`zone = us-central1-a`). Hand-written: no library parses this grammar.
 */

export type Predicate = (resource: unknown) => boolean;

type Token = { kind: 'word' | 'string' | 'op' | '(' | ')'; text: string };

const OPERATORS = ['!=', '>=', '<=', '=', '>', '<', ':'] as const;

function tokenize(expr: string): Token[] | undefined {
  const out: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ kind: c, text: c });
      i++;
    } else if (c === '"' || c === "'") {
      const end = expr.indexOf(c, i + 1);
      if (end < 0) return undefined;
      out.push({ kind: 'string', text: expr.slice(i + 1, end) });
      i = end + 1;
    } else {
      const op = OPERATORS.find((o) => expr.startsWith(o, i));
      if (op) {
        out.push({ kind: 'op', text: op });
        i += op.length;
        continue;
      }
      const start = i;
      while (i < expr.length && !/[\s()"'!=<>:]/.test(expr[i]!)) i++;
      if (i === start) return undefined; // a lone `!`
      out.push({ kind: 'word', text: expr.slice(start, i) });
    }
  }
  return out;
}

/** Parses a filter; undefined when it does not parse (the caller answers 400). */
export function parseListFilter(expr: string): Predicate | undefined {
  const tokens = tokenize(expr);
  if (!tokens) return undefined;
  let pos = 0;
  const peek = () => tokens[pos];
  const isWord = (t: Token | undefined, w: string) => t?.kind === 'word' && t.text === w;

  // and := or (('AND')? or)*
  const parseAnd = (): Predicate | undefined => {
    const parts: Predicate[] = [];
    for (;;) {
      const p = parseOr();
      if (!p) return undefined;
      parts.push(p);
      const next = peek();
      if (next === undefined || next.kind === ')') break;
      if (isWord(next, 'AND')) pos++;
    }
    return (r) => parts.every((p) => p(r));
  };
  // or := unary ('OR' unary)*
  const parseOr = (): Predicate | undefined => {
    const parts: Predicate[] = [];
    for (;;) {
      const p = parseUnary();
      if (!p) return undefined;
      parts.push(p);
      if (!isWord(peek(), 'OR')) break;
      pos++;
    }
    return parts.length === 1 ? parts[0] : (r) => parts.some((p) => p(r));
  };
  const parseUnary = (): Predicate | undefined => {
    if (isWord(peek(), 'NOT')) {
      pos++;
      const inner = parseUnary();
      return inner && ((r) => !inner(r));
    }
    if (peek()?.kind === '(') {
      pos++;
      const inner = parseAnd();
      if (!inner || peek()?.kind !== ')') return undefined;
      pos++;
      return inner;
    }
    return parseComparison();
  };
  const parseComparison = (): Predicate | undefined => {
    const field = tokens[pos];
    const op = tokens[pos + 1];
    const value = tokens[pos + 2];
    if (field?.kind !== 'word' || !op || (value?.kind !== 'word' && value?.kind !== 'string'))
      return undefined;
    const isRegex = op.kind === 'word' && (op.text === 'eq' || op.text === 'ne');
    if (op.kind !== 'op' && !isRegex) return undefined;
    pos += 3;
    const path = field.text.split('.');
    if (isRegex) {
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${value.text})$`); // RE2 full match, approximated by a JS RegExp
      } catch {
        return undefined;
      }
      const want = op.text === 'eq';
      return (r) => values(r, path).some((v) => matches(v, (s) => re.test(s))) === want;
    }
    return comparison(path, op.text, value.text);
  };

  const predicate = parseAnd();
  return predicate && pos === tokens.length ? predicate : undefined;
}

function comparison(path: string[], op: string, want: string): Predicate {
  if (op === ':') {
    if (want === '*') return (r) => values(r, path).length > 0;
    const re = globRegExp(want);
    return (r) => values(r, path).some((v) => matches(v, (s) => re.test(s)));
  }
  const equals = (s: string) => (want.includes('*') ? globRegExp(want).test(s) : s === want);
  // `!=` holds when no value equals; the others when some value satisfies them.
  if (op === '!=') return (r) => !values(r, path).some((v) => matches(v, equals));
  const test = (s: string): boolean => {
    if (op === '=') return equals(s);
    const c = compare(s, want);
    return op === '>' ? c > 0 : op === '<' ? c < 0 : op === '>=' ? c >= 0 : c <= 0;
  };
  return (r) => values(r, path).some((v) => matches(v, test));
}

/** A string matches itself and, when it is a URL, its last path segment. */
function matches(v: string, test: (s: string) => boolean): boolean {
  if (test(v)) return true;
  return /^https?:\/\//.test(v) && test(v.slice(v.lastIndexOf('/') + 1));
}

function compare(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && !Number.isNaN(x) && !Number.isNaN(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

function globRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** The scalar values at a dotted path, as strings; arrays contribute each element. */
function values(resource: unknown, path: string[]): string[] {
  let current: unknown[] = [resource];
  for (const key of path) {
    const next: unknown[] = [];
    for (const c of current) {
      const v = c !== null && typeof c === 'object' ? (c as Record<string, unknown>)[key] : undefined;
      if (Array.isArray(v)) next.push(...(v as unknown[]));
      else if (v !== undefined) next.push(v);
    }
    current = next;
  }
  return current
    .filter((v) => v !== null && typeof v !== 'object')
    .map((v) => String(v as string | number | boolean));
}
