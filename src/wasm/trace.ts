/**
 * Traced copies for the "marks" recording strategy: every function in F's extent (reachable
 * from F by direct calls, and through table 0 when the extent calls indirectly) gets a copy in
 * which each memory write first calls the mark hook with its address and size, calls go to the
 * traced copies, and `call_indirect` goes through a traced table that mirrors table 0. The host
 * then knows exactly which bytes F may have changed and need not compare all of memory, which is
 * what makes small, frequently called functions cheap to analyze. Pure.
 */
import { ByteReader, ByteWriter } from "../binary/index.js";
import { forEachInstruction, readLocals, skipLocals } from "./instructions.js";
import { VALTYPE_CODE, type WasmModule } from "./module.js";
import { BLOCK_VOID, FC, OP } from "./opcodes.js";


/** Loads of a store's old bytes into an i64 for the mark slot, by store size: i64.load8_u/16_u/32_u, i64.load. */
const SLOT_LOAD: Record<number, number> = { 1: 0x31, 2: 0x33, 4: 0x35, 8: 0x29 };

/** Plain stores: opcode → [value type, bytes written]. */
const STORES: Record<number, ["i32" | "i64" | "f32" | "f64", number]> = {
  0x36: ["i32", 4], 0x37: ["i64", 8], 0x38: ["f32", 4], 0x39: ["f64", 8], 0x3a: ["i32", 1],
  0x3b: ["i32", 2], 0x3c: ["i64", 1], 0x3d: ["i64", 2], 0x3e: ["i64", 4],
};
/** SIMD stores: sub-opcode → bytes written (v128.store, v128.storeN_lane). */
const SIMD_STORES: Record<number, number> = { 11: 16, 88: 1, 89: 2, 90: 4, 91: 8 };

/** Why a function cannot be traced, or null. */
function untraceable(body: Uint8Array): string | null {
  let why: string | null = null;
  forEachInstruction(body, skipLocals(body), (ins) => {
    if (why) return;
    if (ins.op === OP.callRef || ins.op === OP.returnCallRef) why = "call_ref";
    else if (ins.op === 0xfe) why = "atomics";
    else if ((ins.op === OP.callIndirect || ins.op === OP.returnCallIndirect)) {
      const r = new ByteReader(body, ins.immStart);
      r.varU32();
      if (r.varU32() !== 0) why = "call_indirect through a table other than 0";
    } else if (ins.op === OP.prefixFC && (ins.sub === FC.tableInit || ins.sub === FC.tableCopy || ins.sub === FC.tableGrow || ins.sub === FC.tableFill)) why = "table writes";
  });
  return why;
}

export interface ExtentPlan {
  /** Defined functions F's extent may run, by function index, ascending. */
  funcs: number[];
  /** Whether the extent calls through table 0. */
  indirect: boolean;
  /** Whether the extent may call an imported function (a WASI call, for the programs we run). */
  callsImports: boolean;
  /** Globals the extent's code sets (`global.set`), ascending; only these can change inside F when it calls no import. */
  globalsSet: number[];
  /** Whether the extent's code grows memory (`memory.grow`). */
  grows: boolean;
}

/**
 * The defined functions F's extent may run, by function index, or a reason why marks cannot
 * follow it (the analyzer then keeps to memory diffing).
 */
export function planExtent(m: WasmModule, funcIdx: number): ExtentPlan | { reason: string } {
  const seen = new Set<number>();
  const queue = [funcIdx];
  let indirect = false;
  let callsImports = false;
  let grows = false;
  const globalsSet = new Set<number>();
  const addTable = () => {
    if (indirect) return;
    indirect = true;
    for (const seg of m.elements ?? []) if (seg.tableIdx === 0) queue.push(...seg.funcs);
  };
  while (queue.length) {
    const f = queue.pop()!;
    if (seen.has(f)) continue;
    if (f < m.importedFuncCount) {
      callsImports = true;
      continue;
    }
    seen.add(f);
    const body = m.bodies[f - m.importedFuncCount]!.bytes;
    const why = untraceable(body);
    if (why) return { reason: `${why} in function ${f}` };
    forEachInstruction(body, skipLocals(body), (ins) => {
      if (ins.op === OP.call || ins.op === OP.returnCall) queue.push(new ByteReader(body, ins.immStart).varU32());
      if (ins.op === OP.callIndirect || ins.op === OP.returnCallIndirect) addTable();
      if (ins.op === OP.globalSet) globalsSet.add(new ByteReader(body, ins.immStart).varU32());
      if (ins.op === OP.memoryGrow) grows = true;
    });
  }
  if (indirect && (m.elements === null || m.tableMins.length === 0)) return { reason: "unsupported element segments" };
  return { funcs: [...seen].sort((a, b) => a - b), indirect, callsImports, globalsSet: [...globalsSet].sort((a, b) => a - b), grows };
}

/**
 * The fast path's mark slot: globals that take the first store of an invocation (at most 8
 * bytes) without a call: its address, size, the bytes it overwrote and the bytes it wrote, as
 * i64 bit patterns. `free` is 1 from F's entry until that store; every other store calls the
 * mark hook. A tiny F that stores once is then recorded with a single call, at its exit.
 */
export interface MarkSlot {
  free: number;
  addr: number;
  size: number;
  old: number;
  new: number;
}

export interface TraceTargets {
  /** Function index of the traced copy of a defined function. */
  tracedOf: (funcIdx: number) => number;
  /** Index of the table mirroring table 0 with traced copies. */
  tracedTable: number;
  /** Index of the hook table and the mark hook's slot and type (i32 addr, i32 size) -> (). */
  hookTable: number;
  markSlot: number;
  markType: number;
  /** The fast path's mark slot, when the module has a fast path. */
  slot?: MarkSlot | undefined;
}

