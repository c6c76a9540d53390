/**
 * The host's handles on a rewritten instance (memory, exported globals, result carriers, hook
 * table), found by the export names src/wasm/rewrite.ts gives them, plus conversions between
 * engine values and the log's bit patterns.
 */
import { AlpacaError } from "../errors/index.js";
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

/**
 * The exports of an instance the rewriter added, each checked for its kind where it is found:
 * a rewriter and host that disagree on an export's name or kind fail here, naming it, not later
 * as an undefined value.
 */
class AddedExports {
  constructor(private readonly ex: WebAssembly.Exports) {}

  has(name: string): boolean {
    return name in this.ex;
  }

  private get<T>(name: string, kind: abstract new (...a: never[]) => T, what: string): T {
    const v = this.ex[name];
    if (!(v instanceof kind)) throw new AlpacaError(`internal: the rewritten module has no ${what} export ${name}`);
    return v;
  }

  global(name: string): WebAssembly.Global {
    return this.get(name, WebAssembly.Global, "global");
  }

  optionalGlobal(name: string): WebAssembly.Global | undefined {
    return this.has(name) ? this.global(name) : undefined;
  }

  table(name: string): WebAssembly.Table {
    return this.get(name, WebAssembly.Table, "table");
  }

  memory(name: string): WebAssembly.Memory {
    return this.get(name, WebAssembly.Memory, "memory");
  }

  func(name: string): WebAssembly.ExportValue & CallableFunction {
    const v = this.ex[name];
    if (typeof v !== "function") throw new AlpacaError(`internal: the rewritten module has no function export ${name}`);
    return v;
  }
}

/** The host's handles on an instance of a module rewritten with `layout` (what the layout says it added). */
export function resolveHandles(instance: WebAssembly.Instance, layout: RewriteLayout): GuestHandles {
  const ex = new AddedExports(instance.exports);
  const globals = new Map<number, WebAssembly.Global>();
  for (const idx of layout.mutableGlobals) globals.set(idx, ex.global(EXPORT.global(idx)));
  return {
    memory: ex.memory("memory"),
    globals,
    stackPointer: layout.stackPointerIdx >= 0 ? globals.get(layout.stackPointerIdx) : undefined,
    results: layout.results.map((_, i) => ex.global(EXPORT.result(i))),
    hooks: ex.table(EXPORT.hooks),
    minStackPointer: ex.optionalGlobal(EXPORT.minStackPointer),
    runOriginal: ex.optionalGlobal(EXPORT.runOriginal),
    mode: ex.optionalGlobal(EXPORT.mode),
    fast: layout.fast
      ? {
        enabled: ex.global(EXPORT.fast),
        inside: ex.global(EXPORT.inside),
        entryPages: ex.optionalGlobal(EXPORT.entryPages),
        entryGlobals: new Map(layout.mutableGlobals.filter((idx) => ex.has(EXPORT.entryGlobal(idx))).map((idx) => [idx, ex.global(EXPORT.entryGlobal(idx))])),
        slot: {
          free: ex.global(EXPORT.slot("free")),
          addr: ex.global(EXPORT.slot("addr")),
          size: ex.global(EXPORT.slot("size")),
          old: ex.global(EXPORT.slot("old")),
          new: ex.global(EXPORT.slot("new")),
        },
        loads: { load8: ex.func(EXPORT.load(8)), load32: ex.func(EXPORT.load(32)), load64: ex.func(EXPORT.load(64)) },
      }
      : undefined,
    applier: ex.has(EXPORT.applyWrites)
      ? {
        apply: ex.func(EXPORT.applyWrites) as WriteApplier["apply"],
        applied: ex.global(EXPORT.applied),
        appliedBytes: ex.global(EXPORT.appliedBytes),
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
      throw new AlpacaError(`globals of type ${type} are not supported`);
  }
}

/** The engine value to store in a global of `type` for a log Value. */
export function valueToGlobal(type: WasmValType, v: Value): number | bigint {
  if (v.type === "v128") throw new AlpacaError("v128 values are not supported");
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
      throw new AlpacaError(`globals of type ${type} are not supported`);
  }
}

/** F's result i as a log Value, from its integer carrier global. */
export function resultToValue(type: WasmValType, carrier: WebAssembly.Global): Value {
  const raw = carrier.value as number | bigint;
  const bits = typeof raw === "bigint" ? BigInt.asUintN(64, raw) : BigInt(raw >>> 0);
  if (type === "i32" || type === "i64" || type === "f32" || type === "f64") return { type, bits };
  throw new AlpacaError(`results of type ${type} are not supported`);
}

/** Stores a logged result into its integer carrier global. */
export function setResult(carrier: WebAssembly.Global, v: Value): void {
  if (v.type === "v128") throw new AlpacaError("v128 results are not supported");
  carrier.value = v.type === "i32" || v.type === "f32" ? Number(BigInt.asIntN(32, v.bits)) : BigInt.asIntN(64, v.bits);
}
