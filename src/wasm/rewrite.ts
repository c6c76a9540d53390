/**
 * Builds the analyzer, disabled, control and baseline modules from a decoded module, at section level:
 * everything added goes at the end of its index space (a type, a table of host hooks, globals,
 * one function, exports), and only F's body is replaced, so no index moves and every other
 * function body is byte-identical to the original. Host hooks are reached through the added
 * table with `call_indirect`, because an added import would shift every function index.
 * Nothing is added to linear memory: the guest cannot observe the rewriting.
 */
import { ByteReader, ByteWriter } from "../binary/index.js";
import { AlpacaError } from "../errors/index.js";
import { Additions, encodeSections, type NumType } from "./additions.js";
import { forEachInstruction, readLocals } from "./instructions.js";
import { SECTION, VALTYPE_CODE, type FuncType, type WasmModule, type WasmValType } from "./module.js";
import { BLOCK_VOID, OP } from "./opcodes.js";
import { funcType } from "./read-module.js";
import { APPLY_WRITES_TYPE, applyWritesBody } from "./apply-writes.js";
import { planExtent, traceBody, type ExtentPlan, type MarkSlot, type TraceTargets } from "./trace.js";
import { ANALYZER_HOOKS, BASELINE_HOOKS, hookTableSize, jsHookType, REPLAY_HOOKS } from "./hook-slots.js";

/** Export names the host uses to reach what the rewriter added. */
export const EXPORT = {
  hooks: "alpaca.hooks",
  minStackPointer: "alpaca.min_sp",
  runOriginal: "alpaca.run_original",
  /** Analyzer: 1 runs the traced copy of F (marks), 0 the plain copy (memory diffing). */
  mode: "alpaca.mode",
  /** Analyzer: 1 runs the fast path (traced copy, entry state kept in Wasm, one exit hook). */
  fast: "alpaca.fast",
  /** Analyzer: 1 while a fast-path invocation of F runs. */
  inside: "alpaca.inside",
  /** Analyzer: memory size in pages when the current fast-path invocation entered. */
  entryPages: "alpaca.entry_pages",
  /** Analyzer: a mutable global's value when the current fast-path invocation entered. */
  entryGlobal: (idx: number) => `alpaca.entry_global.${idx}`,
  /** Analyzer with a fast path: the mark slot (trace.ts MarkSlot), read by the host when it takes an invocation over. */
  slot: (part: keyof MarkSlot) => `alpaca.slot_${part}`,
  /** Analyzer with a fast path: guest-memory readers for the recorder core, (addr) -> value. */
  load: (bits: 8 | 32 | 64) => `alpaca.load${bits}`,
  /** Disabled module: the write applier (apply-writes.ts), and the events and bytes its last call applied. */
  applyWrites: "alpaca.apply_writes",
  applied: "alpaca.applied",
  appliedBytes: "alpaca.applied_bytes",
  /** Disabled and control modules with a replay core: guest-memory stores for it, (addr, value). */
  store: (bits: 8 | 32 | 64) => `alpaca.store${bits}`,
  /** Disabled and control modules with a replay core: memory.size, for its bounds checks. */
  pages: "alpaca.pages",
  result: (i: number) => `alpaca.result.${i}`,
  global: (idx: number) => `alpaca.global.${idx}`,
} as const;


/** What the host needs to know about a rewritten module. */
export interface RewriteLayout {
  /** Index of the stack-pointer global, or -1 when the module has none. */
  stackPointerIdx: number;
  /** Indices of the module's own mutable globals (exported as EXPORT.global(idx)). */
  mutableGlobals: number[];
  /** F's results; each is exported as an i32/i64 bit pattern in EXPORT.result(i). */
  results: WasmValType[];
  /** Analyzer: whether traced copies exist (the marks strategy), else why not. */
  traced?: { available: true } | { available: false; reason: string };
  /**
   * Analyzer: whether the fast path exists: F's traced extent makes no import calls and F has at
   * most one result, so its invocations can be recorded by the in-Wasm recorder core.
   */
  fast?: boolean;
  /**
   * Disabled and control modules: whether F's body tries the replay core (src/runtime/replay-core.c)
   * first, through REPLAY_HOOKS.coreReplay and coreResult (hook-slots.ts): the module has a memory and F at most one
   * numeric result.
   */
  replayCore?: boolean;
}

export interface Rewritten {
  bytes: Uint8Array<ArrayBuffer>;
  layout: RewriteLayout;
}






