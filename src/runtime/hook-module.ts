/**
 * Host hooks reach rewritten modules through a table (see src/wasm/rewrite.ts). Tables hold only
 * Wasm functions, so this builds a tiny module that imports the JS hooks, each of type
 * (i32 × fn.length) -> (), and re-exports them as Wasm functions, ready for Table.set.
 */
import { ByteWriter } from "../binary/index.js";

type Hook = (...args: number[]) => void;

function hookModuleBytes(arities: number[]): Uint8Array<ArrayBuffer> {
  const section = (w: ByteWriter, id: number, body: ByteWriter) => w.u8(id).varUint(body.length).bytes(body.written());
  const w = new ByteWriter(128).bytes(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  const distinct = [...new Set(arities)];
  const types = new ByteWriter().varUint(distinct.length);
  for (const n of distinct) {
    types.u8(0x60).varUint(n);
    for (let i = 0; i < n; i++) types.u8(0x7f);
    types.u8(0);
  }
  section(w, 1, types);
  const imports = new ByteWriter().varUint(arities.length);
  arities.forEach((n, i) => imports.string("h").string(`f${i}`).u8(0).varUint(distinct.indexOf(n)));
  section(w, 2, imports);
  const exports = new ByteWriter().varUint(arities.length);
  arities.forEach((_, i) => exports.string(`f${i}`).u8(0).varUint(i));
  section(w, 7, exports);
  return w.toBytes();
}

/** Puts `hooks[i]` into slot i of `table`. */
export function installHooks(table: WebAssembly.Table, hooks: Hook[]): void {
  const imports: Record<string, Hook> = {};
  hooks.forEach((h, i) => (imports[`f${i}`] = h));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(hookModuleBytes(hooks.map((h) => h.length))), { h: imports });
  hooks.forEach((_, i) => table.set(i, instance.exports[`f${i}`]));
}

/** One host function as a Wasm function a hook table can hold (installHooks for a single slot set later). */
export function wasmHook(hook: Hook): WebAssembly.ExportValue {
  return new WebAssembly.Instance(new WebAssembly.Module(hookModuleBytes([hook.length])), { h: { f0: hook } }).exports.f0!;
}
