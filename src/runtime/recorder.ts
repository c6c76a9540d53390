/**
 * Analysis: records F's effects while the analyzer module runs. Strategy: snapshot linear memory
 * and globals when the outermost call of F enters; at each WASI call inside F's extent and at
 * exit, diff memory against the snapshot (an "epoch" ends), emit the changed bytes as writes
 * (so repeated writes to a byte keep the last value, and a write that restores a byte's value is
 * no effect), dropping F's own frames: [lowest stack pointer seen, stack pointer at entry).
 * WASI calls inside the extent are recorded with the memory they read and write; clock, random
 * and stdin are recorded everywhere as inputs for the disabled and baseline runs.
 */
import type { Event, Invocation, LogEncoder, MemoryRange, SyscallEvent, Value } from "../log/index.js";
import { WASI_TABLE, argsToBits, type Range, type RewriteLayout, type WasiArgs, type WasiContext, type WasmValType } from "../wasm/index.js";
import { globalToValue, resultToValue, type GuestHandles } from "./guest-handles.js";
import { diffAndSync } from "./memory-diff.js";

const PAGE = 65536;

export type RunEnding = { kind: "exit"; code: number } | { kind: "trap"; message: string };

export class Recorder {
  private h!: GuestHandles;
  private depth = 0;
  private spEntry = 0;
  private snap = Buffer.alloc(0);
  private snapLen = 0;
  private entryGlobals = new Map<number, Value>();
  private events: Event[] = [];
  private invocation = 0;

  constructor(
    private readonly encoder: LogEncoder,
    private readonly sink: (bytes: Uint8Array) => void,
    private readonly layout: RewriteLayout,
    private readonly globalTypes: Map<number, WasmValType>,
    private readonly ctx: WasiContext,
  ) {}

  attach(h: GuestHandles): void {
    this.h = h;
  }

  /** The analyzer module's enter hook. */
  readonly enter = (): void => {
    if (this.depth++ > 0) return;
    const cur = Buffer.from(this.h.memory.buffer);
    if (this.snap.length < cur.length) this.snap = Buffer.allocUnsafe(cur.length);
    cur.copy(this.snap, 0, 0, cur.length);
    this.snapLen = cur.length;
    this.spEntry = this.h.stackPointer ? (this.h.stackPointer.value as number) >>> 0 : 0;
    if (this.h.minStackPointer) this.h.minStackPointer.value = this.spEntry;
    this.entryGlobals.clear();
    for (const [idx, g] of this.h.globals) this.entryGlobals.set(idx, globalToValue(this.globalTypes.get(idx)!, g.value));
    this.events = [];
  };

  /** The analyzer module's exit hook: F returned normally. */
  readonly exit = (): void => {
    if (--this.depth > 0) return;
    this.closeEpoch();
    this.recordGlobals();
    const returns = this.layout.results.map((t, i) => resultToValue(t, this.h.results[i]!));
    this.emit({ index: this.invocation, status: "returned", events: this.events, returns });
  };

  /** Wraps every WASI import. `real` performs the call. */
  onCall(name: string, args: WasiArgs, real: (...a: Array<number | bigint>) => number): number {
    const entry = WASI_TABLE[name];
    const inside = this.depth > 0;
    if (!entry || (!inside && !entry.isInput(args))) return real(...args);
    if (inside) this.closeEpoch();
    const reads = inside ? this.copyRanges(entry.reads(args, this.view())) : [];
    if (inside && name === "proc_exit") {
      this.events.push({ kind: "syscall", name, args: argsToBits(args), reads, writes: [], result: 0n });
      this.depth = 0;
      this.emit({ index: this.invocation, status: "exited", exitCode: Number(args[0]) >>> 0, events: this.events, returns: [] });
      return real(...args);
    }
    const result = real(...args);
    const writes = result === 0 ? this.copyRanges(entry.writes(args, this.view(), this.ctx)) : [];
    const call: SyscallEvent = { kind: "syscall", name, args: argsToBits(args), reads, writes, result: BigInt(result) };
    if (inside) {
      // What the call wrote is its own effect, not F's: keep it out of the next epoch's writes.
      for (const w of writes) if (w.addr + w.bytes.length <= this.snapLen) this.snap.set(w.bytes, w.addr);
      this.events.push(call);
    }
    if (entry.isInput(args)) this.sinkMaybe(this.encoder.addInput({ insideF: inside, call }));
    return result;
  }

  /** The program ended (returned, exited or trapped); closes an invocation still open. */
  finish(ending: RunEnding): void {
    if (this.depth === 0) return;
    this.depth = 0;
    this.closeEpoch();
    this.recordGlobals();
    const inv: Invocation = ending.kind === "trap"
      ? { index: this.invocation, status: "trapped", trapMessage: ending.message, events: this.events, returns: [] }
      : { index: this.invocation, status: "exited", exitCode: ending.code, events: this.events, returns: [] };
    this.emit(inv);
  }

  get invocations(): number {
    return this.invocation;
  }

  private view(): DataView {
    return new DataView(this.h.memory.buffer);
  }

  private copyRanges(ranges: Range[]): MemoryRange[] {
    const mem = new Uint8Array(this.h.memory.buffer);
    return ranges.filter((r) => r.len > 0).map((r) => {
      if (r.addr + r.len > mem.length) throw new RangeError(`WASI range 0x${r.addr.toString(16)}+${r.len} is outside memory`);
      return { addr: r.addr, bytes: mem.slice(r.addr, r.addr + r.len) };
    });
  }

  /** Ends an epoch: records growth and every byte changed since the last epoch outside F's frames. */
  private closeEpoch(): void {
    const cur = Buffer.from(this.h.memory.buffer);
    if (cur.length > this.snapLen) {
      this.events.push({ kind: "grow", fromPages: this.snapLen / PAGE, toPages: cur.length / PAGE });
      if (this.snap.length < cur.length) {
        const bigger = Buffer.alloc(cur.length);
        this.snap.copy(bigger, 0, 0, this.snapLen);
        this.snap = bigger;
      } else {
        this.snap.fill(0, this.snapLen, cur.length);
      }
      this.snapLen = cur.length;
    }
    const frameLo = this.h.minStackPointer ? (this.h.minStackPointer.value as number) >>> 0 : this.spEntry;
    const frameHi = this.spEntry;
    diffAndSync(this.snap, cur, 0, cur.length, (s, e) => {
      if (s < frameLo) this.pushWrite(cur, s, Math.min(e, frameLo));
      if (e > frameHi) this.pushWrite(cur, Math.max(s, frameHi), e);
    });
  }

  private pushWrite(cur: Buffer, s: number, e: number): void {
    if (e > s) this.events.push({ kind: "write", addr: s, bytes: new Uint8Array(cur.subarray(s, e)) });
  }

  private recordGlobals(): void {
    for (const [idx, g] of this.h.globals) {
      if (idx === this.layout.stackPointerIdx && (g.value as number) >>> 0 === this.spEntry) continue;
      const v = globalToValue(this.globalTypes.get(idx)!, g.value);
      const before = this.entryGlobals.get(idx);
      if (before && before.type !== "v128" && v.type !== "v128" && before.bits === v.bits) continue;
      this.events.push({ kind: "global", index: idx, value: v });
    }
  }

  private emit(inv: Invocation): void {
    this.invocation++;
    this.sinkMaybe(this.encoder.addInvocation(inv));
    this.events = [];
  }

  private sinkMaybe(bytes: Uint8Array | null): void {
    if (bytes && bytes.length) this.sink(bytes);
  }
}