/** The integer type that carries a result's bit pattern through a global. */
function carrierType(t: WasmValType): "i32" | "i64" {
  if (t === "i32" || t === "f32") return "i32";
  if (t === "i64" || t === "f64") return "i64";
  throw new AlpacaError(`functions returning ${t} are not supported`);
}

/** Finds the shadow-stack pointer: named __stack_pointer, else LLVM's first mutable i32 global. */
export function findStackPointer(m: WasmModule): number {
  for (const [idx, name] of m.globalNames) if (name === "__stack_pointer") return idx;
  const i = m.globals.findIndex((g) => g.mutable && g.type === "i32");
  return i < 0 ? -1 : m.importedGlobalCount + i;
}


/**
 * Makes a body lower the min-stack-pointer global whenever it moves the shadow stack: after every
 * `global.set $sp`, and after every frame computation `global.get $sp; i32.const N; i32.sub`
 * (LLVM's leaf functions use a frame below the stack pointer without writing the pointer back).
 * Adds one i32 local for the latter. Returns null when the body never touches the stack.
 */
function instrumentStackPointer(body: Uint8Array, numParams: number, spIdx: number, minSp: number): Uint8Array | null {
  const afterSet: number[] = [];
  const afterFrame: number[] = [];
  const { groups, groupsStart, count, exprStart } = readLocals(body);
  let prev1 = -1;
  let prev2 = -1;
  let prev2Start = 0;
  let prev1Start = 0;
  forEachInstruction(body, exprStart, (ins) => {
    if (ins.op === OP.globalSet && new ByteReader(body, ins.immStart).varU32() === spIdx) afterSet.push(ins.end);
    if (ins.op === OP.i32Sub && prev1 === OP.i32Const && prev2 === OP.globalGet && new ByteReader(body, prev2Start + 1).varU32() === spIdx) {
      afterFrame.push(ins.end);
    }
    prev2 = prev1;
    prev2Start = prev1Start;
    prev1 = ins.op;
    prev1Start = ins.start;
  });
  if (afterSet.length === 0 && afterFrame.length === 0) return null;
  // Re-encode the locals with one more i32 (the frame pointer's copy) at the end.
  const tmp = numParams + count;
  const w = new ByteWriter(body.length + 32 * (afterSet.length + afterFrame.length));
  w.varUint(groups + 1).bytes(body.subarray(groupsStart, exprStart)).varUint(1).u8(VALTYPE_CODE.i32);
  const lower = (value: (w: ByteWriter) => void) => {
    value(w);
    w.u8(OP.globalGet).varUint(minSp);
    value(w);
    w.u8(OP.globalGet).varUint(minSp).u8(OP.i32LtU).u8(OP.select).u8(OP.globalSet).varUint(minSp);
  };
  const cuts = [...afterSet.map((at) => ({ at, frame: false })), ...afterFrame.map((at) => ({ at, frame: true }))].sort((a, b) => a.at - b.at);
  let prev = exprStart;
  for (const c of cuts) {
    w.bytes(body.subarray(prev, c.at));
    if (c.frame) {
      w.u8(OP.localTee).varUint(tmp);
      lower((x) => x.u8(OP.localGet).varUint(tmp));
    } else {
      lower((x) => x.u8(OP.globalGet).varUint(spIdx));
    }
    prev = c.at;
  }
  w.bytes(body.subarray(prev));
  return w.toBytes();
}

function definedIndex(m: WasmModule, funcIdx: number): number {
  const i = funcIdx - m.importedFuncCount;
  if (i < 0 || i >= m.bodies.length) throw new AlpacaError(`function ${funcIdx} is imported, not defined in the module`);
  return i;
}

function commonLayout(m: WasmModule, add: Additions, results: WasmValType[]): RewriteLayout {
  const mutableGlobals: number[] = [];
  m.globals.forEach((g, i) => {
    if (!g.mutable || g.type === "v128" || g.type === "funcref" || g.type === "externref") return;
    const idx = m.importedGlobalCount + i;
    mutableGlobals.push(idx);
    add.export(EXPORT.global(idx), "global", idx);
  });
  return { stackPointerIdx: findStackPointer(m), mutableGlobals, results };
}

/** One exported global per result of F, carrying its bit pattern (EXPORT.result(i)). */
function addResultGlobals(add: Additions, results: WasmValType[]): number[] {
  return results.map((t, i) => add.addExportedGlobal(EXPORT.result(i), carrierType(t)));
}

/** Emits the block type of an `if` yielding `results` (`blockType`: an added type for several). */
function emitBlockType(w: ByteWriter, results: WasmValType[], blockType: number): void {
  if (results.length === 0) w.u8(BLOCK_VOID);
  else if (results.length === 1) w.u8(VALTYPE_CODE[results[0]!]);
  else w.varS32(blockType);
}

