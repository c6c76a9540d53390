/**
 * Effect-log decoder. `openLog` checks magic, refuses newer versions, verifies each block's
 * CRC-32, requires HEADER first and END last, checks every record and rejects trailing bytes,
 * then leaves the invocation records in place; `InvocationCursor` reads them one at a time into
 * an EventVisitor (the replay applies each event as it is read, so a log of millions of
 * invocations costs its file size in memory and no object per write). `decodeLog` builds the
 * whole object model on top. Truncated input throws TruncatedError, malformed input
 * DecodeError, both with the byte offset. Pure.
 */
import { ByteReader, copyBytes, crc32 } from "../binary/index.js";
import { DecodeError, InternalError, TruncatedError, UnsupportedVersionError } from "../errors/index.js";
import {
  BACKEND, BLOCK, ENV_DIGEST_BYTES, EVENT, FORM, LOG_MAGIC, LOG_VERSION, MAC_BYTES, MAX_BLOCK_BYTES, STATUS, STATUS_THREAD_FLAG, VALTYPE, nameOfCode,
  type EffectLog, type EnvVar, type Event, type InputRecord, type Invocation, type LogHeader, type MemoryRange,
  type RunEnd, type SyscallEvent, type ValType, type Value,
} from "./format.js";
import { RecordShape } from "./record-shape.js";

function readValType(r: ByteReader): ValType {
  const at = r.pos;
  const t = nameOfCode(VALTYPE, r.u8("value type"));
  if (t === undefined) r.fail(`log: unknown value type 0x${r.bytes[at]!.toString(16)}`, at);
  return t;
}

function readValue(r: ByteReader): Value {
  return readValueBits(r, readValType(r));
}

/** A value's bits, its type known (the repeat form leaves the type byte out). */
function readValueBits(r: ByteReader, type: ValType): Value {
  if (type === "v128") return { type, bytes: r.bytesView(16, "v128").slice() };
  const bits = r.varU64("value bits");
  return { type, bits };
}

function readRanges(r: ByteReader): MemoryRange[] {
  const n = r.varU32("range count");
  const out: MemoryRange[] = [];
  for (let i = 0; i < n; i++) {
    const addr = r.varUint("address");
    const len = r.varUint("length");
    out.push({ addr, bytes: r.bytesView(len, "range bytes").slice() });
  }
  return out;
}

function readSyscallBody(r: ByteReader): SyscallEvent {
  const name = r.string("syscall name", 256);
  const argc = r.varU32("argument count");
  if (argc > 64) r.fail(`log: syscall ${name} has ${argc} arguments`);
  const args: bigint[] = [];
  for (let i = 0; i < argc; i++) args.push(r.varU64("argument"));
  const reads = readRanges(r);
  const writes = readRanges(r);
  const result = r.varU64("result");
  return { kind: "syscall", name, args, reads, writes, result };
}

/**
 * Receives one invocation's events in log order as they are read. Write bytes are passed as a
 * view into the log (`src[offset, offset + length)`), valid only during the call: the replay
 * copies them straight into guest memory, and nothing is allocated per write.
 */
export interface EventVisitor {
  /**
   * Where writes go directly, when the visitor only copies them (the replay): runs of write
   * events are then copied in one tight loop, without a call per write, and `wrote` is told the
   * bytes. A write outside `memory` still goes to `write` (which reports it).
   */
  readonly memory?: Uint8Array;
  wrote?(bytes: number): void;
  /**
   * Optionally applies a run of write events itself (the replay, through the disabled module's
   * write applier): from src[pos, end), at most `maxEvents`. Returns how many it applied and the
   * position after them; no events means the decoder copies the next writes itself.
   */
  bulkWrites?: ((src: Uint8Array, pos: number, end: number, maxEvents: number) => { events: number; pos: number }) | undefined;
  write(addr: number, src: Uint8Array, offset: number, length: number): void;
  global(index: number, value: Value): void;
  grow(fromPages: number, toPages: number): void;
  syscall(call: SyscallEvent): void;
}

