/**
 * The call-counting module of `alpaca profile`'s first phase: every defined function's body
 * starts by adding 1 to an i64 global of its own, exported to the host as
 * EXPORT_CALLS(funcIdx). Four instructions a call, nothing else changes: no index moves, no
 * memory is touched, so the guest sees what a plain run sees. Pure.
 */
import { ByteWriter } from "../binary/index.js";
import { Additions, encodeSections } from "./additions.js";
import { readLocals } from "./instructions.js";
import type { WasmModule } from "./module.js";
import { OP } from "./opcodes.js";

/** Export name of function `funcIdx`'s call counter (an i64 global). */
export const EXPORT_CALLS = (funcIdx: number): string => `alpaca.calls.${funcIdx}`;


/** The module with a call counter at the start of every defined function. */
export function buildCountingModule(m: WasmModule): Uint8Array<ArrayBuffer> {
  const add = new Additions(m);
  m.bodies.forEach((b, i) => {
    const funcIdx = m.importedFuncCount + i;
    const counter = add.addExportedGlobal(EXPORT_CALLS(funcIdx), "i64");
    const { exprStart } = readLocals(b.bytes);
    const w = new ByteWriter(b.bytes.length + 12);
    w.bytes(b.bytes.subarray(0, exprStart));
    w.u8(OP.globalGet).varUint(counter).u8(OP.i64Const).u8(1).u8(OP.i64Add).u8(OP.globalSet).varUint(counter);
    w.bytes(b.bytes.subarray(exprStart));
    add.bodies.set(i, w.toBytes());
  });
  return encodeSections(m, add);
}

/** Each defined function's calls, read from a counting module's instance (funcIdx → calls). */
export function readCallCounts(m: WasmModule, exports: WebAssembly.Exports): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 0; i < m.bodies.length; i++) {
    const g = exports[EXPORT_CALLS(m.importedFuncCount + i)];
    if (g instanceof WebAssembly.Global) out.set(m.importedFuncCount + i, Number(g.value as bigint));
  }
  return out;
}