/** Emits `global.get R_i` for each result, converted back from its integer carrier. */
function pushResultsFromGlobals(w: ByteWriter, results: WasmValType[], resultGlobals: number[]): void {
  results.forEach((t, i) => {
    w.u8(OP.globalGet).varUint(resultGlobals[i]!);
    if (t === "f32") w.u8(OP.f32ReinterpretI32);
    if (t === "f64") w.u8(OP.f64ReinterpretI64);
  });
}

/**
 * The control body for an F with at most one 32-bit result: F runs, then (outermost calls only)
 * the replay core applies the invocation's record again, through `replay_packed_after`, which
 * takes F's result and cannot start before it exists; and F's result is returned combined with
 * the core's (masked to nothing by a global that is always 0), so F's caller cannot go on before
 * the replay is done. So the replay overlaps neither F nor what follows it, as in a disabled run,
 * where F's caller waits for the replay's result, and control − disabled is F's cost. Records
 * the core leaves to the host go to the JS hook.
 */
function controlBodyPacked(add: Additions, paramCount: number, result: WasmValType | undefined, original: number, table: number, voidType: number): Uint8Array {
  const depth = add.addGlobal("i32");
  const zero = add.addGlobal("i32");
  const afterType = add.addType({ params: ["i64"], results: ["i64"] });
  const packed = paramCount;
  const kept = paramCount + 1;
  const w = new ByteWriter(96);
  if (result) w.varUint(2).varUint(1).u8(VALTYPE_CODE.i64).varUint(1).u8(VALTYPE_CODE.i32);
  else w.varUint(1).varUint(1).u8(VALTYPE_CODE.i64);
  w.u8(OP.globalGet).varUint(depth).u8(OP.i32Const).varS32(1).u8(OP.i32Add).u8(OP.globalSet).varUint(depth);
  for (let i = 0; i < paramCount; i++) w.u8(OP.localGet).varUint(i);
  w.u8(OP.call).varUint(original);
  if (result === "f32") w.u8(OP.i32ReinterpretF32);
  if (result) w.u8(OP.localSet).varUint(kept);
  w.u8(OP.globalGet).varUint(depth).u8(OP.i32Const).varS32(1).u8(OP.i32Sub).u8(OP.globalSet).varUint(depth);
  w.u8(OP.globalGet).varUint(depth).u8(OP.i32Eqz).u8(OP.if).u8(BLOCK_VOID);
  if (result) w.u8(OP.localGet).varUint(kept).u8(OP.i64ExtendI32U);
  else w.u8(OP.i64Const).varS32(0);
  w.u8(OP.i32Const).varS32(REPLAY_HOOKS.coreReplayAfter.slot).u8(OP.callIndirect).varUint(afterType).varUint(table);
  w.u8(OP.localTee).varUint(packed).u8(OP.i64Const).varS32(32).u8(OP.i64ShrU).u8(OP.i32WrapI64);
  w.u8(OP.i32Eqz).u8(OP.if).u8(BLOCK_VOID);
  w.u8(OP.i32Const).varS32(REPLAY_HOOKS.replay.slot).u8(OP.callIndirect).varUint(voidType).varUint(table);
  w.u8(OP.end);
  if (result) {
    w.u8(OP.localGet).varUint(kept).u8(OP.localGet).varUint(packed).u8(OP.i32WrapI64);
    w.u8(OP.globalGet).varUint(zero).u8(OP.i32And).u8(OP.i32Xor).u8(OP.localSet).varUint(kept);
  }
  w.u8(OP.end);
  if (result) w.u8(OP.localGet).varUint(kept);
  if (result === "f32") w.u8(OP.f32ReinterpretI32);
  w.u8(OP.end);
  return w.toBytes();
}

/**
 * Whether F's body reaches the replay core with one call (`replay_packed`: applied flag and a
 * 32-bit result in one i64) rather than two (`replay_next`, then `result_bits`).
 */
export function isPackedReplay(results: readonly WasmValType[]): boolean {
  return results.every((t) => t === "i32" || t === "f32");
}

/**
 * What a replay module adds for the replay core: exported stores into memory 0 (unaligned, no
 * offset) and memory.size, which the core imports; and the code F's body uses to call the core
 * through the hook table: `emitTry` leaves 1 (applied) or 0, `emitResult` pushes F's result
 * from the core. With a packed replay F's body declares one i64 local (`locals`), the packed value.
 */
