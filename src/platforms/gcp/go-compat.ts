/**
 * The few Go standard-library behaviours the guest agent's decisions rest on, reproduced
 * exactly: `strconv.ParseBool`, `bytes.TrimSpace`, `time.Parse` with the two layouts the agent
 * accepts for `expireOn`, and `encoding/json`'s case-insensitive field matching. Hand-written
 * because they must match Go, not JavaScript (whose trim, Date parsing and JSON differ).
 */

/** Go `strconv.ParseBool`: the twelve accepted spellings; anything else is `undefined` (a parse error). */
export function parseGoBool(text: string | undefined): boolean | undefined {
  switch (text) {
    case '1':
    case 't':
    case 'T':
    case 'TRUE':
    case 'true':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'FALSE':
    case 'false':
    case 'False':
      return false;
    default:
      return undefined;
  }
}

/** Go `unicode.IsSpace`. */
export function isGoSpace(c: string): boolean {
  const cp = c.codePointAt(0)!;
  if (cp <= 0xff) return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d) || cp === 0x85 || cp === 0xa0;
  return (
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000
  );
}

/** Go `bytes.TrimSpace` / `strings.TrimSpace` (JavaScript's trim() differs on U+0085 and U+FEFF). */
export function goTrimSpace(text: string): string {
  const chars = Array.from(text);
  let start = 0;
  let end = chars.length;
  while (start < end && isGoSpace(chars[start]!)) start++;
  while (end > start && isGoSpace(chars[end - 1]!)) end--;
  return chars.slice(start, end).join('');
}

/** Go `strings.Trim(s, " ")`: spaces only, as the agent trims each metadata line. */
export function trimSpaces(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text[start] === ' ') start++;
  while (end > start && text[end - 1] === ' ') end--;
  return text.slice(start, end);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:\d{2})$/;
const GO_NUMTZ = /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?([+-]\d{4})$/;

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function build(m: RegExpExecArray, zone: string): Date | undefined {
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(month, year)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const digits = zone.replace(':', '');
    const hh = Number(digits.slice(1, 3));
    const mm = Number(digits.slice(3, 5));
    // Go rejects offsets past 24 hours or 60 minutes; it does not require a "real" zone.
    if (hh > 24 || mm > 60) return undefined;
    offsetMinutes = (digits[0] === '-' ? -1 : 1) * (hh * 60 + mm);
  }
  const ms = m[7] === undefined ? 0 : Number((m[7] + '00').slice(0, 3));
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return new Date(d.getTime() - offsetMinutes * 60_000);
}

/**
 * Parses `expireOn` the way the agent's `CheckExpired` does: `time.RFC3339` first, then
 * `2006-01-02T15:04:05-0700`. Returns undefined when neither layout matches (the line is invalid).
 */
export function parseExpireOn(text: string): Date | undefined {
  const rfc = RFC3339.exec(text);
  if (rfc) return build(rfc, rfc[8]!);
  const go = GO_NUMTZ.exec(text);
  if (go) return build(go, go[8]!);
  return undefined;
}

/** `YYYY-MM-DDTHH:MM:SS+0000`, the form gcloud writes (whole seconds, UTC). */
export function formatExpireOn(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid date');
  return date.toISOString().slice(0, 19) + '+0000';
}

/** Go `encoding/json` matches struct fields case-insensitively using Unicode simple folding. */
function goFold(text: string): string {
  let out = '';
  for (const c of text) {
    if (c === '\u017f') out += 'S';
    else if (c === '\u212a') out += 'K';
    else if (c.charCodeAt(0) < 0x80) out += c.toUpperCase();
    else out += c;
  }
  return out;
}

/**
 * The members of a JSON object in source order, duplicates included (JSON.parse keeps only the
 * last duplicate and moves it to the first one's position; Go's decoder sees every member in order).
 * `text` must already be valid JSON whose top level is an object.
 */
function objectMembers(text: string): [string, unknown][] {
  const out: [string, unknown][] = [];
  let i = text.indexOf('{') + 1;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const skipString = () => {
    i++; // opening quote
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
  };
  const skipValue = () => {
    let depth = 0;
    do {
      const c = text[i]!;
      if (c === '"') {
        skipString();
        continue;
      }
      if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (depth === 0) return;
        depth--;
      } else if (c === ',' && depth === 0) return;
      i++;
    } while (i < text.length && (depth > 0 || !',}'.includes(text[i]!)));
  };
  for (;;) {
    ws();
    if (text[i] === '}') return out;
    const keyStart = i;
    skipString();
    const key = JSON.parse(text.slice(keyStart, i)) as string;
    ws();
    i++; // ':'
    ws();
    const valueStart = i;
    skipValue();
    out.push([key, JSON.parse(text.slice(valueStart, i))]);
    ws();
    if (text[i] === ',') i++;
  }
}

/**
 * Decodes the JSON after `google-ssh ` like `json.Unmarshal(data, &struct{ExpireOn, UserName string})`:
 * an object (or `null`), fields matched case-insensitively, every member applied in order (the
 * last wins), `null` leaves a field unset, any other non-string value for a known field is an error.
 */
export function decodeGoogleSshJson(
  text: string,
): { ok: true; expireOn: string; userName: string } | { ok: false; reason: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `the google-ssh JSON does not parse (${(err as Error).message})` };
  }
  if (doc === null) return { ok: true, expireOn: '', userName: '' };
  if (typeof doc !== 'object' || Array.isArray(doc))
    return { ok: false, reason: 'the google-ssh JSON is not an object' };
  let expireOn = '';
  let userName = '';
  let typeError: string | undefined;
  for (const [k, v] of objectMembers(text)) {
    const folded = goFold(k);
    if (folded !== 'EXPIREON' && folded !== 'USERNAME') continue;
    if (v === null) continue;
    if (typeof v !== 'string') {
      typeError ??= `the google-ssh JSON field ${JSON.stringify(k)} is not a string`;
      continue;
    }
    if (folded === 'EXPIREON') expireOn = v;
    else userName = v;
  }
  if (typeError) return { ok: false, reason: typeError };
  return { ok: true, expireOn, userName };
}
