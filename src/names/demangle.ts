/**
 * Demangling C++ (Itanium) and Rust (legacy and v0) symbols, through gecko-profiler-demangle:
 * the Firefox profiler's build of the cpp_demangle and rustc-demangle crates as WebAssembly.
 * Rust legacy names come without their hash (`r_vec::make_words`). The package is built for
 * bundlers (it imports its .wasm as a module), so it is instantiated here by hand, on first
 * use: programs whose names need no demangling never load it.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as glue from "gecko-profiler-demangle/index_bg.js";

let ready = false;

function init(): void {
  const require = createRequire(import.meta.url);
  const wasmPath = require.resolve("gecko-profiler-demangle/index_bg.wasm");
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), { "./index_bg.js": glue });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  ready = true;
}

/** Whether `name` looks mangled: Itanium (`_Z`), or Rust legacy (`_ZN…17h<hash>E`) and v0 (`_R`). */
export function isMangled(name: string): boolean {
  return /^_{1,2}Z/.test(name) || /^_R[A-Z_]/.test(name);
}

/** The demangled form of `name`, or `name` itself when it is not mangled. */
export function demangle(name: string): string {
  if (!isMangled(name)) return name;
  if (!ready) init();
  try {
    return glue.demangle_any(name);
  } catch {
    return name;
  }
}