function addReplayCoreAccess(add: Additions, results: WasmValType[], firstLocal: number): { locals: (w: ByteWriter) => void; emitTry: (w: ByteWriter, table: number) => void; emitResult: (w: ByteWriter, table: number) => void } {
  const storeBody = (op: number): Uint8Array => new ByteWriter(16).varUint(0).u8(OP.localGet).varUint(0).u8(OP.localGet).varUint(1).u8(op).varUint(0).varUint(0).u8(OP.end).toBytes();
  const i32Pair = add.addType({ params: ["i32", "i32"], results: [] });
  add.export(EXPORT.store(8), "func", add.addFunction(i32Pair, storeBody(OP.i32Store8)));
  add.export(EXPORT.store(32), "func", add.addFunction(i32Pair, storeBody(OP.i32Store)));
  add.export(EXPORT.store(64), "func", add.addFunction(add.addType({ params: ["i32", "i64"], results: [] }), storeBody(OP.i64Store)));
  const toI32 = add.addType({ params: [], results: ["i32"] });
  add.export(EXPORT.pages, "func", add.addFunction(toI32, new ByteWriter(8).varUint(0).u8(OP.memorySize).u8(0).u8(OP.end).toBytes()));
  const toI64 = add.addType({ params: [], results: ["i64"] });
  if (isPackedReplay(results)) {
    return {
      locals: (w) => w.varUint(1).varUint(1).u8(VALTYPE_CODE.i64),
      emitTry: (w, table) => {
        w.u8(OP.i32Const).varS32(REPLAY_HOOKS.coreReplay.slot).u8(OP.callIndirect).varUint(toI64).varUint(table);
        w.u8(OP.localTee).varUint(firstLocal).u8(OP.i64Const).varS32(32).u8(OP.i64ShrU).u8(OP.i32WrapI64);
      },
      emitResult: (w) => {
        if (results.length === 0) return;
        w.u8(OP.localGet).varUint(firstLocal).u8(OP.i32WrapI64);
        if (results[0] === "f32") w.u8(OP.f32ReinterpretI32);
      },
    };
  }
  return {
    locals: (w) => w.varUint(0),
    emitTry: (w, table) => {
      w.u8(OP.i32Const).varS32(REPLAY_HOOKS.coreReplay.slot).u8(OP.callIndirect).varUint(toI32).varUint(table);
    },
    emitResult: (w, table) => {
      const t = results[0];
      if (t === undefined) return;
      w.u8(OP.i32Const).varS32(REPLAY_HOOKS.coreResult.slot).u8(OP.callIndirect).varUint(toI64).varUint(table);
      if (t === "i32" || t === "f32") w.u8(OP.i32WrapI64);
      if (t === "f32") w.u8(OP.f32ReinterpretI32);
      if (t === "f64") w.u8(OP.f64ReinterpretI64);
    },
  };
}

function hasMemory(m: WasmModule): boolean {
  return m.sections.some((s) => s.id === SECTION.memory) || m.imports.some((i) => i.kind === "memory");
}

/**
 * What the fast path adds: its switch, the entry state it keeps, and the exit hook's type. The
 * entry state is only what F's extent can change: it calls no import, so a global changes inside
 * F only by a `global.set` in the extent and memory only by its `memory.grow`; for a tiny F that
 * has neither, entry and exit skip both (about 6 % of its analyzed run, 2026-12-03).
 */
interface FastPath {
  flag: number;
  inside: number;
  /** The memory size at entry, when the extent can grow memory. */
  entryPages: number | undefined;
  /** Mutable globals the extent sets, with their types and the globals holding their entry values. */
  saved: Array<{ idx: number; type: NumType; entry: number }>;
  stackPointer: number;
  minSp: number;
  table: number;
  exitType: number;
  slot: MarkSlot;
}

/** The fast path's mark slot globals (added before F's extent is traced: traced stores use them). */
function addMarkSlot(add: Additions): MarkSlot {
  const types = { free: "i32", addr: "i32", size: "i32", old: "i64", new: "i64" } as const;
  const slot = {} as MarkSlot;
  for (const [part, type] of Object.entries(types) as Array<[keyof MarkSlot, NumType]>) slot[part] = add.addExportedGlobal(EXPORT.slot(part), type);
  return slot;
}

