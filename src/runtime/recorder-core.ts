/**
 * The host side of the in-Wasm recorder core (recorder-core.c, the marks strategy's fast path):
 * loads its module once, instantiates it against a guest instance's memory readers, and gives
 * the recorder its hooks, its finished records and, when the host must take an invocation over,
 * its pending marks.
 */
import type { RecordShape } from "../log/index.js";
import { loadCoreModule } from "./core-module.js";

/** The compiled core, or null when its .wasm is missing (the analyzer then keeps to host hooks). */
export function recorderCoreModule(): WebAssembly.Module | null {
  return loadCoreModule("recorder-core.wasm");
}

export interface CoreHost {
  /** `count` finished invocation records, encoded as in the log. Copy them: the view is reused. */
  records(bytes: Uint8Array, count: number): void;
  /** An invocation the host must record itself (a global changed or memory grew); its marks are pending. */
  slowExit(spEntry: number, minSp: number, flag: number, lo: number, hi: number): void;
  /** An invocation made more marks than setMarkLimit allows; its record has been handed over. */
  costly(): void;
}

/** The shape of the core's last record (see RecordShape): its runs' addresses and lengths. */
export interface CoreShape {
  valid: boolean;
  count: number;
  addrs: Uint32Array;
  lens: Uint32Array;
}

interface CoreExports {
  memory: WebAssembly.Memory;
  configure(firstIndex: number, results: number, typeCode: number): void;
  set_flush_at(bytes: number, blockEmpty: number): void;
  set_shape_run(i: number, addr: number, len: number): void;
  set_shape(count: number): void;
  set_mark_limit(n: number): void;
  shape_valid(): number;
  shape_count(): number;
  shape_addrs(): number;
  shape_lens(): number;
  next_index(): number;
  mark_count(): number;
  mark_addrs(): number;
  mark_sizes(): number;
  mark_offsets(): number;
  old_bytes(): number;
  clear_marks(): void;
  flush_now(): void;
  mark: WebAssembly.ExportValue;
  exit0: WebAssembly.ExportValue;
  exit1: WebAssembly.ExportValue;
}

export class RecorderCore {
  private readonly ex: CoreExports;
  /** The hooks the guest's traced code and F's wrapper call. */
  readonly markHook: WebAssembly.ExportValue;
  readonly exitHook: WebAssembly.ExportValue;

  constructor(module: WebAssembly.Module, loads: Record<"load8" | "load32" | "load64", WebAssembly.ExportValue>, results: number, host: CoreHost) {
    const instance = new WebAssembly.Instance(module, {
      alpaca: {
        ...loads,
        flush: (ptr: number, len: number, count: number) => host.records(new Uint8Array(this.ex.memory.buffer, ptr, len), count),
        slow_exit: (sp: number, minSp: number, flag: number, lo: number, hi: number) => host.slowExit(sp, minSp, flag, lo, hi),
        costly: () => host.costly(),
      },
    });
    this.ex = instance.exports as unknown as CoreExports;
    this.markHook = this.ex.mark;
    this.exitHook = results === 0 ? this.ex.exit0 : this.ex.exit1;
  }

  /** Sets the next invocation's index and F's result (count 0 or 1, and its value-type code). */
  configure(nextIndex: number, results: number, typeCode: number): void {
    this.ex.configure(nextIndex, results, typeCode);
  }

  /**
   * Records are handed over once this many bytes of them are waiting; `blockEmpty` says the
   * host's block holds no record yet, so the next one starts a block (and is not a repeat).
   */
  flushAt(bytes: number, blockEmpty: boolean): void {
    this.ex.set_flush_at(bytes, blockEmpty ? 1 : 0);
  }

  /**
   * Makes `shape` (the host block's last record: its writes, F's results) the shape the core's
   * next record may repeat; nothing when the host's last record cannot be repeated.
   */
  takeShape(shape: Readonly<RecordShape>): void {
    if (!shape.valid) return;
    for (let i = 0; i < shape.count; i++) this.ex.set_shape_run(i, shape.addrs[i]!, shape.lens[i]!);
    this.ex.set_shape(shape.count);
  }

  /** Tells the core to call CoreHost.costly after an invocation with more than `n` marks (n ≥ 2^32 - 1: never). */
  setMarkLimit(n: number): void {
    this.ex.set_mark_limit(Math.min(n, 0xffff_ffff) >>> 0);
  }

  /** The shape of the last record the core wrote (copied out of its memory). */
  shape(): CoreShape {
    const count = this.ex.shape_count();
    const buf = this.ex.memory.buffer;
    return {
      valid: this.ex.shape_valid() !== 0,
      count,
      addrs: new Uint32Array(buf, this.ex.shape_addrs(), count).slice(),
      lens: new Uint32Array(buf, this.ex.shape_lens(), count).slice(),
    };
  }

  /** Hands over every finished record now (through CoreHost.records). */
  flush(): void {
    this.ex.flush_now();
  }

  /** Calls `fn` for each pending mark in order, with the bytes saved before the write, then forgets them. */
  takeMarks(fn: (addr: number, size: number, saved: Uint8Array, at: number) => void): void {
    const n = this.ex.mark_count();
    const mem = new Uint8Array(this.ex.memory.buffer);
    const u32 = new Uint32Array(this.ex.memory.buffer);
    const addrs = this.ex.mark_addrs() >>> 2;
    const sizes = this.ex.mark_sizes() >>> 2;
    const offsets = this.ex.mark_offsets() >>> 2;
    const old = this.ex.old_bytes();
    for (let i = 0; i < n; i++) fn(u32[addrs + i]!, u32[sizes + i]!, mem, old + u32[offsets + i]!);
    this.ex.clear_marks();
  }
}