/** An invocation record without its events (they went to the visitor). */
export interface InvocationEnd {
  index: number;
  status: Invocation["status"];
  exitCode?: number;
  trapMessage?: string;
  /** F's results; empty when read with `keepReturns` false (the validation pass). */
  returns: Value[];
  /** x86-64 (v4): the thread ordinal, when not the first thread. */
  thread?: number;
}

const WRITE_TAG = EVENT.write;
/** After bulkWrites declines, the decoder copies this many events itself before asking again. */
const BULK_RETRY_EVENTS = 1;
/** Fewer events left in a record than this are copied here: borrowing and giving back scratch memory costs more. */
const BULK_MIN_EVENTS = 256;
/** A bulk run shorter than this makes the decoder copy the next BULK_MIN_EVENTS events itself. */
const BULK_SHORT_RUN = 32;

/** Keeps nothing: the validation pass reads every event to check it, then drops it. */
const SKIP: EventVisitor = { write() {}, global() {}, grow() {}, syscall() {} };

/** Reads event `i` of a record; a write's range also goes into `shape`. Returns whether it was a write. */
function readEvent(r: ByteReader, visitor: EventVisitor, shape: RecordShape, i: number): boolean {
  const at = r.pos;
  const tag = r.u8("event tag");
  switch (tag) {
    case EVENT.write: {
      const addr = r.varUint("address");
      const len = r.varUint("length");
      r.need(len, "write bytes");
      const offset = r.pos;
      r.pos += len;
      shape.setWrite(i, addr, len);
      visitor.write(addr, r.bytes, offset, len);
      return true;
    }
    case EVENT.global: {
      const index = r.varU32("global index");
      visitor.global(index, readValue(r));
      return false;
    }
    case EVENT.grow: {
      const fromPages = r.varU32("pages");
      visitor.grow(fromPages, r.varU32("pages"));
      return false;
    }
    case EVENT.syscall:
      visitor.syscall(readSyscallBody(r));
      return false;
    default:
      return r.fail(`log: unknown event tag 0x${tag.toString(16).padStart(2, "0")}`, at);
  }
}

/**
 * Copies consecutive write events at `r` into `mem`, from event `i` of `n`, setting their ranges
 * in `shape`; stops before any other event and before a write that does not fit in `mem`.
 * Returns how many events it consumed. The replay's hot loop: one function, no calls per write.
 */
function copyWrites(r: ByteReader, mem: Uint8Array, shape: RecordShape, i: number, n: number, visitor: EventVisitor): number {
  const src = r.bytes;
  const end = src.length;
  const start = i;
  let bytes = 0;
  let p = r.pos;
  // Addresses and lengths are read inline while they are at most 4 LEB bytes (28 bits) and the
  // record is not near the block's end; anything else is left to readEvent.
  while (i < n && p + 9 <= end && src[p] === WRITE_TAG) {
    let q = p + 1;
    let x = src[q++]!;
    let addr = x & 0x7f;
    for (let shift = 7; x >= 0x80 && shift < 28; shift += 7) {
      x = src[q++]!;
      addr |= (x & 0x7f) << shift;
    }
    if (x >= 0x80) break;
    x = src[q++]!;
    let len = x & 0x7f;
    for (let shift = 7; x >= 0x80 && shift < 28; shift += 7) {
      x = src[q++]!;
      len |= (x & 0x7f) << shift;
    }
    if (x >= 0x80 || q + len > end || addr + len > mem.length) break;
    copyBytes(mem, addr, src, q, q + len);
    p = q + len;
    shape.setWrite(i, addr, len);
    bytes += len;
    i++;
  }
  r.pos = p;
  if (bytes > 0) visitor.wrote!(bytes);
  return i - start;
}

/** Checks a value's bits as readValueBits would, without decoding them. */
function skipValueBits(r: ByteReader, type: ValType): void {
  if (type === "v128") r.bytesView(16, "v128");
  else r.skipVarU64("value bits");
}

