import { KeyParseError } from './errors.js';

/**
 * Reader for the SSH wire encoding (RFC 4251 section 5): uint32, string, mpint. Hand-written
 * because it is the hot path of `inspect` (no allocation beyond subarray views) and because
 * error positions must become KeyParseErrors, not RangeErrors.
 */
export class SshReader {
  private offset = 0;
  constructor(
    readonly buf: Buffer,
    private readonly what = 'key blob',
  ) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  get position(): number {
    return this.offset;
  }

  private need(n: number): void {
    if (n > this.remaining) {
      throw new KeyParseError(
        `truncated ${this.what}: needed ${n} more bytes at offset ${this.offset}, ${this.remaining} left`,
      );
    }
  }

  uint8(): number {
    this.need(1);
    return this.buf[this.offset++]!;
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  uint64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  /** A length-prefixed byte string, as a view into the buffer. */
  bytes(): Buffer {
    const len = this.uint32();
    this.need(len);
    const v = this.buf.subarray(this.offset, this.offset + len);
    this.offset += len;
    return v;
  }

  /** A length-prefixed string that must be printable ASCII/UTF-8 (type names, curve names). */
  string(): string {
    return this.bytes().toString('utf8');
  }

  /** An mpint: returns the magnitude bytes without a leading zero pad. Negative values are rejected. */
  mpint(): Buffer {
    const b = this.bytes();
    if (b.length > 0 && (b[0]! & 0x80) !== 0) throw new KeyParseError(`negative mpint in ${this.what}`);
    let i = 0;
    while (i < b.length && b[i] === 0) i++;
    return b.subarray(i);
  }

  /** Bytes up to the end. */
  rest(): Buffer {
    const v = this.buf.subarray(this.offset);
    this.offset = this.buf.length;
    return v;
  }

  /** Asserts the blob is fully consumed, as ssh-keygen does (trailing bytes are an error). */
  end(): void {
    if (this.remaining !== 0)
      throw new KeyParseError(`${this.remaining} unexpected trailing bytes in ${this.what}`);
  }
}

/** Writer for the SSH wire encoding; used for formatting and generation (not a hot path). */
export class SshWriter {
  private parts: Buffer[] = [];

  uint32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    this.parts.push(b);
    return this;
  }

  uint64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(v);
    this.parts.push(b);
    return this;
  }

  raw(b: Uint8Array): this {
    this.parts.push(Buffer.from(b));
    return this;
  }

  bytes(b: Uint8Array): this {
    return this.uint32(b.length).raw(b);
  }

  string(s: string): this {
    return this.bytes(Buffer.from(s, 'utf8'));
  }

  /** An mpint from unsigned big-endian magnitude bytes (adds the 0x00 pad when the top bit is set). */
  mpint(magnitude: Uint8Array): this {
    let i = 0;
    while (i < magnitude.length && magnitude[i] === 0) i++;
    const m = Buffer.from(magnitude.subarray(i));
    return this.bytes(m.length > 0 && (m[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), m]) : m);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}
