/**
 * Streaming effect-log encoder. The recorder feeds it invocations and inputs as the program runs;
 * it returns finished blocks as bytes for the caller to append to a file. Invocation records are
 * packed many to a block (flushed at FLUSH_BYTES) so a tiny invocation costs a few bytes, not a
 * block header, and a record with the shape of the block's previous one (same write addresses
 * and lengths, see record-shape.ts) is written as a repeat: its bytes and results only.
 * Pure: no I/O, no clock. Layout in docs/log-format.md.
 */
import { InternalError } from "../errors/index.js";
import { ByteWriter, crc32 } from "../binary/index.js";
import {
  BACKEND, BLOCK, ENV_DIGEST_BYTES, EVENT, FORM, LOG_MAGIC, LOG_VERSION, MAC_BYTES, STATUS, STATUS_THREAD_FLAG, VALTYPE,
  type Event, type InputRecord, type Invocation, type LogHeader, type MemoryRange, type RunEnd,
  type SyscallEvent, type ValType, type Value,
} from "./format.js";
import { RecordShape } from "./record-shape.js";

/** Pending invocation or input bytes beyond which a block is closed. */
const FLUSH_BYTES = 1 << 16;

/** Appends one framed block (kind, length, payload, crc32) to `out`. */
function frameBlock(out: ByteWriter, kind: number, payload: Uint8Array): void {
  const start = out.length;
  out.u8(kind).u32(payload.length).bytes(payload);
  out.u32(crc32(out.written().subarray(start)));
}

export function encodeValue(w: ByteWriter, v: Value): void {
  w.u8(VALTYPE[v.type]);
  encodeValueBits(w, v);
}

/** A value without its type byte (the repeat form knows the type). */
function encodeValueBits(w: ByteWriter, v: Value): void {
  if (v.type === "v128") {
    w.bytes(v.bytes);
  } else {
    w.varU64(v.bits);
  }
}

function encodeRanges(w: ByteWriter, ranges: MemoryRange[]): void {
  w.varUint(ranges.length);
  for (const r of ranges) w.varUint(r.addr).varUint(r.bytes.length).bytes(r.bytes);
}

export function encodeSyscallBody(w: ByteWriter, call: SyscallEvent): void {
  w.string(call.name);
  w.varUint(call.args.length);
  for (const a of call.args) w.varU64(a);
  encodeRanges(w, call.reads);
  encodeRanges(w, call.writes);
  w.varU64(call.result);
}

export function encodeEvent(w: ByteWriter, e: Event): void {
  switch (e.kind) {
    case "write":
      w.u8(EVENT.write).varUint(e.addr).varUint(e.bytes.length).bytes(e.bytes);
      return;
    case "global":
      w.u8(EVENT.global).varUint(e.index);
      encodeValue(w, e.value);
      return;
    case "grow":
      w.u8(EVENT.grow).varUint(e.fromPages).varUint(e.toPages);
      return;
    case "syscall":
      w.u8(EVENT.syscall);
      encodeSyscallBody(w, e);
      return;
  }
}

/** A full record without its form byte. */
export function encodeInvocation(w: ByteWriter, inv: Invocation): void {
  const threaded = inv.thread !== undefined && inv.thread !== 0;
  w.varUint(inv.index).u8(STATUS[inv.status] | (threaded ? STATUS_THREAD_FLAG : 0));
  if (threaded) w.varUint(inv.thread!);
  if (inv.status === "exited") w.varUint(inv.exitCode ?? 0);
  if (inv.status === "trapped") w.string(inv.trapMessage ?? "");
  w.varUint(inv.events.length);
  for (const e of inv.events) encodeEvent(w, e);
  w.varUint(inv.returns.length);
  for (const v of inv.returns) encodeValue(w, v);
}

export class LogEncoder {
  private readonly invocations = new ByteWriter(FLUSH_BYTES + 1024);
  private readonly inputs = new ByteWriter(4096);
  private readonly out = new ByteWriter(FLUSH_BYTES + 4096);
  private invocationCount = 0;
  private inputCount = 0;
  /** The last record of the pending invocations block, when a record may repeat its shape. */
  private readonly shape = new RecordShape();

