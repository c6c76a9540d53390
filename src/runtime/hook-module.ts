/**
 * Host hooks reach rewritten modules through a table (see src/wasm/rewrite.ts). Tables hold only
 * Wasm functions, so this builds a tiny module that imports JS functions of type () -> () and
 * re-exports them as Wasm functions, ready for Table.set.
 */
import { ByteWriter } from "../binary/index.js";

function hookModuleBytes(count: number): Uint8Array<ArrayBuffer> {
  const section = (w: ByteWriter, id: number, body: ByteWriter) => w.u8(id).varUint(body.length).bytes(body.written());
  const w = new ByteWriter(128).bytes(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  section(w, 1, new ByteWriter().varUint(1).u8(0x60).u8(0).u8(0));
  const imports = new ByteWriter().varUint(count);
  for (let i = 0; i < count; i++) imports.string("h").string(`f${i}`).u8(0).u8(0);
  section(w, 2, imports);
  const exports = new ByteWriter().varUint(count);
  for (let i = 0; i < count; i++) exports.string(`f${i}`).u8(0).varUint(i);
  section(w, 7, exports);
  return w.toBytes();
}

/** Puts `hooks[i]` into slot i of `table`. */
export function installHooks(table: WebAssembly.Table, hooks: Array<() => void>): void {
  const imports: Record<string, () => void> = {};
  hooks.forEach((h, i) => (imports[`f${i}`] = h));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(hookModuleBytes(hooks.length)), { h: imports });
  hooks.forEach((_, i) => table.set(i, instance.exports[`f${i}`]));
}
