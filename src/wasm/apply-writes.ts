/**
 * The replay module's write applier: a function added to the disabled module that applies a run
 * of the effect log's write events (docs/log-format.md: tag 1, LEB128 address, LEB128 length,
 * bytes) to the module's own memory, from a copy of the log's bytes the host placed in that same
 * memory. One memory, no call per event: this is how a replay reaches memcpy speed on logs of
 * many short writes, which a JavaScript loop run once (F is called once) applies at interpreter
 * speed (docs/benchmarks.md). The host saves the bytes it borrows and puts them back afterwards
 * (src/runtime/bulk-writes.ts), so the guest never sees them.
 *
 * Signature: (p, end, maxEvents, lo, hi) -> position after the last event applied. It stops
 * before the first event that is not a write, that is not entirely in [p, end), whose address or
 * length is not a well-formed u32, that reaches past the end of memory, or whose destination
 * overlaps [lo, hi) (the borrowed bytes), and after maxEvents events. It never traps.
 * Events and bytes applied are left in two globals. Pure: returns the function's body.
 */
import { ByteWriter } from "../binary/index.js";
import { EVENT } from "../log/format.js";
import { VALTYPE_CODE } from "./module.js";
import { BLOCK_VOID, FC, OP } from "./opcodes.js";

const WRITE_TAG = EVENT.write;
/** Writes of at most this many bytes are copied byte by byte; longer ones by memory.copy. */
const BYTE_LOOP_MAX = 8;

export const APPLY_WRITES_TYPE = { params: ["i32", "i32", "i32", "i32", "i32"], results: ["i32"] } as const;

/** The applier's body; `applied` and `appliedBytes` are i32 globals it sets. */
export function applyWritesBody(applied: number, appliedBytes: number): Uint8Array {
  // Parameters 0-4, then locals.
  const P = 0, END = 1, MAX = 2, LO = 3, HI = 4;
  const Q = 5, ADDR = 6, LEN = 7, X = 8, SHIFT = 9, COUNT = 10, BYTES = 11, K = 12, MEM_END = 13;
  const w = new ByteWriter(256);
  w.varUint(2).varUint(8).u8(VALTYPE_CODE.i32).varUint(1).u8(VALTYPE_CODE.i64);
  const get = (l: number) => w.u8(OP.localGet).varUint(l);
  const set = (l: number) => w.u8(OP.localSet).varUint(l);
  const u64 = (l: number) => get(l).u8(OP.i64ExtendI32U);
  // memEnd = memory.size << 16, in 64 bits (4 GiB does not fit in 32).
  w.u8(OP.memorySize).u8(0).u8(OP.i64ExtendI32U).u8(OP.i64Const).varS32(16).u8(OP.i64Shl);
  set(MEM_END);
  w.u8(OP.block).u8(BLOCK_VOID); // $done
  w.u8(OP.loop).u8(BLOCK_VOID); // $next: br 0 = $next, br 1 = $done
  get(COUNT); get(MAX); w.u8(OP.i32GeU).u8(OP.brIf).varUint(1);
  get(P); get(END); w.u8(OP.i32GeU).u8(OP.brIf).varUint(1);
  get(P); w.u8(OP.i32Load8U).varUint(0).varUint(0).i32Const(WRITE_TAG).u8(OP.i32Ne).u8(OP.brIf).varUint(1);
  get(P); w.i32Const(1).u8(OP.i32Add); set(Q);
  // An unsigned LEB128 u32 at q into `target` (at most 5 bytes, the fifth below 16); anything else ends the run.
  const leb = (target: number) => {
    w.i32Const(0); set(target);
    w.i32Const(0); set(SHIFT);
    w.u8(OP.loop).u8(BLOCK_VOID); // $byte: br 0 = $byte, br 1 = $next, br 2 = $done
    get(Q); get(END); w.u8(OP.i32GeU).u8(OP.brIf).varUint(2);
    get(Q); w.u8(OP.i32Load8U).varUint(0).varUint(0); set(X);
    get(Q); w.i32Const(1).u8(OP.i32Add); set(Q);
    get(SHIFT); w.i32Const(28).u8(OP.i32Eq); get(X); w.i32Const(0x0f).u8(OP.i32GtU).u8(OP.i32And).u8(OP.brIf).varUint(2);
    get(target); get(X); w.i32Const(0x7f).u8(OP.i32And); get(SHIFT); w.u8(OP.i32Shl).u8(OP.i32Or); set(target);
    get(SHIFT); w.i32Const(7).u8(OP.i32Add); set(SHIFT);
    get(X); w.i32Const(0x80).u8(OP.i32And).u8(OP.brIf).varUint(0);
    w.u8(OP.end);
  };
  leb(ADDR);
  leb(LEN);
  // The bytes are in [q, end), the destination in memory and clear of [lo, hi).
  u64(Q); u64(LEN); w.u8(OP.i64Add); u64(END); w.u8(OP.i64GtU).u8(OP.brIf).varUint(1);
  u64(ADDR); u64(LEN); w.u8(OP.i64Add); get(MEM_END); w.u8(OP.i64GtU).u8(OP.brIf).varUint(1);
  get(ADDR); get(HI); w.u8(OP.i32LtU);
  u64(ADDR); u64(LEN); w.u8(OP.i64Add); u64(LO); w.u8(OP.i64GtU);
  w.u8(OP.i32And).u8(OP.brIf).varUint(1);
  // Copy: byte by byte when short, else memory.copy.
  get(LEN); w.i32Const(BYTE_LOOP_MAX).u8(OP.i32LeU).u8(OP.if).u8(BLOCK_VOID);
  w.i32Const(0); set(K);
  w.u8(OP.block).u8(BLOCK_VOID).u8(OP.loop).u8(BLOCK_VOID); // br 0 = loop, br 1 = block
  get(K); get(LEN); w.u8(OP.i32GeU).u8(OP.brIf).varUint(1);
  get(ADDR); get(K); w.u8(OP.i32Add);
  get(Q); get(K); w.u8(OP.i32Add).u8(OP.i32Load8U).varUint(0).varUint(0);
  w.u8(OP.i32Store8).varUint(0).varUint(0);
  get(K); w.i32Const(1).u8(OP.i32Add); set(K);
  w.u8(OP.br).varUint(0);
  w.u8(OP.end).u8(OP.end);
  w.u8(OP.else);
  get(ADDR); get(Q); get(LEN); w.u8(OP.prefixFC).varUint(FC.memoryCopy).u8(0).u8(0); // memory.copy 0 0
  w.u8(OP.end);
  get(Q); get(LEN); w.u8(OP.i32Add); set(P);
  get(COUNT); w.i32Const(1).u8(OP.i32Add); set(COUNT);
  get(BYTES); get(LEN); w.u8(OP.i32Add); set(BYTES);
  w.u8(OP.br).varUint(0);
  w.u8(OP.end); // $next
  w.u8(OP.end); // $done
  get(COUNT); w.u8(OP.globalSet).varUint(applied);
  get(BYTES); w.u8(OP.globalSet).varUint(appliedBytes);
  get(P);
  w.u8(OP.end);
  return w.toBytes();
}