function addFastPath(m: WasmModule, add: Additions, layout: RewriteLayout, extent: ExtentPlan, table: number, minSp: number, slot: MarkSlot): FastPath {
  const saved = layout.mutableGlobals.filter((idx) => extent.globalsSet.includes(idx)).map((idx) => {
    const type = m.globals[idx - m.importedGlobalCount]!.type as NumType;
    return { idx, type, entry: add.addExportedGlobal(EXPORT.entryGlobal(idx), type) };
  });
  const pieces = layout.results.length * 2;
  // Readers of guest memory for the recorder core (src/runtime/recorder-core.c): load8_u, load, i64.load.
  const loads = [[8, "i32", 0x2d], [32, "i32", 0x28], [64, "i64", 0x29]] as const;
  for (const [bits, result, op] of loads) {
    const typeIdx = add.addType({ params: ["i32"], results: [result] });
    const body = new ByteWriter(16).varUint(0).u8(OP.localGet).varUint(0).u8(op).varUint(0).varUint(0).u8(OP.end).toBytes();
    add.export(EXPORT.load(bits), "func", add.addFunction(typeIdx, body));
  }
  return {
    flag: add.addExportedGlobal(EXPORT.fast, "i32"),
    inside: add.addExportedGlobal(EXPORT.inside, "i32"),
    entryPages: extent.grows ? add.addExportedGlobal(EXPORT.entryPages, "i32") : undefined,
    saved,
    stackPointer: layout.stackPointerIdx,
    minSp,
    table,
    // (sp at entry, lowest sp, flag, result halves..., slot used, slot addr, slot size, slot old, slot new)
    exitType: add.addType({ params: [...new Array<WasmValType>(3 + pieces + 3).fill("i32"), "i64", "i64"], results: [] }),
    slot,
  };
}

/** Pushes a value of `type` as an integer for comparing bit patterns (floats reinterpreted). */
function asBits(w: ByteWriter, type: NumType): "i32" | "i64" {
  if (type === "f32") w.u8(OP.i32ReinterpretF32);
  if (type === "f64") w.u8(OP.i64ReinterpretF64);
  return type === "i32" || type === "f32" ? "i32" : "i64";
}

/**
 * The fast path's code: keep the entry state in the added globals, run F's traced copy, then
 * call the exit-fast hook once with (stack pointer at entry, lowest stack pointer, flag, each
 * result as two i32 halves). The flag is 1 when a global changed or memory grew, so the host
 * reads those only then. `inside` tells the host a trap happened inside F.
 */
function emitFastPath(w: ByteWriter, p: FastPath, f: {
  params: number; results: WasmValType[]; flagLocal: number; tracedF: number;
  saveResults: () => void; pushResults: () => void;
}): void {
  for (const g of p.saved) w.u8(OP.globalGet).varUint(g.idx).u8(OP.globalSet).varUint(g.entry);
  if (p.entryPages !== undefined) w.u8(OP.memorySize).u8(0).u8(OP.globalSet).varUint(p.entryPages);
  if (p.stackPointer >= 0) w.u8(OP.globalGet).varUint(p.stackPointer).u8(OP.globalSet).varUint(p.minSp);
  w.i32Const(1).u8(OP.globalSet).varUint(p.inside);
  w.i32Const(1).u8(OP.globalSet).varUint(p.slot.free);
  for (let i = 0; i < f.params; i++) w.u8(OP.localGet).varUint(i);
  w.u8(OP.call).varUint(f.tracedF);
  f.saveResults();
  w.i32Const(0).u8(OP.globalSet).varUint(p.inside);
  w.i32Const(0);
  for (const g of p.saved) {
    w.u8(OP.globalGet).varUint(g.idx);
    asBits(w, g.type);
    w.u8(OP.globalGet).varUint(g.entry);
    const carrier = asBits(w, g.type);
    w.u8(carrier === "i32" ? OP.i32Ne : OP.i64Ne).u8(OP.i32Or);
  }
  if (p.entryPages !== undefined) w.u8(OP.memorySize).u8(0).u8(OP.globalGet).varUint(p.entryPages).u8(OP.i32Ne).u8(OP.i32Or);
  w.u8(OP.localSet).varUint(f.flagLocal);
  // The stack pointer at entry: saved, or (when the extent never sets it) the same now.
  const sp = p.saved.find((g) => g.idx === p.stackPointer);
  if (sp) w.u8(OP.globalGet).varUint(sp.entry).u8(OP.globalGet).varUint(p.minSp);
  else if (p.stackPointer >= 0) w.u8(OP.globalGet).varUint(p.stackPointer).u8(OP.globalGet).varUint(p.minSp);
  else w.i32Const(0).i32Const(0);
  w.u8(OP.localGet).varUint(f.flagLocal);
  f.results.forEach((t, i) => {
    const pushBits = () => asBits(w.u8(OP.localGet).varUint(f.params + i), t as NumType);
    if (pushBits() === "i32") {
      w.i32Const(0);
    } else {
      w.u8(OP.i32WrapI64);
      pushBits();
      w.u8(OP.i64Const).u8(32).u8(OP.i64ShrU).u8(OP.i32WrapI64);
    }
  });
  w.u8(OP.globalGet).varUint(p.slot.free).u8(OP.i32Eqz);
  for (const g of [p.slot.addr, p.slot.size, p.slot.old, p.slot.new]) w.u8(OP.globalGet).varUint(g);
  // The slot is closed until the next fast-path entry (host-hook invocations mark every store).
  w.i32Const(0).u8(OP.globalSet).varUint(p.slot.free);
  w.i32Const(ANALYZER_HOOKS.exitFast.slot).u8(OP.callIndirect).varUint(p.exitType).varUint(p.table);
  f.pushResults();
}

