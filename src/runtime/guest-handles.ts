/**
 * The host's handles on a rewritten instance (memory, exported globals, result carriers, hook
 * table), found by the export names src/wasm/rewrite.ts gives them, plus conversions between
 * engine values and the log's bit patterns.
 */
import { EXPORT, type RewriteLayout } from "../wasm/index.js";
import type { Value } from "../log/index.js";
import type { WasmValType } from "../wasm/index.js";
import type { WriteApplier } from "./bulk-writes.js";

export interface GuestHandles {
  memory: WebAssembly.Memory;
  /** The module's own mutable globals by index. */
  globals: Map<number, WebAssembly.Global>;
  stackPointer: WebAssembly.Global | undefined;
  results: WebAssembly.Global[];
  hooks: WebAssembly.Table;
  /** Analyzer modules: the lowest stack pointer seen. */
  minStackPointer: WebAssembly.Global | undefined;
  /** Replay modules: set to 1 to run F's original body for this call. */
  runOriginal: WebAssembly.Global | undefined;
  /** Analyzer modules: 1 runs F's traced copy (marks), 0 its plain copy (diffing). */
  mode: WebAssembly.Global | undefined;
  /** Analyzer modules with a fast path (RewriteLayout.fast): its switch and entry state. */
  fast: FastPathHandles | undefined;
  /** Disabled modules with a memory: the write applier (src/wasm/apply-writes.ts). */
  applier: WriteApplier | undefined;
}

export interface FastPathHandles {
  /** 1 selects the fast path. */
  enabled: WebAssembly.Global;
  /** 1 while a fast-path invocation runs. */
  inside: WebAssembly.Global;
  /** Memory pages when that invocation entered; absent when F's extent cannot grow memory (the pages now, then). */
  entryPages: WebAssembly.Global | undefined;
  /** The value when that invocation entered of each mutable global F's extent sets, by global index (the others cannot change inside F). */
  entryGlobals: Map<number, WebAssembly.Global>;
  /** The mark slot (src/wasm/trace.ts MarkSlot): free, addr, size, old, new. */
  slot: Record<"free" | "addr" | "size" | "old" | "new", WebAssembly.Global>;
  /** Guest-memory readers for the recorder core: load8, load32, load64. */
  loads: Record<"load8" | "load32" | "load64", WebAssembly.ExportValue>;
}

export function resolveHandles(instance: WebAssembly.Instance, layout: RewriteLayout): GuestHandles {
  const ex = instance.exports as Record<string, unknown>;
  const globals = new Map<number, WebAssembly.Global>();
  for (const idx of layout.mutableGlobals) globals.set(idx, ex[EXPORT.global(idx)] as WebAssembly.Global);
  return {
    memory: ex.memory as WebAssembly.Memory,
    globals,
    stackPointer: layout.stackPointerIdx >= 0 ? globals.get(layout.stackPointerIdx) : undefined,
    results: layout.results.map((_, i) => ex[EXPORT.result(i)] as WebAssembly.Global),
    hooks: ex[EXPORT.hooks] as WebAssembly.Table,
    minStackPointer: ex[EXPORT.minStackPointer] as WebAssembly.Global | undefined,
    runOriginal: ex[EXPORT.runOriginal] as WebAssembly.Global | undefined,
    mode: ex[EXPORT.mode] as WebAssembly.Global | undefined,
    fast: layout.fast
      ? {
        enabled: ex[EXPORT.fast] as WebAssembly.Global,
        inside: ex[EXPORT.inside] as WebAssembly.Global,
        entryPages: ex[EXPORT.entryPages] as WebAssembly.Global | undefined,
        entryGlobals: new Map(layout.mutableGlobals.filter((idx) => EXPORT.entryGlobal(idx) in ex).map((idx) => [idx, ex[EXPORT.entryGlobal(idx)] as WebAssembly.Global])),
        slot: {
          free: ex[EXPORT.slot("free")] as WebAssembly.Global,
          addr: ex[EXPORT.slot("addr")] as WebAssembly.Global,
          size: ex[EXPORT.slot("size")] as WebAssembly.Global,
          old: ex[EXPORT.slot("old")] as WebAssembly.Global,
          new: ex[EXPORT.slot("new")] as WebAssembly.Global,
        },
        loads: { load8: ex[EXPORT.load(8)] as WebAssembly.ExportValue, load32: ex[EXPORT.load(32)] as WebAssembly.ExportValue, load64: ex[EXPORT.load(64)] as WebAssembly.ExportValue },
      }
      : undefined,
    applier: EXPORT.applyWrites in ex
      ? {
        apply: ex[EXPORT.applyWrites] as WriteApplier["apply"],
        applied: ex[EXPORT.applied] as WebAssembly.Global,
        appliedBytes: ex[EXPORT.appliedBytes] as WebAssembly.Global,
      }
      : undefined,
  };
}

const scratch = new DataView(new ArrayBuffer(8));

/** A global's current value as a log Value (floats by bit pattern). */
export function globalToValue(type: WasmValType, raw: unknown): Value {
  switch (type) {
    case "i32":
      return { type, bits: BigInt((raw as number) >>> 0) };
    case "i64":
      return { type, bits: BigInt.asUintN(64, raw as bigint) };
    case "f32":
      scratch.setFloat32(0, raw as number, true);
      return { type, bits: BigInt(scratch.getUint32(0, true)) };
    case "f64":
      scratch.setFloat64(0, raw as number, true);
      return { type, bits: scratch.getBigUint64(0, true) };
    case "v128":
    case "funcref":
    case "externref":
      throw new RangeError(`globals of type ${type} are not supported`);
  }
}

/** The engine value to store in a global of `type` for a log Value. */
export function valueToGlobal(type: WasmValType, v: Value): number | bigint {
  if (v.type === "v128") throw new RangeError("v128 values are not supported");
  switch (type) {
    case "i32":
      return Number(BigInt.asIntN(32, v.bits));
    case "i64":
      return BigInt.asIntN(64, v.bits);
    case "f32":
      scratch.setUint32(0, Number(v.bits), true);
      return scratch.getFloat32(0, true);
    case "f64":
      scratch.setBigUint64(0, v.bits, true);
      return scratch.getFloat64(0, true);
    case "v128":
    case "funcref":
    case "externref":
      throw new RangeError(`globals of type ${type} are not supported`);
  }
}

/** F's result i as a log Value, from its integer carrier global. */
export function resultToValue(type: WasmValType, carrier: WebAssembly.Global): Value {
  const raw = carrier.value as number | bigint;
  const bits = typeof raw === "bigint" ? BigInt.asUintN(64, raw) : BigInt(raw >>> 0);
  if (type === "i32" || type === "i64" || type === "f32" || type === "f64") return { type, bits };
  throw new RangeError(`results of type ${type} are not supported`);
}

/** Stores a logged result into its integer carrier global. */
export function setResult(carrier: WebAssembly.Global, v: Value): void {
  if (v.type === "v128") throw new RangeError("v128 results are not supported");
  carrier.value = v.type === "i32" || v.type === "f32" ? Number(BigInt.asIntN(32, v.bits)) : BigInt.asIntN(64, v.bits);
}