/**
 * Reads one block's invocation records in order. A v2 block's records each start with a form
 * byte; a repeat record takes its write ranges and result types from the record before it,
 * which this reader keeps (record-shape.ts).
 */
class BlockRecords {
  private readonly shape = new RecordShape();
  private readonly types: ValType[] = [];
  private lastIndex = -1;
  /** Where the events of the last record start when bulkWrites applied some of them: the shape's ranges are then still to be read. */
  private shapeUnread = -1;

  /** `results`: the header's result types, when records are being checked against them (openLogFrom). */
  constructor(private readonly r: ByteReader, private readonly version: number, private readonly results?: readonly ValType[]) {}

  isAtEnd(): boolean {
    return this.r.isAtEnd();
  }

  /** Byte position of the next record in the block. */
  get pos(): number {
    return this.r.pos;
  }

  /** Whether the next record may be a repeat of the last one. */
  get repeatable(): boolean {
    return this.shape.valid;
  }

  /** The next record, its events handed to `visitor`; results kept unless `keepReturns` is false. */
  next(visitor: EventVisitor, keepReturns: boolean): InvocationEnd {
    const r: ByteReader = this.r;
    if (this.version >= 2) {
      const at = r.pos;
      const form = r.u8("record form");
      if (form === FORM.repeat) {
        if (!this.shape.valid) r.fail("log: repeat record with no record to repeat", at);
        return this.readRepeat(visitor, keepReturns);
      }
      if (form !== FORM.full) r.fail(`log: unknown record form 0x${form.toString(16).padStart(2, "0")}`, at);
    }
    return this.readFull(visitor, keepReturns);
  }

  private readFull(visitor: EventVisitor, keepReturns: boolean): InvocationEnd {
    const r: ByteReader = this.r;
    const index = r.varUint("invocation index");
    const at = r.pos;
    const statusByte = r.u8("status");
    const status = nameOfCode(STATUS, statusByte & ~STATUS_THREAD_FLAG);
    if (status === undefined) r.fail("log: unknown invocation status", at);
    const inv: InvocationEnd = { index, status, returns: [] };
    if (statusByte & STATUS_THREAD_FLAG) {
      if (this.version < 4) r.fail("log: a thread ordinal in a log older than v4", at);
      inv.thread = r.varU32("thread ordinal");
    }
    if (status === "exited") inv.exitCode = r.varU32("exit code");
    if (status === "trapped") inv.trapMessage = r.string("trap message");
    const n = r.varUint("event count");
    const shape = this.shape;
    const eventsStart = r.pos;
    let writesOnly = true;
    let bulk = false;
    let bulkAt = 0; // the event from which bulkWrites is asked again after it declined
    for (let i = 0; i < n;) {
      const mem = visitor.memory; // again after each other event: a grow replaces it
      if (mem !== undefined) {
        const bulkable = visitor.bulkWrites !== undefined && n - i >= BULK_MIN_EVENTS;
        if (bulkable && i >= bulkAt) {
          const done = visitor.bulkWrites!(r.bytes, r.pos, r.bytes.length, n - i);
          if (done.events > 0) {
            r.pos = done.pos;
            i += done.events;
            bulk = true;
            // A short run (writes between WASI calls, say): the next few hundred are copied here.
            if (done.events < BULK_SHORT_RUN) bulkAt = i + BULK_MIN_EVENTS;
            continue;
          }
          bulkAt = i + BULK_RETRY_EVENTS;
        }
        const copied = copyWrites(r, mem, shape, i, bulkable ? Math.min(n, bulkAt) : n, visitor);
        i += copied;
        if (copied > 0) continue;
      }
      if (!readEvent(r, visitor, shape, i)) writesOnly = false;
      i++;
    }
    const countAt = r.pos;
    const m = r.varU32("result count");
    const expected = this.results === undefined ? undefined : status === "returned" ? this.results.length : 0;
    if (expected !== undefined && m !== expected) r.fail(`log: invocation ${index} has ${m} results where the function ${status === "returned" ? `returns ${expected}` : "did not return"}`, countAt);
    const types = this.types;
    types.length = 0;
    for (let i = 0; i < m; i++) {
      const typeAt = r.pos;
      const type = readValType(r);
      if (this.results && this.results[i] !== type) r.fail(`log: invocation ${index} result ${i} is ${type}, the function returns ${this.results[i]}`, typeAt);
      types.push(type);
      if (keepReturns) inv.returns.push(readValueBits(r, type));
      else skipValueBits(r, type);
    }
    if (writesOnly && status === "returned" && inv.thread === undefined) shape.reset(n, types);
    else shape.clear();
    this.shapeUnread = bulk && shape.valid ? eventsStart : -1;
    this.lastIndex = index;
    return inv;
  }

