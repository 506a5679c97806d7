import { KeyParseError } from './errors.js';

/**
 * A minimal DER reader: just enough ASN.1 to read a DSA SubjectPublicKeyInfo (node:crypto
 * cannot export DSA keys as JWK) and the algorithm names of an encrypted PKCS#8 key. Not a
 * general ASN.1 library; errors name the structure, never its bytes.
 */
export interface Der {
  tag: number;
  /** The content octets. */
  value: Buffer;
}

export class DerReader {
  private offset = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  get done(): boolean {
    return this.offset >= this.buf.length;
  }

  private fail(): never {
    throw new KeyParseError(`malformed ${this.what} (bad DER encoding)`);
  }

  next(expectedTag?: number): Der {
    const b = this.buf;
    if (this.offset + 2 > b.length) this.fail();
    const tag = b[this.offset++]!;
    let len = b[this.offset++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4 || this.offset + n > b.length) this.fail();
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[this.offset++]!;
    }
    if (this.offset + len > b.length) this.fail();
    const value = b.subarray(this.offset, this.offset + len);
    this.offset += len;
    if (expectedTag !== undefined && tag !== expectedTag) this.fail();
    return { tag, value };
  }

  /** The contents of a SEQUENCE, as a reader. */
  sequence(): DerReader {
    return new DerReader(this.next(0x30).value, this.what);
  }

  /** An INTEGER's unsigned magnitude (leading zero octets removed). */
  integer(): Buffer {
    const v = this.next(0x02).value;
    if (v.length > 0 && (v[0]! & 0x80) !== 0) this.fail();
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    return v.subarray(i);
  }

  /** An OBJECT IDENTIFIER in dotted form. */
  oid(): string {
    const v = this.next(0x06).value;
    if (v.length === 0) this.fail();
    const parts: number[] = [
      Math.min(2, Math.floor(v[0]! / 40)),
      v[0]! - Math.min(2, Math.floor(v[0]! / 40)) * 40,
    ];
    let n = 0;
    for (let i = 1; i < v.length; i++) {
      n = n * 128 + (v[i]! & 0x7f);
      if ((v[i]! & 0x80) === 0) {
        parts.push(n);
        n = 0;
      }
    }
    return parts.join('.');
  }

  /** A BIT STRING's bytes (the unused-bits octet must be 0). */
  bitString(): Buffer {
    const v = this.next(0x03).value;
    if (v.length === 0 || v[0] !== 0) this.fail();
    return v.subarray(1);
  }
}
