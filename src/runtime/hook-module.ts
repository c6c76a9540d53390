/**
 * Host hooks reach rewritten modules through a table (src/wasm/rewrite.ts), whose slots each
 * module kind describes by name (src/wasm/hook-slots.ts). Tables hold only Wasm functions, so a
 * JS hook goes in through a tiny module that imports it with the type its slot declares
 * ((i32 × jsParams) -> ()) and re-exports it as a Wasm function. HookTable installs hooks by
 * name; nothing here counts positions or reads Function.length.
 */
import { ByteWriter } from "../binary/index.js";
import { AlpacaError } from "../errors/index.js";
import type { HookSlot, HookSlots, JsHookName } from "../wasm/index.js";

/** A hook the host gives as a JavaScript function (its arguments are i32s). */
export type JsHook = (...args: number[]) => void;

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

/** JS functions as Wasm functions of the given i32 arities, made in one module. */
function asWasmFunctions(hooks: Array<{ fn: JsHook; params: number }>): WebAssembly.ExportValue[] {
  const imports: Record<string, JsHook> = {};
  hooks.forEach((h, i) => (imports[`f${i}`] = h.fn));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(hookModuleBytes(hooks.map((h) => h.params))), { h: imports });
  return hooks.map((_, i) => instance.exports[`f${i}`]!);
}

function jsParams(name: string, s: HookSlot): number {
  if (s.jsParams === undefined) throw new AlpacaError(`internal: hook ${name} takes a Wasm function, not a JS one`);
  return s.jsParams;
}

/** A rewritten instance's hook table, filled by hook name as its module kind (`slots`) describes. */
export class HookTable<S extends HookSlots> {
  constructor(
    private readonly table: WebAssembly.Table,
    private readonly slots: S,
  ) {}

  /** Installs JS hooks by name, all through one small module. */
  install(hooks: Partial<Record<JsHookName<S>, JsHook>>): void {
    const named = Object.entries(hooks as Record<string, JsHook | undefined>).filter((e): e is [string, JsHook] => e[1] !== undefined);
    const fns = asWasmFunctions(named.map(([name, fn]) => ({ fn, params: jsParams(name, this.slot(name)) })));
    named.forEach(([name], i) => this.table.set(this.slot(name).slot, fns[i]));
  }

  /** Puts a Wasm function (a core's export, a no-op) into hook `name`'s slot. */
  setWasm(name: keyof S & string, fn: WebAssembly.ExportValue): void {
    this.table.set(this.slot(name).slot, fn);
  }

  /** Puts a JS function into hook `name`'s slot (install() for one hook set later). */
  setJs(name: JsHookName<S> & string, fn: JsHook): void {
    this.install({ [name]: fn } as Partial<Record<JsHookName<S>, JsHook>>);
  }

  private slot(name: string): HookSlot {
    const s = this.slots[name];
    if (!s) throw new AlpacaError(`internal: no hook named ${name} in this module kind`);
    return s;
  }
}