  /** The file's first bytes: magic, version and the header block. */
  encodeStart(header: LogHeader): Uint8Array {
    const h = new ByteWriter(256);
    h.u8(BACKEND[header.backend]);
    if (header.programSha256.length !== 32) throw new InternalError("programSha256 must be 32 bytes");
    h.bytes(header.programSha256);
    h.varUint(header.functionIndex).string(header.functionName);
    h.varUint(header.params.length);
    for (const t of header.params) h.u8(VALTYPE[t]);
    h.varUint(header.results.length);
    for (const t of header.results) h.u8(VALTYPE[t]);
    h.varUint(header.args.length);
    for (const a of header.args) h.string(a);
    h.varUint(header.env.length);
    for (const e of header.env) {
      if (e.digest?.length !== ENV_DIGEST_BYTES) throw new InternalError(`environment variable ${e.name}: a ${ENV_DIGEST_BYTES}-byte digest is required`);
      h.string(e.name).bytes(e.digest);
    }
    const w = new ByteWriter(512);
    w.bytes(LOG_MAGIC).u16(LOG_VERSION);
    frameBlock(w, BLOCK.header, h.written());
    return w.toBytes();
  }

  /**
   * Appends an invocation. Returns bytes to append to the file when a block filled up, else null;
   * like every block this encoder returns, they are a view valid until its next call (write them
   * out, or copy them: the analyzer writes ~20 bytes per invocation, so blocks are not copied).
   * Invocation indices must be consecutive from 0.
   */
  addInvocation(inv: Invocation): Uint8Array | null {
    if (inv.index !== this.invocationCount) {
      throw new InternalError(`invocation ${inv.index} out of order (expected ${this.invocationCount})`);
    }
    this.invocationCount++;
    const w = this.invocations;
    if (this.shape.matches(inv)) {
      w.u8(FORM.repeat);
      for (const e of inv.events) if (e.kind === "write") w.bytes(e.bytes);
      for (const v of inv.returns) encodeValueBits(w, v);
    } else {
      w.u8(FORM.full);
      encodeInvocation(w, inv);
      this.shape.take(inv);
    }
    return this.invocations.length >= FLUSH_BYTES ? this.flush() : null;
  }

  /**
   * Appends a returned invocation given in parts, without building event objects (the analyzer's
   * fast path): the `before` events, one write per run [starts[i], ends[i]) of `mem`, the `after`
   * events, then the results as the 32-bit halves (lo, hi) of their bit patterns. The bytes are
   * exactly what addInvocation writes for the equivalent Invocation; same return convention.
   */
  addReturnedParts(parts: {
    index: number; before: Event[]; mem: Uint8Array; starts: Float64Array; ends: Float64Array; runs: number;
    after: Event[]; results: readonly ValType[]; halves: Float64Array;
  }): Uint8Array | null {
    if (parts.index !== this.invocationCount) {
      throw new InternalError(`invocation ${parts.index} out of order (expected ${this.invocationCount})`);
    }
    this.invocationCount++;
    const w = this.invocations;
    const { starts, ends, runs, results } = parts;
    const writesOnly = parts.before.length === 0 && parts.after.length === 0;
    const repeat = writesOnly && this.shape.matchesRuns(starts, ends, runs, results);
    if (repeat) {
      w.u8(FORM.repeat);
      for (let i = 0; i < runs; i++) w.bytesOf(parts.mem, starts[i]!, ends[i]!);
    } else {
      w.u8(FORM.full).varUint(parts.index).u8(STATUS.returned).varUint(parts.before.length + runs + parts.after.length);
      for (const e of parts.before) encodeEvent(w, e);
      for (let i = 0; i < runs; i++) {
        const s = starts[i]!;
        const e = ends[i]!;
        w.u8(EVENT.write).varUint(s).varUint(e - s).bytesOf(parts.mem, s, e);
      }
      for (const e of parts.after) encodeEvent(w, e);
      w.varUint(results.length);
      if (writesOnly) this.shape.takeRuns(starts, ends, runs, results);
      else this.shape.clear();
    }
    for (let i = 0; i < results.length; i++) {
      const t = results[i]!;
      if (t === "v128") throw new InternalError("v128 results are not supported");
      if (!repeat) w.u8(VALTYPE[t]);
      w.varU64Parts(parts.halves[2 * i]!, parts.halves[2 * i + 1]!);
    }
    return this.invocations.length >= FLUSH_BYTES ? this.flush() : null;
  }

  /** Invocation bytes after which the pending block is closed: where a batch of records should end. */
  get invocationRoom(): number {
    return Math.max(1, FLUSH_BYTES - this.invocations.length);
  }

  /** The pending block's last record shape (valid when the next record may repeat it), for a core taking the block over. */
  get lastShape(): Readonly<RecordShape> {
    return this.shape;
  }