/** The traced copy of a body: marks before writes, calls redirected to traced copies. */
export function traceBody(body: Uint8Array, numParams: number, t: TraceTargets): Uint8Array {
  const { groups, groupsStart, count, exprStart } = readLocals(body);
  const locals = numParams + count;
  // Scratch locals: address, length, source, and one value slot per type.
  const L = { addr: locals, len: locals + 1, src: locals + 2, i32: locals + 3, i64: locals + 4, f32: locals + 5, f64: locals + 6, v128: locals + 7 };
  const w = new ByteWriter(body.length * 2 + 64);
  w.varUint(groups + 5).bytes(body.subarray(groupsStart, exprStart));
  w.varUint(4).u8(VALTYPE_CODE.i32).varUint(1).u8(VALTYPE_CODE.i64).varUint(1).u8(VALTYPE_CODE.f32)
    .varUint(1).u8(VALTYPE_CODE.f64).varUint(1).u8(VALTYPE_CODE.v128);
  const mark = () => w.i32Const(t.markSlot).u8(OP.callIndirect).varUint(t.markType).varUint(t.hookTable);
  const effectiveAddr = (offset: number) => {
    w.u8(OP.localGet).varUint(L.addr);
    if (offset !== 0) w.i32Const(offset | 0).u8(OP.i32Add);
  };
  /** [addr, value] on the stack: mark addr+offset for `size` bytes, restore the stack. */
  const markStore = (valueType: keyof typeof L, offset: number, size: number) => {
    const valueLocal = L[valueType];
    w.u8(OP.localSet).varUint(valueLocal).u8(OP.localSet).varUint(L.addr);
    const markRange = () => {
      effectiveAddr(offset);
      w.i32Const(size);
      mark();
    };
    const slot = t.slot;
    if (slot && SLOT_LOAD[size] !== undefined && valueType !== "v128") {
      // First store of the invocation: into the slot, old bytes loaded as the store would address them.
      w.u8(OP.globalGet).varUint(slot.free).u8(OP.if).u8(BLOCK_VOID);
      effectiveAddr(offset);
      w.u8(OP.globalSet).varUint(slot.addr).i32Const(size).u8(OP.globalSet).varUint(slot.size);
      w.u8(OP.localGet).varUint(L.addr).u8(SLOT_LOAD[size]).varUint(0).varUint(offset >>> 0).u8(OP.globalSet).varUint(slot.old);
      w.u8(OP.localGet).varUint(valueLocal);
      if (valueType === "f32") w.u8(OP.i32ReinterpretF32);
      if (valueType === "f64") w.u8(OP.i64ReinterpretF64);
      if (valueType === "i32" || valueType === "f32") w.u8(OP.i64ExtendI32U);
      w.u8(OP.globalSet).varUint(slot.new).i32Const(0).u8(OP.globalSet).varUint(slot.free);
      w.u8(OP.else);
      markRange();
      w.u8(OP.end);
    } else {
      markRange();
    }
    w.u8(OP.localGet).varUint(L.addr).u8(OP.localGet).varUint(valueLocal);
  };
  /** [dest, x, len] on the stack (memory.fill/copy/init): mark dest for len bytes. */
  const markBulk = () => {
    w.u8(OP.localSet).varUint(L.len).u8(OP.localSet).varUint(L.src).u8(OP.localTee).varUint(L.addr).u8(OP.localGet).varUint(L.len);
    mark();
    w.u8(OP.localGet).varUint(L.addr).u8(OP.localGet).varUint(L.src).u8(OP.localGet).varUint(L.len);
  };
  const memargOffset = (immStart: number): number => {
    const m = new ByteReader(body, immStart);
    const align = m.varU32();
    if (align & 0x40) m.varU32();
    return Number(m.varU64());
  };
  let prev = exprStart;
  forEachInstruction(body, exprStart, (ins) => {
    const store = STORES[ins.op];
    if (store) {
      w.bytes(body.subarray(prev, ins.start));
      markStore(store[0], memargOffset(ins.immStart), store[1]);
      w.bytes(body.subarray(ins.start, ins.end));
    } else if (ins.op === 0xfd && SIMD_STORES[ins.sub] !== undefined) {
      w.bytes(body.subarray(prev, ins.start));
      const subReader = new ByteReader(body, ins.start + 1);
      subReader.varU32();
      markStore("v128", memargOffset(subReader.pos), SIMD_STORES[ins.sub]!);
      w.bytes(body.subarray(ins.start, ins.end));
    } else if (ins.op === OP.prefixFC && (ins.sub === FC.memoryInit || ins.sub === FC.memoryCopy || ins.sub === FC.memoryFill)) {
      w.bytes(body.subarray(prev, ins.start));
      markBulk();
      w.bytes(body.subarray(ins.start, ins.end));
    } else if (ins.op === OP.call || ins.op === OP.returnCall) {
      w.bytes(body.subarray(prev, ins.start));
      const callee = new ByteReader(body, ins.immStart).varU32();
      w.u8(ins.op).varUint(t.tracedOf(callee));
    } else if (ins.op === OP.callIndirect || ins.op === OP.returnCallIndirect) {
      w.bytes(body.subarray(prev, ins.start));
      const typeIdx = new ByteReader(body, ins.immStart).varU32();
      w.u8(ins.op).varUint(typeIdx).varUint(t.tracedTable);
    } else {
      return;
    }
    prev = ins.end;
  });
  w.bytes(body.subarray(prev));
  return w.toBytes();
}