  /** Reads the write ranges of the last record (events from `at`), which bulkWrites applied without them. */
  private readShapeRanges(at: number): void {
    const r = new ByteReader(this.r.bytes, at);
    for (let i = 0; i < this.shape.count; i++) readEvent(r, SKIP, this.shape, i);
  }

  private readRepeat(visitor: EventVisitor, keepReturns: boolean): InvocationEnd {
    const r: ByteReader = this.r;
    const shape = this.shape;
    if (this.shapeUnread >= 0) {
      this.readShapeRanges(this.shapeUnread);
      this.shapeUnread = -1;
    }
    for (let i = 0; i < shape.count; i++) {
      const addr = shape.addrs[i]!;
      const len = shape.lens[i]!;
      r.need(len, "write bytes");
      const offset = r.pos;
      r.pos += len;
      const mem = visitor.memory;
      if (mem !== undefined && addr + len <= mem.length) {
        copyBytes(mem, addr, r.bytes, offset, offset + len);
        visitor.wrote!(len);
      } else {
        visitor.write(addr, r.bytes, offset, len);
      }
    }
    const inv: InvocationEnd = { index: ++this.lastIndex, status: "returned", returns: [] };
    for (const type of shape.types) {
      if (keepReturns) inv.returns.push(readValueBits(r, type));
      else skipValueBits(r, type);
    }
    return inv;
  }
}

/** Collects events as objects, for decodeLog. */
class EventCollector implements EventVisitor {
  events: Event[] = [];
  write(addr: number, src: Uint8Array, offset: number, length: number): void {
    this.events.push({ kind: "write", addr, bytes: src.slice(offset, offset + length) });
  }
  global(index: number, value: Value): void {
    this.events.push({ kind: "global", index, value });
  }
  grow(fromPages: number, toPages: number): void {
    this.events.push({ kind: "grow", fromPages, toPages });
  }
  syscall(call: SyscallEvent): void {
    this.events.push(call);
  }
}

function readHeader(r: ByteReader, version: number): LogHeader {
  const at = r.pos;
  const backend = nameOfCode(BACKEND, r.u8("backend"));
  if (backend === undefined) r.fail("log: unknown backend", at);
  const programSha256 = r.bytesView(32, "program sha256").slice();
  const functionIndex = r.varUint("function index");
  const functionName = r.string("function name", 4096);
  const params: ValType[] = [];
  const np = r.varU32("param count");
  for (let i = 0; i < np; i++) params.push(readValType(r));
  const results: ValType[] = [];
  const nr = r.varU32("result count");
  for (let i = 0; i < nr; i++) results.push(readValType(r));
  const args: string[] = [];
  const na = r.varU32("argument count");
  for (let i = 0; i < na; i++) args.push(r.string("argument"));
  const env: EnvVar[] = [];
  const ne = r.varU32("environment count");
  for (let i = 0; i < ne; i++) {
    if (version >= 3) {
      env.push({ name: r.string("environment variable name"), digest: r.bytesView(ENV_DIGEST_BYTES, "environment digest").slice() });
    } else {
      // v1 and v2 held KEY=value.
      const entry = r.string("environment entry");
      const eq = entry.indexOf("=");
      env.push(eq >= 0 ? { name: entry.slice(0, eq), value: entry.slice(eq + 1) } : { name: entry, value: "" });
    }
  }
  return { backend, programSha256, functionIndex, functionName, params, results, args, env };
}

