/**
 * Section-level model of a Wasm module: every section kept as its original bytes, with the parts
 * the rewriter needs decoded (types, imports, function types, tables, globals, exports, code body
 * ranges, names). Rewriting appends to index spaces and replaces single function bodies, so
 * every untouched byte of the module stays byte-identical.
 * Spec: https://webassembly.github.io/spec/core/binary/modules.html
 */

export const SECTION = {
  custom: 0, type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6, export: 7,
  start: 8, element: 9, code: 10, data: 11, dataCount: 12, tag: 13,
} as const;

/** Number value types by their binary codes. */
export const VALTYPE_CODE = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b, funcref: 0x70, externref: 0x6f } as const;
export type WasmValType = keyof typeof VALTYPE_CODE;

export interface FuncType {
  params: WasmValType[];
  results: WasmValType[];
}

export interface Import {
  module: string;
  name: string;
  kind: "func" | "table" | "memory" | "global" | "tag";
  /** For functions: the type index. */
  typeIdx?: number;
  /** For globals: the value type and mutability. */
  global?: { type: WasmValType; mutable: boolean };
}

export interface Global {
  type: WasmValType;
  mutable: boolean;
  /** The init expression's bytes, `end` included. */
  init: Uint8Array;
}

export interface Export {
  name: string;
  kind: "func" | "table" | "memory" | "global" | "tag";
  index: number;
}

export interface ElementSegment {
  tableIdx: number;
  /** The offset expression's bytes, `end` included. */
  offset: Uint8Array;
  funcs: number[];
}

export interface Section {
  id: number;
  /** Payload bytes (without id and size). */
  payload: Uint8Array;
  /** Offset of the payload in the original module. */
  offset: number;
  /** Custom sections: their name. */
  name?: string;
}

/** A function body's location in the module; `bytes` covers locals and expression (no size). */
export interface Body {
  bytes: Uint8Array;
  offset: number;
}

export interface WasmModule {
  bytes: Uint8Array;
  sections: Section[];
  types: FuncType[];
  imports: Import[];
  importedFuncCount: number;
  importedTableCount: number;
  importedGlobalCount: number;
  /** Type index of each defined function (index i ↔ function importedFuncCount + i). */
  funcTypeIdx: number[];
  tableCount: number;
  /** Minimum size of each table (imported first, then defined). */
  tableMins: number[];
  /**
   * Active element segments of the form LLVM emits (table index, constant offset, function
   * indices), or null when the module has a segment of another form.
   */
  elements: ElementSegment[] | null;
  globals: Global[];
  exports: Export[];
  bodies: Body[];
  /** Function names from the name section, by function index. */
  funcNames: Map<number, string>;
  /** Global names from the name section (subsection 7), by global index. */
  globalNames: Map<number, string>;
  /** Initial memory size in pages of memory 0 (defined or imported). */
  memoryMinPages: number;
}
