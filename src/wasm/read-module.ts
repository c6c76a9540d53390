/**
 * Decodes a Wasm binary into the section-level model of module.ts. Bodies are located, not
 * decoded; malformed input throws DecodeError with the byte offset. Pure.
 */
import { ByteReader } from "../binary/index.js";
import { DecodeError, InternalError } from "../errors/index.js";
import {
  SECTION, VALTYPE_CODE,
  type Body, type Export, type FuncType, type Global, type Import, type Section, type WasmModule, type WasmValType,
} from "./module.js";

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
const KINDS = ["func", "table", "memory", "global", "tag"] as const;
/** Sections decoded to their last byte, whose size is therefore checked. */
const FULLY_PARSED = new Set<number>([SECTION.type, SECTION.import, SECTION.function, SECTION.table, SECTION.global, SECTION.export, SECTION.code]);

export function isWasm(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && WASM_MAGIC.every((b, i) => bytes[i] === b);
}

function readValType(r: ByteReader): WasmValType {
  const at = r.pos;
  const code = r.u8("value type");
  for (const [name, c] of Object.entries(VALTYPE_CODE)) if (c === code) return name as WasmValType;
  return r.fail(`wasm: unsupported value type 0x${code.toString(16)}`, at);
}

function readLimits(r: ByteReader): { min: number; max?: number } {
  const flags = r.u8("limits flags");
  const is64 = (flags & 0x04) !== 0;
  const min = is64 ? Number(r.varU64("limit")) : r.varU32("limit");
  if (flags & 0x01) {
    const max = is64 ? Number(r.varU64("limit")) : r.varU32("limit");
    return { min, max };
  }
  return { min };
}

/** Reads a constant expression up to and including its `end`, returning its bytes. */
function readConstExpr(r: ByteReader): { bytes: Uint8Array } {
  const start = r.pos;
  // Scan to the matching end (constant expressions have no nested blocks).
  while (r.u8("init expression") !== 0x0b) {
    const op2 = r.bytes[r.pos - 1]!;
    if (op2 === 0x41 || op2 === 0x23 || op2 === 0xd2) r.skipLeb(5);
    else if (op2 === 0x42) r.skipLeb(10);
    else if (op2 === 0x43) r.bytesView(4);
    else if (op2 === 0x44) r.bytesView(8);
    else if (op2 === 0xd0) r.u8();
    else if (op2 === 0xfd) { r.skipLeb(5); r.bytesView(16); }
    else if (op2 === 0x6a || op2 === 0x6b || op2 === 0x6c || op2 === 0x7c || op2 === 0x7d || op2 === 0x7e) continue;
    else r.fail(`wasm: unsupported opcode 0x${op2.toString(16)} in constant expression`, r.pos - 1);
  }
  return { bytes: r.bytes.subarray(start, r.pos) };
}

function readNameSection(payload: Uint8Array, offset: number, funcNames: Map<number, string>, globalNames: Map<number, string>): void {
  const r = new ByteReader(payload, 0, offset);
  r.string("name section name");
  while (!r.isAtEnd()) {
    const id = r.u8("name subsection id");
    const size = r.varU32("name subsection size");
    const sub = new ByteReader(r.bytesView(size, "name subsection"), 0, offset + r.pos - size);
    if (id !== 1 && id !== 7) continue;
    const target = id === 1 ? funcNames : globalNames;
    const n = sub.varU32("name count");
    for (let i = 0; i < n; i++) {
      const idx = sub.varU32("name index");
      target.set(idx, sub.string("name"));
    }
  }
}

