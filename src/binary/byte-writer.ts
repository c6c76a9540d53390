/**
 * Growable little-endian writer, the counterpart of ByteReader. Writes into one preallocated
 * buffer that doubles when full, so hot paths allocate only when the buffer grows. Pure.
 */
const textEncoder = new TextEncoder();

export class ByteWriter {
  private buf: Uint8Array<ArrayBuffer>;
  private view: DataView;
  /** Number of bytes written so far. */
  length = 0;

  constructor(initialSizeBytes = 1024) {
    this.buf = new Uint8Array(Math.max(16, initialSizeBytes));
    this.view = new DataView(this.buf.buffer);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.length++] = v;
    return this;
  }

  u16(v: number): this {
    this.reserve(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
    return this;
  }

  u64(v: bigint): this {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt.asUintN(64, v), true);
    this.length += 8;
    return this;
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  varUint(v: number): this {
    this.reserve(8);
    if (v < 0x80000000) {
      // 31 bits: shifts instead of division (the common case, and a hot path of the recorder).
      let y = v | 0;
      while (y >= 0x80) {
        this.buf[this.length++] = (y & 0x7f) | 0x80;
        y >>>= 7;
      }
      this.buf[this.length++] = y;
      return this;
    }
    let x = v;
    while (x >= 0x80) {
      this.buf[this.length++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    this.buf[this.length++] = x;
    return this;
  }

  /** Unsigned LEB128 of a 64-bit pattern. */
  varU64(v: bigint): this {
    this.reserve(10);
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) {
      this.buf[this.length++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.length++] = Number(x);
    return this;
  }

  /** Unsigned LEB128 of the 64-bit pattern whose 32-bit halves are `lo` and `hi` (no BigInt when it fits 53 bits). */
  varU64Parts(lo: number, hi: number): this {
    const h = hi >>> 0;
    if (h < 0x200000) return this.varUint(h * 0x100000000 + (lo >>> 0));
    return this.varU64((BigInt(h) << 32n) | BigInt(lo >>> 0));
  }

  /** Signed LEB128 of a 32-bit integer (Wasm `i32.const` immediates). */
  varS32(v: number): this {
    this.reserve(5);
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      const done = (x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0);
      this.buf[this.length++] = done ? b : b | 0x80;
      if (done) return this;
    }
  }

  /** Emits a Wasm `i32.const` instruction (opcode 0x41 and a signed LEB128). */
  i32Const(v: number): this {
    return this.u8(0x41).varS32(v);
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  /** Appends src[start, end) (by copyBytes). */
  bytesOf(src: Uint8Array, start: number, end: number): this {
    this.reserve(end - start);
    copyBytes(this.buf, this.length, src, start, end);
    this.length += end - start;
    return this;
  }

  /** Length-prefixed (varuint) UTF-8 string. */
  string(s: string): this {
    const b = textEncoder.encode(s);
    return this.varUint(b.length).bytes(b);
  }

  /** Overwrites 4 bytes at `offset` (for lengths patched after the fact). */
  patchU32(offset: number, v: number): void {
    this.view.setUint32(offset, v >>> 0, true);
  }

  /** A view of the bytes written; valid until the next write. */
  written(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** A copy of the bytes written. */
  toBytes(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.length);
  }

  reset(): void {
    this.length = 0;
  }
}

/**
 * Copies src[start, end) to dst at `at`: short ranges by a byte loop, which beats making a
 * subarray for TypedArray.set (the log's writes are mostly a few bytes), longer ones by set.
 */
export function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, start: number, end: number): void {
  const n = end - start;
  if (n > 32) {
    dst.set(src.subarray(start, end), at);
  } else {
    for (let i = 0; i < n; i++) dst[at + i] = src[start + i]!;
  }
}
