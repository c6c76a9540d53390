/**
 * Effect-log decoder. Checks magic, refuses newer versions, verifies each block's CRC-32,
 * requires HEADER first and END last, and rejects trailing bytes. Truncated input throws
 * TruncatedError, malformed input DecodeError, both with the byte offset. Pure.
 */
import { ByteReader, crc32 } from "../binary/index.js";
import { DecodeError, TruncatedError, UnsupportedVersionError } from "../errors/index.js";
import {
  BACKEND, BLOCK, EVENT, LOG_MAGIC, LOG_VERSION, MAX_BLOCK_BYTES, STATUS, VALTYPE, nameOfCode,
  type EffectLog, type Event, type InputRecord, type Invocation, type LogHeader, type MemoryRange,
  type RunEnd, type SyscallEvent, type ValType, type Value,
} from "./format.js";

function readValType(r: ByteReader): ValType {
  const at = r.pos;
  const t = nameOfCode(VALTYPE, r.u8("value type"));
  if (t === undefined) r.fail(`log: unknown value type 0x${r.bytes[at]!.toString(16)}`, at);
  return t;
}

function readValue(r: ByteReader): Value {
  const type = readValType(r);
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

function readEvent(r: ByteReader): Event {
  const at = r.pos;
  const tag = r.u8("event tag");
  switch (tag) {
    case EVENT.write: {
      const addr = r.varUint("address");
      const len = r.varUint("length");
      return { kind: "write", addr, bytes: r.bytesView(len, "write bytes").slice() };
    }
    case EVENT.global:
      return { kind: "global", index: r.varU32("global index"), value: readValue(r) };
    case EVENT.grow:
      return { kind: "grow", fromPages: r.varU32("pages"), toPages: r.varU32("pages") };
    case EVENT.syscall:
      return readSyscallBody(r);
    default:
      return r.fail(`log: unknown event tag 0x${tag.toString(16).padStart(2, "0")}`, at);
  }
}

function readInvocation(r: ByteReader): Invocation {
  const index = r.varUint("invocation index");
  const at = r.pos;
  const status = nameOfCode(STATUS, r.u8("status"));
  if (status === undefined) r.fail("log: unknown invocation status", at);
  const inv: Invocation = { index, status, events: [], returns: [] };
  if (status === "exited") inv.exitCode = r.varU32("exit code");
  if (status === "trapped") inv.trapMessage = r.string("trap message");
  const n = r.varUint("event count");
  for (let i = 0; i < n; i++) inv.events.push(readEvent(r));
  const m = r.varU32("result count");
  for (let i = 0; i < m; i++) inv.returns.push(readValue(r));
  return inv;
}

function readHeader(r: ByteReader): LogHeader {
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
  const env: string[] = [];
  const ne = r.varU32("environment count");
  for (let i = 0; i < ne; i++) env.push(r.string("environment entry"));
  return { backend, programSha256, functionIndex, functionName, params, results, args, env };
}

/** Decodes a complete log. Throws DecodeError / TruncatedError / UnsupportedVersionError. */
export function decodeLog(input: Uint8Array): EffectLog {
  // A plain Uint8Array view: a Node Buffer's slice() would not copy.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const r = new ByteReader(bytes);
  r.need(LOG_MAGIC.length, "magic");
  for (let i = 0; i < LOG_MAGIC.length; i++) {
    if (bytes[i] !== LOG_MAGIC[i]) throw new DecodeError("log: not an Alpaca effect log (bad magic)", 0);
  }
  r.pos = LOG_MAGIC.length;
  const version = r.u16("version");
  if (version === 0 || version > LOG_VERSION) {
    throw new UnsupportedVersionError(
      `log: format version ${version} is newer than this alpaca supports (${LOG_VERSION}); upgrade alpaca`,
    );
  }
  let header: LogHeader | undefined;
  let end: RunEnd | undefined;
  const invocations: Invocation[] = [];
  const inputs: InputRecord[] = [];
  while (!r.isAtEnd()) {
    const blockStart = r.pos;
    if (end) r.fail("log: trailing bytes after the end block");
    const kind = r.u8("block kind");
    const len = r.u32("block length");
    if (len > MAX_BLOCK_BYTES) r.fail(`log: block length ${len} exceeds ${MAX_BLOCK_BYTES}`, blockStart + 1);
    const payload = r.bytesView(len, "block payload");
    const stored = r.u32("block checksum");
    if (crc32(bytes.subarray(blockStart, blockStart + 5 + len)) !== stored) {
      r.fail("log: checksum mismatch (corrupted block)", blockStart);
    }
    const p = new ByteReader(payload, 0, blockStart + 5);
    if (header === undefined && kind !== BLOCK.header) r.fail("log: first block is not the header", blockStart);
    switch (kind) {
      case BLOCK.header:
        if (header) r.fail("log: second header block", blockStart);
        header = readHeader(p);
        break;
      case BLOCK.invocations:
        while (!p.isAtEnd()) {
          const inv = readInvocation(p);
          if (inv.index !== invocations.length) p.fail(`log: invocation ${inv.index} out of order`);
          invocations.push(inv);
        }
        break;
      case BLOCK.inputs:
        while (!p.isAtEnd()) {
          const insideF = p.u8("input flag") === 1;
          inputs.push({ insideF, call: readSyscallBody(p) });
        }
        break;
      case BLOCK.end: {
        const invocationCount = p.varUint("invocation count");
        const inputCount = p.varUint("input count");
        const outcome = p.u8("outcome") === 1 ? "trapped" : "exited";
        const exitCode = p.varU32("exit code");
        end = { invocationCount, inputCount, outcome, exitCode };
        break;
      }
      default:
        r.fail(`log: unknown block kind 0x${kind.toString(16).padStart(2, "0")}`, blockStart);
    }
    if (!p.isAtEnd()) p.fail("log: trailing bytes in block");
  }
  if (!header) throw new TruncatedError("log: no header block", bytes.length);
  if (!end) throw new TruncatedError("log: no end block (the log was cut short)", bytes.length);
  if (end.invocationCount !== invocations.length || end.inputCount !== inputs.length) {
    throw new DecodeError(
      `log: end block counts ${end.invocationCount} invocations and ${end.inputCount} inputs, found ${invocations.length} and ${inputs.length}`,
      bytes.length,
    );
  }
  return { version, header, invocations, inputs, end };
}