/** One INVOCATIONS block's payload, and where it sits in the file (for error offsets). */
/**
 * Where a log's bytes come from: memory, or a file read block by block (src/backend/log-source.ts),
 * so that replaying a log of any size holds one block at a time.
 */
export interface LogSource {
  /** Size of the log in bytes. */
  readonly size: number;
  /**
   * `length` bytes at `offset` (offset + length <= size). The array may be reused by a later read
   * (FileLogSource: the third one after): callers use it at once or copy it.
   */
  read(offset: number, length: number): Uint8Array;
}

/** The bytes themselves as a LogSource (views, no copies). */
export function memorySource(bytes: Uint8Array): LogSource {
  return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

/** An invocations block: its payload is read (and its CRC checked again) when the replay gets to it. */
export interface InvocationBlock {
  /** Offset of the payload in the file (error messages give file offsets). */
  fileOffset: number;
  /** Payload length. */
  length: number;
  readonly payload: Uint8Array;
}

/** Size of a block's framing before its payload (kind u8, length u32) and after it (CRC-32). */
const BLOCK_HEAD_BYTES = 5;
const BLOCK_CRC_BYTES = 4;

function invocationBlock(source: LogSource, blockStart: number, length: number): InvocationBlock {
  return {
    fileOffset: blockStart + BLOCK_HEAD_BYTES,
    length,
    get payload(): Uint8Array {
      // Read again from the source, which may be a file: its CRC is checked again here.
      const all = source.read(blockStart, BLOCK_HEAD_BYTES + length + BLOCK_CRC_BYTES);
      const view = new DataView(all.buffer, all.byteOffset, all.byteLength);
      if (crc32(all.subarray(0, BLOCK_HEAD_BYTES + length)) !== view.getUint32(BLOCK_HEAD_BYTES + length, true)) {
        throw new DecodeError("log: checksum mismatch (the log changed while it was replayed)", blockStart);
      }
      return all.subarray(BLOCK_HEAD_BYTES, BLOCK_HEAD_BYTES + length);
    },
  };
}

/**
 * A checked log whose invocations are read on demand: everything but the invocation records
 * is decoded, and the records stay as views into the file's bytes. Memory is the file's size,
 * whatever the number of invocations.
 */
/** A log's MAC block (v3): the HMAC-SHA-256 tag of its first `coveredBytes` bytes. */
export interface LogMac {
  coveredBytes: number;
  tag: Uint8Array;
}

export interface OpenedLog {
  /** Absent in v1 and v2 logs, and in a v3 log whose writer did not close it with one. */
  mac?: LogMac;
  version: number;
  header: LogHeader;
  inputs: InputRecord[];
  end: RunEnd;
  invocationCount: number;
  invocationBlocks: InvocationBlock[];
}

/**
 * Checks a complete log and indexes it: magic, version, every block's CRC-32, block order,
 * every record (events included, read and dropped), invocation order, the end block's counts,
 * trailing bytes. A log that opens is one the replay can read to the end without a decode
 * error. Throws DecodeError / TruncatedError / UnsupportedVersionError.
 */
export function openLog(input: Uint8Array): OpenedLog {
  // A plain Uint8Array view: a Node Buffer's slice() would not copy.
  return openLogFrom(memorySource(new Uint8Array(input.buffer, input.byteOffset, input.byteLength)));
}

/**
 * openLog over a LogSource: the source is read block by block, each block once here. With
 * `checkRecords: false` (a log this same file was already checked as, see backend/log-source.ts)
 * invocation blocks are only located, not read: their records are trusted, their CRC is checked
 * when the replay reads them, and the invocation count is the end block's.
 */
export function openLogFrom(source: LogSource, options: { checkRecords?: boolean } = {}): OpenedLog {
  const checkRecords = options.checkRecords ?? true;
  const size = source.size;
  const prefix = LOG_MAGIC.length + 2;
  const head = new ByteReader(source.read(0, Math.min(prefix, size)));
  head.need(LOG_MAGIC.length, "magic");
  for (let i = 0; i < LOG_MAGIC.length; i++) {
    if (head.bytes[i] !== LOG_MAGIC[i]) throw new DecodeError("log: not an Alpaca effect log (bad magic)", 0);
  }
  head.pos = LOG_MAGIC.length;
  const version = head.u16("version");
  if (version === 0 || version > LOG_VERSION) {
    throw new UnsupportedVersionError(
      `log: format version ${version} is newer than this alpaca supports (${LOG_VERSION}); upgrade alpaca`,
    );
  }
  let header: LogHeader | undefined;
  let end: RunEnd | undefined;
  let mac: LogMac | undefined;
  let invocationCount = 0;
  const invocationBlocks: InvocationBlock[] = [];
  const inputs: InputRecord[] = [];
  let pos = prefix;
  while (pos < size) {
    const blockStart = pos;
    // The block's framing, then the whole block: a reader over it gives file offsets in errors.
    const frame = new ByteReader(source.read(pos, Math.min(BLOCK_HEAD_BYTES, size - pos)), 0, pos);
    if (mac) frame.fail("log: trailing bytes after the MAC block");
    const kind = frame.u8("block kind");
    if (end && kind !== BLOCK.mac) frame.fail("log: trailing bytes after the end block", 0);
    const len = frame.u32("block length");
    if (len > MAX_BLOCK_BYTES) frame.fail(`log: block length ${len} exceeds ${MAX_BLOCK_BYTES}`, 1);
    if (!checkRecords && kind === BLOCK.invocations && header !== undefined) {
      if (pos + BLOCK_HEAD_BYTES + len + BLOCK_CRC_BYTES > size) throw new TruncatedError("unexpected end of input reading block payload", size);
      invocationBlocks.push(invocationBlock(source, blockStart, len));
      pos += BLOCK_HEAD_BYTES + len + BLOCK_CRC_BYTES;
      continue;
    }
    const available = Math.min(BLOCK_HEAD_BYTES + len + BLOCK_CRC_BYTES, size - pos);
    const r = new ByteReader(source.read(pos, available), 0, pos);
    r.pos = BLOCK_HEAD_BYTES;
    const payload = r.bytesView(len, "block payload");
    const stored = r.u32("block checksum");
    if (crc32(r.bytes.subarray(0, BLOCK_HEAD_BYTES + len)) !== stored) {
      r.fail("log: checksum mismatch (corrupted block)", 0);
    }
    pos += BLOCK_HEAD_BYTES + len + BLOCK_CRC_BYTES;
    const p = new ByteReader(payload, 0, blockStart + 5);
    if (header === undefined && kind !== BLOCK.header) r.fail("log: first block is not the header", 0);
    switch (kind) {
      case BLOCK.header:
        if (header) r.fail("log: second header block", 0);
        header = readHeader(p, version);
        break;
      case BLOCK.invocations:
        invocationBlocks.push(invocationBlock(source, blockStart, len));
        for (const records = new BlockRecords(p, version, header!.results); !records.isAtEnd();) {
          const at = p.pos;
          const inv = records.next(SKIP, false);
          if (inv.index !== invocationCount) p.fail(`log: invocation ${inv.index} out of order`, at);
          invocationCount++;
        }
        break;
      case BLOCK.inputs:
        while (!p.isAtEnd()) {
          const insideF = p.u8("input flag") === 1;
          inputs.push({ insideF, call: readSyscallBody(p) });
        }
        break;
      case BLOCK.end: {
        const invocationCountAtEnd = p.varUint("invocation count");
        const inputCount = p.varUint("input count");
        const outcome = p.u8("outcome") === 1 ? "trapped" : "exited";
        const exitCode = p.varU32("exit code");
        end = { invocationCount: invocationCountAtEnd, inputCount, outcome, exitCode };
        break;
      }
      case BLOCK.mac:
        if (!end) r.fail("log: MAC block before the end block", 0);
        if (len !== MAC_BYTES) r.fail(`log: MAC block of ${len} bytes, not ${MAC_BYTES}`, 1);
        mac = { coveredBytes: blockStart, tag: p.bytesView(MAC_BYTES, "MAC").slice() };
        break;
      default:
        r.fail(`log: unknown block kind 0x${kind.toString(16).padStart(2, "0")}`, 0);
    }
    if (!p.isAtEnd()) p.fail("log: trailing bytes in block");
  }
  if (!header) throw new TruncatedError("log: no header block", size);
  if (!end) throw new TruncatedError("log: no end block (the log was cut short)", size);
  if (!checkRecords) invocationCount = end.invocationCount;
  if (end.invocationCount !== invocationCount || end.inputCount !== inputs.length) {
    throw new DecodeError(
      `log: end block counts ${end.invocationCount} invocations and ${end.inputCount} inputs, found ${invocationCount} and ${inputs.length}`,
      size,
    );
  }
  return { version, header, inputs, end, invocationCount, invocationBlocks, ...(mac ? { mac } : {}) };
}

/** Reads an opened log's invocations in order, one `next` call each. */
export class InvocationCursor {
  private block = 0;
  private records: BlockRecords | undefined;

  constructor(private readonly log: Pick<OpenedLog, "version" | "invocationBlocks">) {}

  /** The next invocation, its events handed to `visitor`; undefined after the last one. */
  next(visitor: EventVisitor): InvocationEnd | undefined {
    while (this.records === undefined || this.records.isAtEnd()) {
      const b = this.log.invocationBlocks[this.block++];
      if (!b) return undefined;
      this.records = new BlockRecords(new ByteReader(b.payload, 0, b.fileOffset), this.log.version);
    }
    return this.records.next(visitor, true);
  }
}

/**
 * Reads the records of one block from a given byte position: the replayer's half of sharing the
 * blocks with the replay core, which stops at a record it leaves to the host. Records in
 * [resumePos, pos) are read without effect first, so that a repeat record at `pos` has its shape.
 */
export class BlockCursor {
  private records: BlockRecords | undefined;

  constructor(private readonly log: Pick<OpenedLog, "version" | "invocationBlocks">) {}

  /** Reads block `block` from byte `pos` of its payload on. */
  open(block: number, resumePos: number, pos: number): void {
    const b = this.log.invocationBlocks[block];
    if (!b) throw new InternalError(`log: no invocation block ${block}`);
    const r = new ByteReader(b.payload, resumePos, b.fileOffset);
    this.records = new BlockRecords(r, this.log.version);
    while (r.pos < pos) this.records.next(SKIP, false);
  }

  /** The block's next invocation, or undefined at the block's end. */
  next(visitor: EventVisitor): InvocationEnd | undefined {
    if (!this.records || this.records.isAtEnd()) return undefined;
    return this.records.next(visitor, true);
  }

  isAtEnd(): boolean {
    return !this.records || this.records.isAtEnd();
  }

  /** Byte position of the next record in the block. */
  get pos(): number {
    return this.records?.pos ?? 0;
  }

  /** Whether the next record may be a repeat of the last one read: then only this cursor knows its shape. */
  get repeatable(): boolean {
    return this.records?.repeatable ?? false;
  }
}

/** Decodes a complete log into objects (dumps, the native backend, tests). Throws as openLog. */
export function decodeLog(input: Uint8Array): EffectLog {
  const opened = openLog(input);
  const { version, header, inputs, end } = opened;
  return { version, header, invocations: [...readInvocations(opened)], inputs, end };
}

/** An opened log's invocations as objects, one at a time (a dump of a large log holds one). */
export function* readInvocations(log: Pick<OpenedLog, "version" | "invocationBlocks">): Generator<Invocation> {
  const cursor = new InvocationCursor(log);
  for (;;) {
    const collector = new EventCollector();
    const inv = cursor.next(collector);
    if (!inv) return;
    yield { ...inv, events: collector.events };
  }
}
