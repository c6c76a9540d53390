/**
 * What a rewriter adds to a module, and the encoder that writes the module back: every addition
 * goes at the end of its index space (types, tables, globals, functions, element segments,
 * exports), and replaced bodies keep their positions, so no index of the original moves.
 * Shared by the analyzer and replay modules (rewrite.ts) and the call-counting module
 * (count-calls.ts).
 */
import { ByteReader, ByteWriter } from "../binary/index.js";
import { retargetCalls } from "./instructions.js";
import { SECTION, VALTYPE_CODE, type FuncType, type WasmModule } from "./module.js";

/** The numeric types an added global can have. */
export type NumType = "i32" | "i64" | "f32" | "f64";

/** The `end` opcode closing a constant expression. */
const END = 0x0b;

const SECTION_ORDER = [SECTION.type, SECTION.import, SECTION.function, SECTION.table, SECTION.memory, SECTION.tag,
  SECTION.global, SECTION.export, SECTION.start, SECTION.element, SECTION.dataCount, SECTION.code, SECTION.data];

/** A constant expression's zero of each numeric type (without its `end`). */
const ZERO_CONST: Record<NumType, Uint8Array> = {
  i32: new Uint8Array([0x41, 0]),
  i64: new Uint8Array([0x42, 0]),
  f32: new Uint8Array([0x43, 0, 0, 0, 0]),
  f64: new Uint8Array([0x44, 0, 0, 0, 0, 0, 0, 0, 0]),
};

/** Items appended to the module; each section is re-encoded as old items + new items. */
export class Additions {
  types: FuncType[] = [];
  tables: { min: number }[] = [];
  globals: { type: NumType }[] = [];
  functions: { typeIdx: number; body: Uint8Array }[] = [];
  elements: { tableIdx: number; offset: Uint8Array; funcs: number[] }[] = [];
  exports: { name: string; kind: number; index: number }[] = [];
  /** Replacement bodies by defined-function position. */
  bodies = new Map<number, Uint8Array>();

  constructor(readonly m: WasmModule) {}

  addType(t: FuncType): number {
    this.types.push(t);
    return this.m.types.length + this.types.length - 1;
  }
  addTable(min: number): number {
    this.tables.push({ min });
    return this.m.importedTableCount + this.m.tableCount + this.tables.length - 1;
  }
  addGlobal(type: NumType): number {
    this.globals.push({ type });
    return this.m.importedGlobalCount + this.m.globals.length + this.globals.length - 1;
  }
  addFunction(typeIdx: number, body: Uint8Array): number {
    this.functions.push({ typeIdx, body });
    return this.m.importedFuncCount + this.m.funcTypeIdx.length + this.functions.length - 1;
  }
  /**
   * A copy of function `of` (its type, `body`) whose recursive calls call the copy itself: a
   * recursion inside F's extent then costs what it costs in the plain program, not a pass
   * through F's rewritten body and its hooks at every level (issue 17).
   */
  addRecursiveCopy(of: number, body: Uint8Array): number {
    const index = this.m.importedFuncCount + this.m.funcTypeIdx.length + this.functions.length;
    return this.addFunction(this.m.funcTypeIdx[of - this.m.importedFuncCount]!, retargetCalls(body, of, index));
  }
  /** A new mutable global, exported under `name` for the host. */
  addExportedGlobal(name: string, type: NumType): number {
    const g = this.addGlobal(type);
    this.export(name, "global", g);
    return g;
  }
  export(name: string, kind: "func" | "table" | "global", index: number): void {
    this.exports.push({ name, kind: { func: 0, table: 1, global: 3 }[kind], index });
  }
}

function encodeFuncType(w: ByteWriter, t: FuncType): void {
  w.u8(0x60).varUint(t.params.length);
  for (const p of t.params) w.u8(VALTYPE_CODE[p]);
  w.varUint(t.results.length);
  for (const r of t.results) w.u8(VALTYPE_CODE[r]);
}

/** Re-encodes a vector section as its original items followed by `extra` items. */
function appendToVector(original: Uint8Array | undefined, extraCount: number, writeExtra: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter((original?.length ?? 0) + 64);
  let count = 0;
  let rest: Uint8Array = new Uint8Array(0);
  if (original) {
    const r = new ByteReader(original);
    count = r.varU32("vector count");
    rest = original.subarray(r.pos);
  }
  w.varUint(count + extraCount).bytes(rest);
  writeExtra(w);
  return w.toBytes();
}

export function encodeSections(m: WasmModule, add: Additions): Uint8Array<ArrayBuffer> {
  const payloads = new Map<number, Uint8Array>();
  const byId = (id: number) => m.sections.find((s) => s.id === id)?.payload;
  if (add.types.length) {
    payloads.set(SECTION.type, appendToVector(byId(SECTION.type), add.types.length, (w) => add.types.forEach((t) => encodeFuncType(w, t))));
  }
  if (add.tables.length) {
    payloads.set(SECTION.table, appendToVector(byId(SECTION.table), add.tables.length, (w) => {
      for (const t of add.tables) w.u8(0x70).u8(0x01).varUint(t.min).varUint(t.min);
    }));
  }
  if (add.globals.length) {
    payloads.set(SECTION.global, appendToVector(byId(SECTION.global), add.globals.length, (w) => {
      for (const g of add.globals) {
        w.u8(VALTYPE_CODE[g.type]).u8(1).bytes(ZERO_CONST[g.type]).u8(END);
      }
    }));
  }
  if (add.elements.length) {
    payloads.set(SECTION.element, appendToVector(byId(SECTION.element), add.elements.length, (w) => {
      for (const e of add.elements) {
        w.varUint(2).varUint(e.tableIdx).bytes(e.offset).u8(0).varUint(e.funcs.length);
        for (const f of e.funcs) w.varUint(f);
      }
    }));
  }
  if (add.exports.length) {
    payloads.set(SECTION.export, appendToVector(byId(SECTION.export), add.exports.length, (w) => {
      for (const e of add.exports) w.string(e.name).u8(e.kind).varUint(e.index);
    }));
  }
  if (add.functions.length) {
    payloads.set(SECTION.function, appendToVector(byId(SECTION.function), add.functions.length, (w) => {
      for (const f of add.functions) w.varUint(f.typeIdx);
    }));
  }
  if (add.functions.length || add.bodies.size) {
    const w = new ByteWriter(m.bytes.length + 1024);
    w.varUint(m.bodies.length + add.functions.length);
    m.bodies.forEach((b, i) => {
      const bytes = add.bodies.get(i) ?? b.bytes;
      w.varUint(bytes.length).bytes(bytes);
    });
    for (const f of add.functions) w.varUint(f.body.length).bytes(f.body);
    payloads.set(SECTION.code, w.toBytes());
  }
  // Emit: original sections in order, replaced payloads where changed, new sections where missing.
  const out = new ByteWriter(m.bytes.length + 4096);
  out.bytes(m.bytes.subarray(0, 8));
  const present = new Set(m.sections.map((s) => s.id));
  const emit = (id: number, payload: Uint8Array) => out.u8(id).varUint(payload.length).bytes(payload);
  const emitMissingBefore = (id: number) => {
    for (const other of SECTION_ORDER) {
      if (other === id) break;
      const p = payloads.get(other);
      if (p && !present.has(other)) {
        emit(other, p);
        present.add(other);
      }
    }
  };
  for (const s of m.sections) {
    if (s.id !== SECTION.custom) emitMissingBefore(s.id);
    emit(s.id, payloads.get(s.id) ?? s.payload);
  }
  emitMissingBefore(-1);
  return out.toBytes();
}