/**
 * The analyzer module: F's body becomes enter-hook → original F (moved to a new function) →
 * results saved to exported globals → exit-hook. Every `global.set` of the stack pointer also
 * lowers an added global holding the lowest stack pointer seen, so the host knows F's frames.
 */
export function buildAnalyzerModule(m: WasmModule, funcIdx: number, options: { traced?: boolean } = {}): Rewritten {
  const def = definedIndex(m, funcIdx);
  const type = funcType(m, funcIdx);
  const add = new Additions(m);
  const layout = commonLayout(m, add, type.results);
  const voidType = add.addType({ params: [], results: [] });
  const markType = add.addType(jsHookType(ANALYZER_HOOKS.mark));
  const table = add.addTable(hookTableSize(ANALYZER_HOOKS));
  add.export(EXPORT.hooks, "table", table);
  const minSp = add.addExportedGlobal(EXPORT.minStackPointer, "i32");
  const mode = add.addExportedGlobal(EXPORT.mode, "i32");
  const resultGlobals = addResultGlobals(add, type.results);
  if (layout.stackPointerIdx >= 0) lowerMinStackPointerEverywhere(m, add, layout.stackPointerIdx, minSp);
  const bodyOf = (f: number) => add.bodies.get(f - m.importedFuncCount) ?? m.bodies[f - m.importedFuncCount]!.bytes;
  const original = add.addRecursiveCopy(funcIdx, bodyOf(funcIdx));

  // Traced copies of F's extent (the marks strategy), when marks can follow all of it.
  const plan = options.traced === false ? { reason: "disabled" } : planExtent(m, funcIdx);
  const fastPossible = "funcs" in plan && !plan.callsImports && hasMemory(m) && type.results.length <= 1;
  const slot = fastPossible ? addMarkSlot(add) : undefined;
  let tracedF = original;
  if ("funcs" in plan) {
    tracedF = addTracedExtent(m, add, funcIdx, plan, bodyOf, { hookTable: table, markSlot: ANALYZER_HOOKS.mark.slot, markType, slot });
    layout.traced = { available: true };
  } else {
    layout.traced = { available: false, reason: plan.reason };
  }
  const blockType = type.results.length > 1 ? add.addType({ params: [], results: type.results }) : -1;
  const fast = slot && "funcs" in plan ? addFastPath(m, add, layout, plan, table, minSp, slot) : null;
  layout.fast = fast !== null;
  add.bodies.set(def, analyzerBody(type, { fast, blockType, voidType, table, mode, tracedF, original, resultGlobals }));
  return { bytes: encodeSections(m, add), layout };
}

/** Makes every defined function lower the min-stack-pointer global wherever it moves the shadow stack. */
function lowerMinStackPointerEverywhere(m: WasmModule, add: Additions, sp: number, minSp: number): void {
  m.bodies.forEach((b, i) => {
    const params = m.types[m.funcTypeIdx[i]!]!.params.length;
    const instrumented = instrumentStackPointer(b.bytes, params, sp, minSp);
    if (instrumented) add.bodies.set(i, instrumented);
  });
}

/**
 * Adds a traced copy of every function of F's extent (and, when the extent calls indirectly, a
 * table of traced copies mirroring table 0); returns the index of F's traced copy. `trace`
 * gives traceBody's hook table, mark slot and type; the mapping to traced copies is made here.
 */
