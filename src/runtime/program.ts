/**
 * Loading a WASI program and finding the target function in it (src/names/resolve-name.ts),
 * with the user-facing errors: missing file, not Wasm, malformed module, non-WASI imports,
 * unknown or ambiguous function, imported function.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { DecodeError, UsageError, withContext } from "../errors/index.js";
import { resolveFunctionName, type NamedFunction } from "../names/resolve-name.js";
import { funcName, funcType, readModule, type FuncType, type WasmModule } from "../wasm/index.js";

export const WASI_MODULE = "wasi_snapshot_preview1";

export interface Program {
  path: string;
  bytes: Uint8Array<ArrayBuffer>;
  module: WasmModule;
  sha256: Uint8Array;
}

export function readProgramFile(path: string): Uint8Array<ArrayBuffer> {
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : String(code);
    throw new UsageError(`cannot read program ${path}: ${why}`, { cause });
  }
}

export function loadProgram(path: string, bytes = readProgramFile(path)): Program {
  let module: WasmModule;
  try {
    module = readModule(bytes);
    new WebAssembly.Module(bytes);
  } catch (cause) {
    if (cause instanceof DecodeError && cause.offset === 0) throw new UsageError(`${path} is not a WebAssembly module or an ELF executable`, { cause });
    // Our reader's decode error keeps its class and offset, with the file in front; V8's are worded as usage errors.
    if (cause instanceof DecodeError) throw withContext(cause, `${path} is not a valid WebAssembly module`);
    const why = cause instanceof Error ? cause.message.replace(/^WebAssembly\.Module\(\): /, "") : String(cause);
    throw new UsageError(`${path} is not a valid WebAssembly module: ${why}`, { cause });
  }
  for (const imp of module.imports) {
    if (imp.module !== WASI_MODULE || imp.kind !== "func") {
      throw new UsageError(`${path} imports ${imp.kind} ${imp.module}.${imp.name}, which is not WASI preview1; alpaca runs WASI command modules`);
    }
  }
  if (!module.exports.some((e) => e.name === "_start" && e.kind === "func")) {
    throw new UsageError(`${path} is not a WASI command module (it exports no _start)`);
  }
  if (!module.exports.some((e) => e.name === "memory" && e.kind === "memory")) {
    throw new UsageError(`${path} is not a WASI command module (it exports no memory)`);
  }
  return { path, bytes, module, sha256: createHash("sha256").update(bytes).digest() };
}

export interface TargetFunction {
  name: string;
  funcIdx: number;
  type: FuncType;
}

/** The module's functions as --func resolves them (src/names/resolve-name.ts). */
function namedFunctions(m: WasmModule): NamedFunction[] {
  const exports = new Map<number, string[]>();
  for (const e of m.exports) if (e.kind === "func") exports.set(e.index, [...(exports.get(e.index) ?? []), e.name]);
  const total = m.importedFuncCount + m.bodies.length;
  return Array.from({ length: total }, (_, index) => ({ index, name: funcName(m, index), exports: exports.get(index) ?? [] }));
}

/** Finds F as users type it: exact name, export name, #INDEX, demangled name, `::`-suffix. */
export function resolveFunction(p: Program, name: string): TargetFunction {
  const m = p.module;
  let funcIdx: number;
  try {
    funcIdx = resolveFunctionName(name, namedFunctions(m), p.path).index;
  } catch (error) {
    if (error instanceof UsageError && m.funcNames.size === 0 && !/ambiguous|index/.test(error.message)) {
      throw new UsageError(`function ${name} not found in ${p.path} (the module has no name section; build without stripping names, or use --func '#INDEX' from alpaca functions)`, { cause: error });
    }
    throw error;
  }
  if (funcIdx < m.importedFuncCount) {
    const imp = m.imports.filter((i) => i.kind === "func")[funcIdx]!;
    throw new UsageError(`function ${name} is imported (${imp.module}.${imp.name}), not defined in ${p.path}; choose a function of the program`);
  }
  const type = funcType(m, funcIdx);
  for (const t of type.results) {
    if (t !== "i32" && t !== "i64" && t !== "f32" && t !== "f64") {
      throw new UsageError(`function ${name} returns ${t}; alpaca supports functions returning i32, i64, f32 and f64 values`);
    }
  }
  return { name: funcName(m, funcIdx), funcIdx, type };
}
