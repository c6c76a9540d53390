/**
 * Disabling: the disabled module's F calls the replay hook, which applies invocation k's effects
 * in recorded order (writes, globals, memory growth, WASI calls) and leaves F's results in the
 * carrier globals. Output calls are re-executed with their recorded inputs (including bytes that
 * lived in F's frames), input calls are answered from the log, proc_exit ends the program.
 * Re-executed calls whose results differ from the log produce a warning, or an error in strict
 * mode. Every write is bounds-checked.
 */
import type { EffectLog, Invocation, SyscallEvent } from "../log/index.js";
import { ReplayError } from "../errors/index.js";
import { WASI_TABLE, bitsToArgs, type WasmValType } from "../wasm/index.js";
import type { ReplayStats } from "./types.js";
import { setResult, valueToGlobal, type GuestHandles } from "./guest-handles.js";

const PAGE = 65536;

/** Thrown to end the run the way the analyzed invocation ended: by a trap. */
export class ReplayedTrap extends Error {}

export interface ReplayOptions {
  onExtraCalls: "error" | "run";
  strict: boolean;
  warn: (message: string) => void;
  now: () => bigint;
}

export class Replayer {
  private h!: GuestHandles;
  private mem = new Uint8Array(0);
  private next = 0;
  readonly stats: ReplayStats = { invocations: 0, bytesWritten: 0, callsReexecuted: 0, callsAnswered: 0, replayNs: 0 };

  constructor(
    private readonly log: EffectLog,
    private readonly globalTypes: Map<number, WasmValType>,
    private readonly realCall: (name: string, args: Array<number | bigint>) => number,
    private readonly options: ReplayOptions,
  ) {}

  attach(h: GuestHandles): void {
    this.h = h;
  }

  /** Calls of F seen so far. */
  get calls(): number {
    return this.next;
  }

  /** The disabled module's replay hook: F was called. */
  readonly replay = (): void => {
    const k = this.next++;
    const inv = this.log.invocations[k];
    if (!inv) {
      if (this.options.onExtraCalls === "run") {
        this.h.runOriginal!.value = 1;
        return;
      }
      throw new ReplayError(
        `${this.log.header.functionName} was called ${k + 1} times but the log has ${this.log.invocations.length} invocations (invocation ${k} is not logged; use --on-extra-calls=run to run the original for extra calls)`,
      );
    }
    const t0 = this.options.now();
    this.h.runOriginal!.value = 0;
    try {
      this.apply(inv);
    } finally {
      this.stats.replayNs += Number(this.options.now() - t0);
      this.stats.invocations++;
    }
    if (inv.status === "trapped") throw new ReplayedTrap(inv.trapMessage ?? "trap");
    if (inv.status === "exited") {
      throw new ReplayError(`invocation ${k} ended the program with exit code ${inv.exitCode ?? 0} but its log holds no proc_exit call`);
    }
    inv.returns.forEach((v, i) => setResult(this.h.results[i]!, v));
  };

  private apply(inv: Invocation): void {
    for (const e of inv.events) {
      switch (e.kind) {
        case "write":
          this.writeMemory(e.addr, e.bytes, inv.index);
          break;
        case "global": {
          const g = this.h.globals.get(e.index);
          const type = this.globalTypes.get(e.index);
          if (!g || !type) throw new ReplayError(`invocation ${inv.index}: global ${e.index} is not a mutable global of this module`);
          g.value = valueToGlobal(type, e.value);
          break;
        }
        case "grow": {
          const pages = this.h.memory.buffer.byteLength / PAGE;
          if (pages !== e.fromPages) {
            throw new ReplayError(`invocation ${inv.index}: memory has ${pages} pages where the analyzed run had ${e.fromPages}`);
          }
          this.h.memory.grow(e.toPages - e.fromPages);
          break;
        }
        case "syscall":
          this.call(e, inv.index);
          break;
      }
    }
  }

  /** A view of linear memory, remade only when growth replaced its ArrayBuffer. */
  private memoryView(): Uint8Array {
    const ab = this.h.memory.buffer;
    if (this.mem.buffer !== ab) this.mem = new Uint8Array(ab);
    return this.mem;
  }

  private writeMemory(addr: number, bytes: Uint8Array, invocation: number): void {
    const mem = this.memoryView();
    if (addr + bytes.length > mem.length) {
      throw new ReplayError(`invocation ${invocation}: write of ${bytes.length} bytes at 0x${addr.toString(16)} is outside memory (${mem.length} bytes)`);
    }
    mem.set(bytes, addr);
    this.stats.bytesWritten += bytes.length;
  }

  private call(e: SyscallEvent, invocation: number): void {
    const entry = WASI_TABLE[e.name];
    if (!entry) throw new ReplayError(`invocation ${invocation}: unknown WASI call ${e.name} in the log`);
    const args = bitsToArgs(e.args, entry.params);
    const policy = entry.policy(args);
    if (policy === "answer") {
      for (const w of e.writes) this.writeMemory(w.addr, w.bytes, invocation);
      this.stats.callsAnswered++;
      return;
    }
    for (const r of e.reads) this.writeMemory(r.addr, r.bytes, invocation);
    this.stats.callsReexecuted++;
    const result = this.realCall(e.name, args);
    if (BigInt(result) !== e.result) {
      this.mismatch(`invocation ${invocation}: ${e.name} returned ${result}, the analyzed run got ${e.result}`);
      return;
    }
    const mem = this.memoryView();
    for (const w of e.writes) {
      const now = mem.subarray(w.addr, w.addr + w.bytes.length);
      if (Buffer.compare(now, w.bytes) !== 0) {
        this.mismatch(`invocation ${invocation}: ${e.name} wrote different bytes at 0x${w.addr.toString(16)} than in the analyzed run`);
        return;
      }
    }
  }

  private mismatch(message: string): void {
    if (this.options.strict) throw new ReplayError(`${message} (--strict)`);
    this.options.warn(message);
  }
}
