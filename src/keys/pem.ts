import { KeyParseError } from './errors.js';

/**
 * RFC 7468 armor ("-----BEGIN LABEL-----" ... "-----END LABEL-----"), with the RFC 1421 headers
 * that legacy encrypted PEM keys carry (`Proc-Type`, `DEK-Info`). Hand-written because the
 * OpenSSH container is not something node:crypto reads, and because errors must name the line
 * without echoing its (private) content.
 */
export interface ArmoredBlock {
  /** The label between BEGIN and the dashes, e.g. `OPENSSH PRIVATE KEY`. */
  label: string;
  /** RFC 1421 headers (name as written, value trimmed); empty for most blocks. */
  headers: Map<string, string>;
  /** The decoded body. */
  body: Buffer;
  /** The block re-armored canonically, newline-terminated (what node:crypto reads). */
  text: string;
  /** 1-based line of the BEGIN line in the input. */
  line: number;
}

const BEGIN_RE = /-----BEGIN ([A-Z0-9][A-Z0-9 ]{0,40})-----/;
const BASE64_LINE_RE = /^[A-Za-z0-9+/]*={0,2}$/;
const HEADER_RE = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/;

function lineOf(text: string, index: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * The first armored block in `text` whose label `accept`s, or undefined when there is none. A BEGIN without
 * its END, a body that is not base64, or an empty body is a KeyParseError (at `source`, line of
 * the problem). Error messages never contain body text.
 */
export function readArmoredBlock(
  text: string,
  source: string,
  accept: (label: string) => boolean = () => true,
): ArmoredBlock | undefined {
  // The first block whose label is accepted (`openssl ecparam -genkey` writes EC PARAMETERS first).
  const re = new RegExp(BEGIN_RE.source, 'g');
  let begin: RegExpExecArray | null;
  while ((begin = re.exec(text)) !== null && !accept(begin[1]!));
  if (!begin) return undefined;
  const label = begin[1]!;
  const beginLine = lineOf(text, begin.index);
  const endMarker = `-----END ${label}-----`;
  const bodyStart = begin.index + begin[0].length;
  const endIndex = text.indexOf(endMarker, bodyStart);
  if (endIndex === -1) {
    throw new KeyParseError(
      `truncated ${label}: no "${endMarker}" line; the file was cut short or pasted incompletely`,
      { source, line: beginLine },
    );
  }
  const lines = text.slice(bodyStart, endIndex).split(/\r?\n/);
  const headers = new Map<string, string>();
  const b64: string[] = [];
  let i = 1;
  if (lines[0]!.trim() !== '') {
    // The key was pasted onto one line (newlines turned into spaces): accept whitespace-separated chunks.
    i = 0;
    lines.splice(0, lines.length, ...lines.join(' ').trim().split(/\s+/));
  } else if (lines.length > 1 && HEADER_RE.test(lines[1]!.trim())) {
    // RFC 1421 headers: "Name: value" lines up to the first blank line (continuations start with space).
    let last = '';
    for (; i < lines.length; i++) {
      const l = lines[i]!;
      if (l.trim() === '') {
        i++;
        break;
      }
      const m = HEADER_RE.exec(l.trim());
      if (m) {
        last = m[1]!;
        headers.set(last, m[2]!.trim());
      } else if (/^\s/.test(l) && last !== '') {
        headers.set(last, headers.get(last)! + l.trim());
      } else {
        break;
      }
    }
  }
  const oneLine = i === 0;
  for (; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === '') continue;
    if (!BASE64_LINE_RE.test(l)) {
      throw new KeyParseError(
        `the ${label} body is not base64 (a line has a character outside A-Z a-z 0-9 + / =)`,
        { source, line: oneLine ? beginLine : beginLine + i },
      );
    }
    b64.push(l);
  }
  const joined = b64.join('');
  if (joined.length === 0) throw new KeyParseError(`the ${label} body is empty`, { source, line: beginLine });
  if (joined.length % 4 !== 0 || /=[^=]/.test(joined)) {
    throw new KeyParseError(
      `the ${label} body is not valid base64 (its length is not a multiple of 4, or padding is misplaced): a line is missing or cut short`,
      { source, line: beginLine },
    );
  }
  // Re-armored canonically (64 columns, LF, no indentation) so that OpenSSL reads what we read.
  const headerText = [...headers].map(([k, v]) => `${k}: ${v}\n`).join('');
  const canonical =
    `-----BEGIN ${label}-----\n` +
    (headerText === '' ? '' : headerText + '\n') +
    wrapBase64Text(joined, 64) +
    `\n${endMarker}\n`;
  return { label, headers, body: Buffer.from(joined, 'base64'), text: canonical, line: beginLine };
}

/** Base64 of `data` wrapped at `width` characters per line (ssh-keygen wraps private keys at 70). */
export function wrapBase64(data: Uint8Array, width: number): string {
  return wrapBase64Text(Buffer.from(data).toString('base64'), width);
}

function wrapBase64Text(b64: string, width: number): string {
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += width) lines.push(b64.slice(i, i + width));
  return lines.join('\n');
}

/** An armored block, newline-terminated, as ssh-keygen writes it. */
export function armor(label: string, data: Uint8Array, width = 70): string {
  return `-----BEGIN ${label}-----\n${wrapBase64(data, width)}\n-----END ${label}-----\n`;
}
