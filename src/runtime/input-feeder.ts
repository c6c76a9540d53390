/**
 * Feeds recorded nondeterministic inputs (clock, random, stdin) to disabled and baseline runs so
 * they see what the analyzed run saw and do the same work. Calls are matched in order by name and
 * arguments; on the first mismatch the feeder warns once and lets the rest of the run go live.
 */
import { ReplayError } from "../errors/index.js";
import type { InputRecord, SyscallEvent } from "../log/index.js";
import { WASI_TABLE, argsToBits, type WasiArgs } from "../wasm/index.js";

export class InputFeeder {
  private next = 0;
  private live = false;

  constructor(
    private readonly inputs: InputRecord[],
    private readonly warn: (message: string) => void,
  ) {}

  /** Answers the call from the log and returns its result, or returns undefined to run it live. */
  answer(name: string, args: WasiArgs, memory: WebAssembly.Memory): number | undefined {
    if (this.live || !WASI_TABLE[name]?.isInput(args)) return undefined;
    const rec = this.inputs[this.next];
    if (!rec || !sameCall(rec.call, name, args)) {
      this.live = true;
      const what = rec ? `the log has ${rec.call.name} next` : "the log has no more inputs";
      this.warn(`recorded inputs diverged at input ${this.next} (${name}; ${what}); the rest of the run reads live inputs`);
      return undefined;
    }
    const mem = new Uint8Array(memory.buffer);
    for (const w of rec.call.writes) {
      if (w.addr + w.bytes.length > mem.length) throw new ReplayError(`input ${this.next}: ${name} writes ${w.bytes.length} bytes at 0x${w.addr.toString(16)}, outside memory (${mem.length} bytes)`);
    }
    this.next++;
    for (const w of rec.call.writes) mem.set(w.bytes, w.addr);
    return Number(rec.call.result);
  }
}

function sameCall(call: SyscallEvent, name: string, args: WasiArgs): boolean {
  if (call.name !== name) return false;
  const bits = argsToBits(args);
  return bits.length === call.args.length && bits.every((b, i) => b === call.args[i]);
}