/** Decodes `bytes` as a Wasm module. */
export function readModule(bytes: Uint8Array): WasmModule {
  if (!isWasm(bytes)) throw new DecodeError("not a WebAssembly module (bad magic)", 0);
  const r = new ByteReader(bytes, 4);
  const version = r.u32("version");
  if (version !== 1) throw new DecodeError(`wasm: unsupported binary version ${version}`, 4);
  const m: WasmModule = {
    bytes, sections: [], types: [], imports: [], importedFuncCount: 0, importedTableCount: 0,
    importedGlobalCount: 0, funcTypeIdx: [], tableCount: 0, tableMins: [], elements: [], globals: [], exports: [], bodies: [],
    funcNames: new Map(), globalNames: new Map(), memoryMinPages: 0,
  };
  while (!r.isAtEnd()) {
    const id = r.u8("section id");
    const size = r.varU32("section size");
    const offset = r.pos;
    const payload = r.bytesView(size, "section payload");
    const section: Section = { id, payload, offset };
    const s = new ByteReader(bytes, offset);
    const end = offset + size;
    switch (id) {
      case SECTION.custom:
        section.name = new ByteReader(payload, 0, offset).string("custom section name");
        if (section.name === "name") {
          try {
            readNameSection(payload, offset, m.funcNames, m.globalNames);
          } catch {
            // A malformed name section is not fatal (engines ignore it too); names just go missing.
          }
        }
        break;
      case SECTION.type: {
        const n = s.varU32("type count");
        for (let i = 0; i < n; i++) {
          const form = s.u8("type form");
          if (form !== 0x60) s.fail(`wasm: unsupported type form 0x${form.toString(16)}`, s.pos - 1);
          const params: WasmValType[] = [];
          const np = s.varU32("param count");
          for (let j = 0; j < np; j++) params.push(readValType(s));
          const results: WasmValType[] = [];
          const nr = s.varU32("result count");
          for (let j = 0; j < nr; j++) results.push(readValType(s));
          m.types.push({ params, results });
        }
        break;
      }
      case SECTION.import: {
        const n = s.varU32("import count");
        for (let i = 0; i < n; i++) {
          const module = s.string("import module");
          const name = s.string("import name");
          const kindCode = s.u8("import kind");
          const kind = KINDS[kindCode] ?? s.fail(`wasm: unknown import kind ${kindCode}`, s.pos - 1);
          const imp: Import = { module, name, kind };
          if (kind === "func") {
            imp.typeIdx = s.varU32("type index");
            m.importedFuncCount++;
          } else if (kind === "table") {
            readValType(s);
            m.tableMins.push(readLimits(s).min);
            m.importedTableCount++;
          } else if (kind === "memory") {
            m.memoryMinPages = readLimits(s).min;
          } else if (kind === "global") {
            imp.global = { type: readValType(s), mutable: s.u8("mutability") === 1 };
            m.importedGlobalCount++;
          } else {
            s.u8();
            s.varU32();
          }
          m.imports.push(imp);
        }
        break;
      }
      case SECTION.function: {
        const n = s.varU32("function count");
        for (let i = 0; i < n; i++) m.funcTypeIdx.push(s.varU32("type index"));
        break;
      }
      case SECTION.table: {
        const n = s.varU32("table count");
        for (let i = 0; i < n; i++) {
          readValType(s);
          m.tableMins.push(readLimits(s).min);
        }
        m.tableCount = n;
        break;
      }
      case SECTION.memory: {
        const n = s.varU32("memory count");
        if (n > 0) m.memoryMinPages = readLimits(s).min;
        s.pos = end;
        break;
      }
      case SECTION.global: {
        const n = s.varU32("global count");
        for (let i = 0; i < n; i++) {
          const type = readValType(s);
          const mutable = s.u8("mutability") === 1;
          const init = readConstExpr(s);
          m.globals.push({ type, mutable, init: init.bytes } satisfies Global);
        }
        break;
      }
      case SECTION.export: {
        const n = s.varU32("export count");
        for (let i = 0; i < n; i++) {
          const name = s.string("export name");
          const kindCode = s.u8("export kind");
          const kind = KINDS[kindCode] ?? s.fail(`wasm: unknown export kind ${kindCode}`, s.pos - 1);
          m.exports.push({ name, kind, index: s.varU32("export index") } satisfies Export);
        }
        break;
      }
      case SECTION.element: {
        const n = s.varU32("element count");
        for (let i = 0; i < n && m.elements; i++) {
          const flags = s.varU32("element flags");
          if (flags !== 0 && flags !== 2) {
            m.elements = null;
            break;
          }
          const tableIdx = flags === 2 ? s.varU32("table index") : 0;
          const offset = readConstExpr(s).bytes;
          if (flags === 2 && s.u8("element kind") !== 0) {
            m.elements = null;
            break;
          }
          const count = s.varU32("element function count");
          const funcs: number[] = [];
          for (let j = 0; j < count; j++) funcs.push(s.varU32("function index"));
          m.elements.push({ tableIdx, offset, funcs });
        }
        s.pos = end;
        break;
      }
      case SECTION.code: {
        const n = s.varU32("body count");
        for (let i = 0; i < n; i++) {
          const len = s.varU32("body size");
          const bodyOffset = s.pos;
          m.bodies.push({ bytes: s.bytesView(len, "function body"), offset: bodyOffset } satisfies Body);
        }
        break;
      }
      default:
        s.pos = end;
    }
    if (FULLY_PARSED.has(id) && s.pos !== end) {
      throw new DecodeError(`wasm: section ${id} size mismatch`, offset);
    }
    m.sections.push(section);
  }
  if (m.bodies.length !== m.funcTypeIdx.length) {
    throw new DecodeError(`wasm: ${m.funcTypeIdx.length} functions declared but ${m.bodies.length} bodies`, bytes.length);
  }
  return m;
}

/** The type of function `funcIdx` (imported or defined). */
export function funcType(m: WasmModule, funcIdx: number): FuncType {
  let typeIdx: number | undefined;
  if (funcIdx < m.importedFuncCount) {
    typeIdx = m.imports.filter((i) => i.kind === "func")[funcIdx]?.typeIdx;
  } else {
    typeIdx = m.funcTypeIdx[funcIdx - m.importedFuncCount];
  }
  const t = typeIdx === undefined ? undefined : m.types[typeIdx];
  if (!t) throw new InternalError(`no function ${funcIdx}`);
  return t;
}

/** Name of a function: name section, else an export name, else `$<index>`. */
export function funcName(m: WasmModule, funcIdx: number): string {
  return m.funcNames.get(funcIdx) ?? m.exports.find((e) => e.kind === "func" && e.index === funcIdx)?.name ?? `$${funcIdx}`;
}
