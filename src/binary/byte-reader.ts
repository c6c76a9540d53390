/**
 * Bounds-checked little-endian reader over a byte array, shared by the Wasm module reader and the
 * effect-log reader. Every read checks the remaining length first and throws TruncatedError with
 * the byte offset; malformed encodings throw DecodeError. Pure: no Node APIs.
 */
import { DecodeError, TruncatedError } from "../errors/index.js";

const textDecoder = new TextDecoder("utf-8", { fatal: true });

export class ByteReader {
  private readonly view: DataView;
  /** Current read position, relative to the start of `bytes`. */
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    /** Offset added to positions in error messages (where `bytes` sits in a larger file). */
    readonly baseOffset = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  isAtEnd(): boolean {
    return this.pos >= this.bytes.length;
  }

  /** Throws TruncatedError unless `n` more bytes are available. */
  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw new TruncatedError(`unexpected end of input reading ${what}`, this.baseOffset + this.pos);
    }
  }

  fail(message: string, at = this.pos): never {
    throw new DecodeError(message, this.baseOffset + at);
  }

  u8(what = "u8"): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  u16(what = "u16"): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(what = "u32"): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64(what = "u64"): bigint {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Unsigned LEB128 that must fit in 32 bits. */
  varU32(what = "varuint32"): number {
    let result = 0;
    let shift = 0;
    const start = this.pos;
    for (;;) {
      const b = this.u8(what);
      if (shift === 28 && b > 0x0f) this.fail(`${what} does not fit in 32 bits`, start);
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }

  /** Unsigned LEB128 up to 64 bits, as a bigint. */
  varU64(what = "varuint64"): bigint {
    let result = 0n;
    let shift = 0n;
    const start = this.pos;
    for (;;) {
      const b = this.u8(what);
      if (shift === 63n && b > 1) this.fail(`${what} does not fit in 64 bits`, start);
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  }

  /**
   * Skips an unsigned LEB128 of up to 64 bits, with varU64's checks but no BigInt (the log's
   * validation pass reads millions of values it does not keep).
   */
  skipVarU64(what = "varuint64"): void {
    const start = this.pos;
    for (let i = 0; ; i++) {
      const b = this.u8(what);
      if (i === 9 && b > 1) this.fail(`${what} does not fit in 64 bits`, start);
      if ((b & 0x80) === 0) return;
    }
  }

  /**
   * Unsigned LEB128 up to 53 bits, as a number (addresses, lengths). Values of up to four bytes
   * (28 bits, nearly every length and address) are read without BigInt; longer ones, and input
   * that ends inside the value, take varU64's path and its checks.
   */
  varUint(what = "varuint"): number {
    const b = this.bytes;
    const p = this.pos;
    if (p + 4 <= b.length) {
      let x = b[p]!;
      if (x < 0x80) {
        this.pos = p + 1;
        return x;
      }
      let v = x & 0x7f;
      x = b[p + 1]!;
      v |= (x & 0x7f) << 7;
      if (x < 0x80) {
        this.pos = p + 2;
        return v;
      }
      x = b[p + 2]!;
      v |= (x & 0x7f) << 14;
      if (x < 0x80) {
        this.pos = p + 3;
        return v;
      }
      x = b[p + 3]!;
      v |= (x & 0x7f) << 21;
      if (x < 0x80) {
        this.pos = p + 4;
        return v;
      }
    }
    return this.varUintSlow(what);
  }

  private varUintSlow(what: string): number {
    const v = this.varU64(what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} is too large`);
    return Number(v);
  }

  /** Skips a LEB128 (signed or unsigned) of at most `maxBytes` bytes without decoding it. */
  skipLeb(maxBytes: number, what = "leb128"): void {
    for (let i = 0; i < maxBytes; i++) {
      if ((this.u8(what) & 0x80) === 0) return;
    }
    this.fail(`${what} is longer than ${maxBytes} bytes`);
  }

  bytesView(n: number, what = "bytes"): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A length-prefixed (varuint) UTF-8 string, length capped at `maxLength`. */
  string(what = "string", maxLength = 1 << 20): string {
    const start = this.pos;
    const n = this.varU32(`${what} length`);
    if (n > maxLength) this.fail(`${what} length ${n} exceeds ${maxLength}`, start);
    const bytes = this.bytesView(n, what);
    try {
      return textDecoder.decode(bytes);
    } catch (cause) {
      throw new DecodeError(`${what} is not valid UTF-8`, this.baseOffset + start, { cause });
    }
  }
}
