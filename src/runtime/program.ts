/**
 * Loading a WASI program and finding the target function in it, with the user-facing errors:
 * missing file, not Wasm, malformed module, non-WASI imports, unknown function (with close
 * names), imported function.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { DecodeError, UsageError } from "../errors/index.js";
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
  return { path, bytes, module, sha256: createHash("sha256").update(bytes).digest() };
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

/** Names close to `name`, best first (for "did you mean"). */
export function closeNames(name: string, candidates: Iterable<string>, max = 3): string[] {
  const scored = [...new Set(candidates)]
    .map((c) => ({ c, d: editDistance(name.toLowerCase(), c.toLowerCase()) - (c.includes(name) ? 2 : 0) }))
    .filter((s) => s.d <= Math.max(2, Math.floor(name.length / 2)))
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c));
  return scored.slice(0, max).map((s) => s.c);
}

export interface TargetFunction {
  name: string;
  funcIdx: number;
  type: FuncType;
}

/** Finds F by name-section name, else export name. */
export function resolveFunction(p: Program, name: string): TargetFunction {
  const m = p.module;
  let funcIdx: number | undefined;
  for (const [idx, n] of m.funcNames) if (n === name) { funcIdx = idx; break; }
  funcIdx ??= m.exports.find((e) => e.kind === "func" && e.name === name)?.index;
  if (funcIdx === undefined) {
    const imported = m.imports.find((i) => i.kind === "func" && i.name === name);
    if (imported) throw new UsageError(`function ${name} is imported (${imported.module}.${imported.name}), not defined in ${p.path}; choose a function of the program`);
    const names = [...m.funcNames.values(), ...m.exports.filter((e) => e.kind === "func").map((e) => e.name)];
    const close = closeNames(name, names);
    const hint = close.length ? `; did you mean ${close.join(", ")}?` : m.funcNames.size === 0 ? " (the module has no name section; build without stripping names)" : "";
    throw new UsageError(`function ${name} not found in ${p.path}${hint}`);
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