  /**
   * Takes the shape of the last record someone else encoded into the pending block (the recorder
   * core, handing the block back), so the next record here is a repeat exactly where it would be
   * had this encoder written them all.
   */
  adoptShape(count: number, addrs: ArrayLike<number>, lens: ArrayLike<number>, results: readonly ValType[]): void {
    if (this.invocations.length > 0) this.shape.takeWrites(count, addrs, lens, results);
  }

  /** Whether the next invocation record starts a block (so it cannot be a repeat). */
  get blockEmpty(): boolean {
    return this.invocations.length === 0;
  }

  /**
   * Appends `count` invocation records already encoded by someone else (the analyzer's recorder
   * core), continuing the index sequence; same return convention as addInvocation.
   */
  addEncodedInvocations(records: Uint8Array, count: number): Uint8Array | null {
    this.invocationCount += count;
    if (this.invocations.length === 0 && this.inputs.length === 0 && records.length >= FLUSH_BYTES) {
      // A whole block's worth (the core's usual batch): framed straight from the caller's bytes,
      // the same block flush() would make, one copy fewer.
      this.shape.clear();
      this.out.reset();
      frameBlock(this.out, BLOCK.invocations, records);
      return this.out.written();
    }
    this.invocations.bytes(records);
    // The records' last shape is the core's to know; the next record here is never a repeat
    // (the host takes over only for records with more than writes, or that did not return).
    this.shape.clear();
    return this.invocations.length >= FLUSH_BYTES ? this.flush() : null;
  }

  /** Appends a nondeterministic input; same return convention as addInvocation. */
  addInput(input: InputRecord): Uint8Array | null {
    this.inputCount++;
    this.inputs.u8(input.insideF ? 1 : 0);
    encodeSyscallBody(this.inputs, input.call);
    return this.inputs.length >= FLUSH_BYTES ? this.flush() : null;
  }

  /** Closes the pending blocks and returns their bytes (possibly empty; a view, see addInvocation). */
  flush(): Uint8Array {
    this.out.reset();
    // Inputs go first: a reader rebuilding order needs nothing across kinds, but keeping inputs
    // ahead means a consumer streaming the file sees them no later than the invocations.
    if (this.inputs.length > 0) {
      frameBlock(this.out, BLOCK.inputs, this.inputs.written());
      this.inputs.reset();
    }
    if (this.invocations.length > 0) {
      frameBlock(this.out, BLOCK.invocations, this.invocations.written());
      this.invocations.reset();
      this.shape.clear();
    }
    return this.out.written();
  }

  /** Pending blocks plus the END block: the last bytes of the file. */
  finish(end: Omit<RunEnd, "invocationCount" | "inputCount">): Uint8Array {
    const pending = this.flush();
    const e = new ByteWriter(32);
    e.varUint(this.invocationCount).varUint(this.inputCount);
    e.u8(end.outcome === "trapped" ? 1 : 0).varUint(end.exitCode);
    const w = new ByteWriter(pending.length + 64);
    w.bytes(pending);
    frameBlock(w, BLOCK.end, e.written());
    return w.toBytes();
  }
}

/** The MAC block that closes a log: `tag` is the HMAC-SHA-256 of every byte before it (src/log/mac.ts). */
export function encodeMacBlock(tag: Uint8Array): Uint8Array {
  if (tag.length !== MAC_BYTES) throw new InternalError(`a MAC is ${MAC_BYTES} bytes`);
  const w = new ByteWriter(MAC_BYTES + 16);
  frameBlock(w, BLOCK.mac, tag);
  return w.toBytes();
}

/** Encodes a whole log in one go (tests, tools), without its MAC block. */
export function encodeLog(log: Omit<import("./format.js").EffectLog, "version">): Uint8Array {
  const enc = new LogEncoder();
  const parts: Uint8Array[] = [enc.encodeStart(log.header)];
  for (const input of log.inputs) {
    const b = enc.addInput(input);
    if (b) parts.push(b.slice());
  }
  for (const inv of log.invocations) {
    const b = enc.addInvocation(inv);
    if (b) parts.push(b.slice());
  }
  parts.push(enc.finish({ outcome: log.end.outcome, exitCode: log.end.exitCode }));
  const w = new ByteWriter(parts.reduce((n, p) => n + p.length, 0));
  for (const p of parts) w.bytes(p);
  return w.toBytes();
}