function addTracedExtent(m: WasmModule, add: Additions, funcIdx: number, plan: ExtentPlan, bodyOf: (f: number) => Uint8Array, trace: Omit<TraceTargets, "tracedOf" | "tracedTable">): number {
  const firstTraced = m.importedFuncCount + m.bodies.length + add.functions.length;
  const position = new Map(plan.funcs.map((f, i) => [f, i]));
  const tracedOf = (f: number) => (f < m.importedFuncCount ? f : firstTraced + position.get(f)!);
  let tracedTable = -1;
  if (plan.indirect) {
    tracedTable = add.addTable(m.tableMins[0]!);
    for (const seg of m.elements ?? []) {
      if (seg.tableIdx === 0) add.elements.push({ tableIdx: tracedTable, offset: seg.offset, funcs: seg.funcs.map(tracedOf) });
    }
  }
  for (const f of plan.funcs) {
    const typeIdx = m.funcTypeIdx[f - m.importedFuncCount]!;
    add.addFunction(typeIdx, traceBody(bodyOf(f), m.types[typeIdx]!.params.length, { ...trace, tracedOf, tracedTable }));
  }
  return tracedOf(funcIdx);
}

/**
 * F's new body in the analyzer: the fast path when there is one; else the enter hook, F's
 * traced or plain copy (the mode global chooses), its results saved to their exported carrier
 * globals, the exit hook, and the results returned.
 */
function analyzerBody(type: FuncType, p: { fast: FastPath | null; blockType: number; voidType: number; table: number; mode: number; tracedF: number; original: number; resultGlobals: number[] }): Uint8Array {
  const n = type.params.length;
  const w = new ByteWriter(64);
  // Locals: one per result, then the fast path's "something unusual happened" flag.
  w.varUint(type.results.length + 1);
  for (const t of type.results) w.varUint(1).u8(VALTYPE_CODE[t]);
  w.varUint(1).u8(VALTYPE_CODE.i32);
  const flagLocal = n + type.results.length;
  const saveResults = () => {
    for (let i = type.results.length - 1; i >= 0; i--) w.u8(OP.localSet).varUint(n + i);
  };
  const pushResults = () => type.results.forEach((_, i) => w.u8(OP.localGet).varUint(n + i));
  if (p.fast) {
    w.u8(OP.globalGet).varUint(p.fast.flag).u8(OP.if);
    emitBlockType(w, type.results, p.blockType);
    emitFastPath(w, p.fast, { params: n, results: type.results, flagLocal, tracedF: p.tracedF, saveResults, pushResults });
    w.u8(OP.else);
  }
  w.u8(OP.i32Const).varS32(ANALYZER_HOOKS.enter.slot).u8(OP.callIndirect).varUint(p.voidType).varUint(p.table);
  w.u8(OP.globalGet).varUint(p.mode).u8(OP.if);
  emitBlockType(w, type.results, p.blockType);
  for (let i = 0; i < n; i++) w.u8(OP.localGet).varUint(i);
  w.u8(OP.call).varUint(p.tracedF);
  w.u8(OP.else);
  for (let i = 0; i < n; i++) w.u8(OP.localGet).varUint(i);
  w.u8(OP.call).varUint(p.original);
  w.u8(OP.end);
  saveResults();
  type.results.forEach((t, i) => {
    w.u8(OP.localGet).varUint(n + i);
    if (t === "f32") w.u8(OP.i32ReinterpretF32);
    if (t === "f64") w.u8(OP.i64ReinterpretF64);
    w.u8(OP.globalSet).varUint(p.resultGlobals[i]!);
  });
  w.u8(OP.i32Const).varS32(ANALYZER_HOOKS.exit.slot).u8(OP.callIndirect).varUint(p.voidType).varUint(p.table);
  pushResults();
  if (p.fast) w.u8(OP.end);
  w.u8(OP.end);
  return w.toBytes();
}

/** The modules built from one log for an energy comparison (see buildReplayModule). */
export type ReplayVariant = "disable" | "control" | "baseline";

/**
 * The disabled module (variant "disable") and its energy twins (variants "control" and
 * "baseline"). All get the same additions: a hook table, result globals, a run-original flag,
 * and a copy of F at the end of the function space. In "disable" F's body calls the replay hook,
 * then returns the results the host put in the globals, or runs the copy of F when the host sets
 * the flag (extra calls with --on-extra-calls=run). In "control" F's body runs the copy of F and
 * then calls the replay hook, which applies the invocation's logged memory effects again (they
 * change nothing: F has just written the same values), so a control run pays the replay's cost
 * and F's. In "baseline" F's body is left as it is. Disable and control also get the write
 * applier, and (unless `replayCore` is false) F's body first tries the replay core, which
 * applies simple records without entering JS (RewriteLayout.replayCore).
 */
