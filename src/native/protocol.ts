/**
 * The helper's wire protocol (native/protocol.h is the reference; protocol.test.ts checks that
 * every constant here equals the C one). Frames both ways: u32 LE length of (type + payload),
 * u8 type, payload. This module is pure: it builds and parses frames; channel.ts moves them.
 */

import { ByteReader } from "../binary/index.js";
import { DecodeError, TruncatedError } from "../errors/index.js";

export const PROTOCOL_VERSION = 3;

/** Helper -> CLI frame types. */
export const H = {
  HELLO: 1,
  EXIT: 2,
  ENTRY: 3,
  DECODE: 4,
  WRITES: 5,
  SYSCALL_ENTER: 6,
  SYSCALL_EXIT: 7,
  RETURN: 8,
  MEM: 9,
  RESULT: 10,
  OK: 11,
  ERROR: 12,
  ESCAPED: 13,
  INPUT: 14,
} as const;

/** H_ERROR codes. */
export const ERR = {
  INTERNAL: 1,
  UNSUPPORTED_INSN: 2,
  EXEC: 3,
  PTRACE: 4,
  MEMORY: 5,
  ENGINE: 6,
  THREADS: 7,
} as const;

/** CLI -> helper frame types. */
export const N = {
  CONT: 1,
  SET_BP: 2,
  DECODED: 3,
  READ: 4,
  WRITE: 5,
  INJECT: 6,
  TRACE: 7,
  RUN: 8,
  RETURN: 9,
  DETACH: 10,
  KILL: 11,
  TRACE_PAGES: 12,
  WRITES: 13,
  ANSWER: 15,
  PATCH: 16,
  UNPATCH: 17,
  TRACE_ALL: 18,
} as const;

/** N_WRITES flags. */
export const W = { IF_DIFFERENT: 1 } as const;

export const DECODE_RECORD_BYTES = 32;

/** What an instruction writes (decode record `kind`). */
export const K = { NONE: 0, MEM: 1, PUSH: 2, BTMEM: 3, SYSCALL: 4, UNSUPPORTED: 5 } as const;
/** Decode record flags. */
export const F = { REP: 1, ADDR32: 2, XSAVE: 4, POP: 8, XSAVEC: 16 } as const;
/** Segment override of a memory operand. */
export const SEG = { NONE: 0, FS: 1, GS: 2 } as const;
/** Register ids: indices into struct user_regs_struct as u64[27], plus these two. */
export const RID_NONE = 0xff;
export const RID_RIP = 0xfe;

/** Field order of struct user_regs_struct (sys/user.h, x86-64). */
export const USER_REGS = [
  "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx", "rsi", "rdi",
  "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs",
] as const;

/** One instruction's store description, as the helper's decode cache holds it. */
export interface DecodeRecord {
  addr: bigint;
  len: number;
  kind: number;
  /** Bytes written (element size for rep string stores). */
  size: number;
  disp: bigint;
  seg: number;
  base: number;
  index: number;
  scale: number;
  flags: number;
  /** K_BTMEM: the register holding the signed bit offset. */
  bitreg: number;
}

export function encodeDecodeRecords(records: readonly DecodeRecord[]): Uint8Array {
  const out = new Uint8Array(4 + records.length * DECODE_RECORD_BYTES);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, records.length, true);
  records.forEach((r, i) => {
    const o = 4 + i * DECODE_RECORD_BYTES;
    dv.setBigUint64(o, r.addr, true);
    dv.setBigInt64(o + 8, BigInt.asIntN(64, r.disp), true);
    dv.setUint32(o + 16, r.size, true);
    dv.setUint8(o + 20, r.len);
    dv.setUint8(o + 21, r.kind);
    dv.setUint8(o + 22, r.seg);
    dv.setUint8(o + 23, r.base);
    dv.setUint8(o + 24, r.index);
    dv.setUint8(o + 25, r.scale);
    dv.setUint8(o + 26, r.flags);
    dv.setUint8(o + 27, r.bitreg);
  });
  return out;
}

/** A frame's type and payload. */
export interface Frame {
  type: number;
  payload: Uint8Array;
}

/** Builds one frame. */
export function encodeFrame(type: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length + 1, true);
  out[4] = type;
  out.set(payload, 5);
  return out;
}

/**
 * A frame payload's reader: the shared ByteReader (bounds-checked, little-endian, TruncatedError
 * with the offset), wording a short frame by its kind, plus the helper protocol's signed i32,
 * the rest of a payload, and the check that no bytes follow the last field.
 */
export class PayloadReader extends ByteReader {
  constructor(buf: Uint8Array, private readonly what: string) {
    super(buf);
  }

  override need(n: number, _field?: string): void {
    if (n < 0 || this.pos + n > this.bytes.length) throw new TruncatedError(`helper: short ${this.what} frame`, this.pos);
  }

  /** Refuses bytes after the last field read. */
  end(): void {
    if (this.pos !== this.bytes.length) throw new DecodeError(`helper: ${this.bytes.length - this.pos} bytes after the ${this.what} fields`, this.pos);
  }

  i32(): number {
    return this.u32() | 0;
  }

  /** Everything after the fields read so far. */
  rest(): Uint8Array {
    return this.bytesView(this.remaining);
  }
}

/**
 * Splits a byte stream into frames. Feed chunks as they arrive; complete frames come out in
 * order. Lengths above `maxFrameBytes` are refused (a confused peer, not a real frame).
 */
export class FrameSplitter {
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;
  constructor(private readonly maxFrameBytes = 1 << 30) {}

  push(chunk: Uint8Array): Frame[] {
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start;
      const cap = Math.max(live + chunk.length, this.buf.length * 2, 1 << 16);
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(this.start, this.end));
      this.buf = next;
      this.start = 0;
      this.end = live;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      const avail = this.end - this.start;
      if (avail < 4) break;
      const len = new DataView(this.buf.buffer, this.start, 4).getUint32(0, true);
      if (len === 0 || len > this.maxFrameBytes) throw new DecodeError(`helper: bad frame length ${len}`, 0);
      if (avail < 4 + len) break;
      const type = this.buf[this.start + 4]!;
      const payload = this.buf.slice(this.start + 5, this.start + 4 + len);
      frames.push({ type, payload });
      this.start += 4 + len;
    }
    if (this.start === this.end) this.start = this.end = 0;
    return frames;
  }
}