export function buildReplayModule(m: WasmModule, funcIdx: number, variant: ReplayVariant, options: { replayCore?: boolean } = {}): Rewritten {
  const def = definedIndex(m, funcIdx);
  const type = funcType(m, funcIdx);
  const add = new Additions(m);
  const layout = commonLayout(m, add, type.results);
  const voidType = add.addType({ params: [], results: [] });
  const blockType = type.results.length > 1 ? add.addType({ params: [], results: type.results }) : -1;
  const core = (options.replayCore ?? true) && variant !== "baseline" && hasMemory(m) && type.results.length <= 1 && type.results.every((t) => t !== "v128" && t !== "funcref" && t !== "externref");
  const table = add.addTable(hookTableSize(variant === "baseline" ? BASELINE_HOOKS : REPLAY_HOOKS));
  add.export(EXPORT.hooks, "table", table);
  const runOriginal = add.addExportedGlobal(EXPORT.runOriginal, "i32");
  const resultGlobals = addResultGlobals(add, type.results);
  const original = add.addRecursiveCopy(funcIdx, m.bodies[def]!.bytes);
  // Added before anything variant-specific, so disabled and control modules add identical functions.
  if (variant !== "baseline" && hasMemory(m)) {
    const body = applyWritesBody(add.addExportedGlobal(EXPORT.applied, "i32"), add.addExportedGlobal(EXPORT.appliedBytes, "i32"));
    add.export(EXPORT.applyWrites, "func", add.addFunction(add.addType({ params: [...APPLY_WRITES_TYPE.params], results: [...APPLY_WRITES_TYPE.results] }), body));
  }
  const coreCall = core ? addReplayCoreAccess(add, type.results, type.params.length) : undefined;
  layout.replayCore = core;
  if (variant === "disable") {
    const w = new ByteWriter(64);
    if (coreCall) coreCall.locals(w);
    else w.varUint(0);
    if (coreCall) {
      // The replay core applies the record and keeps F's result: return it; else the JS hook.
      w.u8(OP.block).u8(BLOCK_VOID);
      coreCall.emitTry(w, table);
      w.u8(OP.i32Eqz).u8(OP.brIf).varUint(0);
      coreCall.emitResult(w, table);
      w.u8(OP.return).u8(OP.end);
    }
    w.u8(OP.i32Const).varS32(REPLAY_HOOKS.replay.slot).u8(OP.callIndirect).varUint(voidType).varUint(table);
    w.u8(OP.globalGet).varUint(runOriginal).u8(OP.if);
    emitBlockType(w, type.results, blockType);
    for (let i = 0; i < type.params.length; i++) w.u8(OP.localGet).varUint(i);
    w.u8(OP.call).varUint(original);
    w.u8(OP.else);
    pushResultsFromGlobals(w, type.results, resultGlobals);
    w.u8(OP.end).u8(OP.end);
    add.bodies.set(def, w.toBytes());
  } else if (variant === "control" && coreCall && isPackedReplay(type.results)) {
    add.bodies.set(def, controlBodyPacked(add, type.params.length, type.results[0], original, table, voidType));
  } else if (variant === "control") {
    // Only the outermost call applies effects (recursive calls reach F's body too): a depth
    // counter. F's results stay on the operand stack across the hook's call ([] -> []).
    const depth = add.addGlobal("i32");
    const w = new ByteWriter(48);
    if (coreCall) coreCall.locals(w);
    else w.varUint(0);
    w.u8(OP.globalGet).varUint(depth).u8(OP.i32Const).varS32(1).u8(OP.i32Add).u8(OP.globalSet).varUint(depth);
    for (let i = 0; i < type.params.length; i++) w.u8(OP.localGet).varUint(i);
    w.u8(OP.call).varUint(original);
    w.u8(OP.globalGet).varUint(depth).u8(OP.i32Const).varS32(1).u8(OP.i32Sub).u8(OP.globalSet).varUint(depth);
    w.u8(OP.globalGet).varUint(depth).u8(OP.i32Eqz).u8(OP.if).u8(BLOCK_VOID);
    if (coreCall) {
      // The same replay work as the disabled body, result fetch included, so control − disabled
      // cancels it exactly; the fetched result is dropped: F's own stands.
      coreCall.emitTry(w, table);
      w.u8(OP.if).u8(BLOCK_VOID);
      coreCall.emitResult(w, table);
      if (type.results.length) w.u8(OP.drop);
      w.u8(OP.else);
    }
    w.u8(OP.i32Const).varS32(REPLAY_HOOKS.replay.slot).u8(OP.callIndirect).varUint(voidType).varUint(table);
    if (coreCall) w.u8(OP.end);
    w.u8(OP.end).u8(OP.end);
    add.bodies.set(def, w.toBytes());
  }
  return { bytes: encodeSections(m, add), layout };
}
