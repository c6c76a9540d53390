/**
 * Analysis: records F's effects while the analyzer module runs. An "epoch" ends at each WASI call
 * inside F's extent and at exit; it emits the bytes changed during the epoch as writes (so
 * repeated writes to a byte keep the last value, and a write that restores a byte's value is no
 * effect), dropping F's own frames: [lowest stack pointer seen, stack pointer at entry).
 * Two strategies find the changed bytes and yield the same effects:
 * - diff: snapshot linear memory when the outermost call of F enters and compare at epoch ends;
 *   costs O(memory) per invocation, nothing per store (best for long-running F);
 * - marks: F's traced copy reports every write before it happens (src/wasm/trace.ts); costs a
 *   host call per store, nothing per byte of memory (best for small, frequent F).
 * "adaptive" decides from counts, never from times, so the same program and input always give
 * the same choice and the same log: it diffs the first TRIAL_INVOCATIONS invocations (an F
 * called that few times keeps diffing, as forced diff would), counting the bytes diffing reads;
 * then records one invocation with marks, counting them, and keeps whichever costs less by
 * fixed per-byte and per-mark costs. Should that invocation mark more than a diff would cost,
 * it stops marking at once and finishes by diffing (memory now, with each marked byte's saved
 * value put back, is the invocation's starting image), so the trial never costs much more than
 * an invocation of forced diff.
 * WASI calls inside the extent are recorded with the memory they read and write; clock, random
 * and stdin are recorded everywhere as inputs for the disabled and baseline runs.
 */
import { AlpacaError } from "../errors/index.js";
import type { Event, Invocation, LogEncoder, MemoryRange, SyscallEvent, ValType } from "../log/index.js";
import { VALTYPE } from "../log/index.js";
import { ANALYZER_HOOKS, WASI_TABLE, argsToBits, type Range, type RewriteLayout, type WasiArgs, type WasiContext, type WasmValType } from "../wasm/index.js";
import { globalToValue, resultToValue, type GuestHandles } from "./guest-handles.js";
import { HookTable } from "./hook-module.js";
import { AdaptiveChoice, type Strategy, type TrialOutcome } from "./adaptive-choice.js";
import { MarkSet } from "./mark-set.js";
import { RecorderCore, recorderCoreModule } from "./recorder-core.js";
import { diffAndSync, MERGE_GAP } from "./memory-diff.js";
import { clipToOutsideFrames, OutsideFrameRuns } from "./frames.js";

const PAGE = 65536;

export type RunEnding = { kind: "exit"; code: number } | { kind: "trap"; message: string };

export type { Strategy } from "./adaptive-choice.js";

const NO_EVENTS: Event[] = [];

/** A Wasm function (i32, i32) -> () that does nothing: the mark hook once marking has stopped. */
const NOOP_MARK_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x00,
  0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
]);

export class Recorder {
  private h!: GuestHandles;
  private hooks!: HookTable<typeof ANALYZER_HOOKS>;
  private depth = 0;
  private spEntry = 0;
  private snap = Buffer.alloc(0);
  private snapLen = 0;
  /** Raw values of the module's mutable globals at entry, in `globalList` order. */
  private entryGlobals: unknown[] = [];
  private globalList: Array<{ idx: number; g: WebAssembly.Global; type: WasmValType }> = [];
  private curBuf = Buffer.alloc(0);
  private events: Event[] = [];
  private invocation = 0;
  private marking = false;
  private readonly marks = new MarkSet();
  private mem: Uint8Array = new Uint8Array(0);
  private epochPages = 0;
  /** Diff or marks, and the adaptive trial between them (adaptive-choice.ts). */
  private readonly choice: AdaptiveChoice;
  // Fast path (marks without enter hook; see buildAnalyzerModule): per-invocation scratch.
  private readonly fastAllowed: boolean;
  private fastOn = false;
  /** The fast path's changed runs of the invocation being closed. */
  private readonly runs = new OutsideFrameRuns();
  private readonly halves: Float64Array;
  private core: RecorderCore | undefined;
  /** The running mark count when the current invocation entered (host marks). */
  private marksAtEnter = 0;

  constructor(
    private readonly encoder: LogEncoder,
    private readonly sink: (bytes: Uint8Array) => void,
    private readonly layout: RewriteLayout,
    private readonly globalTypes: Map<number, WasmValType>,
    private readonly ctx: WasiContext,
    strategy: Strategy = "adaptive",
  ) {
    this.choice = new AdaptiveChoice(strategy, layout.traced?.available === true);
    this.fastAllowed = layout.fast === true && strategy !== "host-marks";
    this.halves = new Float64Array(2 * layout.results.length);
  }

  /** Installs the hooks, then, when marks were chosen up front, the fast path (which takes over the mark hook). */
  attach(h: GuestHandles): void {
    this.h = h;
    this.hooks = new HookTable(h.hooks, ANALYZER_HOOKS);
    this.hooks.install({ enter: this.enter, exit: this.exit, mark: this.mark });
    this.globalList = [...h.globals].map(([idx, g]) => ({ idx, g, type: this.globalTypes.get(idx)! }));
    if (this.choice.phase === "marks") this.enableFastPath();
  }

  /** Whether invocations are being recorded by the fast path (for --verbose and tests). */
  get fastPath(): boolean {
    return this.fastOn;
  }

  /**
   * Once marks are chosen, later invocations take the fast path when the module has one: the
   * in-Wasm recorder core (recorder-core.c) takes the mark and exit hooks, and hands finished
   * records back in batches.
   */
  private enableFastPath(): void {
    const module = recorderCoreModule();
    if (!this.fastAllowed || !this.h.fast || !module) return;
    const core = new RecorderCore(module, this.h.fast.loads, this.layout.results.length, {
      records: (bytes, count) => {
        this.invocation += count;
        this.sinkMaybe(this.encoder.addEncodedInvocations(bytes, count));
        this.syncCoreBlock();
      },
      slowExit: (sp, minSp, flag, lo, hi) => this.slowExit(sp, minSp, flag, lo, hi),
      costly: () => this.marksCostly(),
    });
    this.core = core;
    this.configureCore();
    this.hooks.setWasm("mark", core.markHook);
    this.hooks.setWasm("exitFast", core.exitHook);
    this.h.fast.enabled.value = 1;
    this.fastOn = true;
  }

  private configureCore(): void {
    const t = this.layout.results[0];
    this.core!.configure(this.invocation, this.layout.results.length, t === undefined ? 0 : VALTYPE[t as ValType]);
    this.core!.takeShape(this.encoder.lastShape);
    this.core!.setMarkLimit(this.choice.markLimit(this.h.memory.buffer.byteLength));
    this.syncCoreBlock();
  }

  /**
   * An invocation recorded with marks made more of them than diffing it would cost, twice over
   * (AdaptiveChoice.markLimit): later invocations are diffed until marks are tried again. The
   * fast path (when on) has handed over every record; the encoder takes the block on from the
   * core's last record, so the log's bytes are what any strategy writes.
   */
  private marksCostly(): void {
    this.choice.marksCostly(this.invocation);
    if (!this.fastOn) return;
    this.adoptCoreShape();
    this.h.fast!.enabled.value = 0;
    this.fastOn = false;
    this.core = undefined;
    this.hooks.setJs("mark", this.mark);
  }

  /** The encoder takes the block on from the core's last record (the core has handed every record over). */
  private adoptCoreShape(): void {
    const shape = this.core!.shape();
    if (shape.valid) this.encoder.adoptShape(shape.count, shape.addrs, shape.lens, this.layout.results as ValType[]);
  }

  /** Tells the core how much room the encoder's pending block has left, and whether it is empty. */
  private syncCoreBlock(): void {
    this.core?.flushAt(this.encoder.invocationRoom, this.encoder.blockEmpty);
  }

  /** The core hands over an unusual invocation (a global changed, memory grew): record it here. */
  private slowExit(spEntry: number, minSp: number, flag: number, lo: number, hi: number): void {
    this.core!.takeMarks((addr, size, saved, at) => this.marks.addSaved(addr, size, saved, at));
    this.adoptCoreShape();
    this.halves[0] = lo;
    this.halves[1] = hi;
    this.closeFast(spEntry, minSp, flag);
    this.configureCore();
  }

  /**
   * A Buffer over current linear memory, remade only when growth replaced the ArrayBuffer (growth
   * detaches the old one, so a view of non-zero length is current; reading `memory.buffer` on
   * every call would cost a host call per invocation).
   */
  private memoryBuffer(): Buffer {
    if (this.curBuf.length === 0) this.curBuf = Buffer.from(this.h.memory.buffer);
    return this.curBuf;
  }

  /** Which strategy the analysis ended up using (for --verbose and tests). */
  get strategyUsed(): string {
    return this.choice.phase;
  }

  /** How the adaptive trial ended (for --verbose and tests). */
  get trialOutcome(): TrialOutcome {
    return this.choice.outcome;
  }

  /** How many invocations the adaptive strategy marked on trial (for --verbose and tests). */
  get markedTrials(): number {
    return this.choice.trials;
  }

  /** The traced code's mark hook: `size` bytes at `addr` are about to be written. */
  readonly mark = (addr: number, size: number): void => {
    if (this.mem.length < addr + size) this.mem = this.memoryBuffer();
    this.marks.add(this.mem, addr >>> 0, size >>> 0);
  };

  /** The mark hook during the adaptive trial's marked invocation only: `mark` within a budget. */
  private readonly trialMark = (addr: number, size: number): void => {
    this.mark(addr, size);
    if (this.choice.overBudget(this.marks.total)) this.stopMarking();
  };

  /**
   * The trial invocation marks more than diffing would cost: it is finished by diffing. Its
   * starting image is memory now with every marked byte's first saved value put back (bytes
   * not marked are unchanged since entry); pages grown since the epoch began were zero. The
   * traced copy keeps running to the invocation's end, its mark hook now a Wasm no-op.
   */
  private stopMarking(): void {
    const cur = this.memoryBuffer();
    if (this.snap.length < cur.length) this.snap = Buffer.allocUnsafe(cur.length);
    cur.copy(this.snap, 0, 0, cur.length);
    this.marks.restoreSaved(this.snap);
    this.snapLen = this.epochPages * PAGE;
    this.marking = false;
    this.choice.stopMarking(this.invocation);
    const noop = new WebAssembly.Instance(new WebAssembly.Module(NOOP_MARK_MODULE)).exports.f;
    this.hooks.setWasm("mark", noop!);
  }

  /** The analyzer module's enter hook. */
  readonly enter = (): void => {
    if (this.depth++ > 0) return;
    this.marking = this.choice.marking;
    this.h.mode!.value = this.marking ? 1 : 0;
    if (this.marking) {
      this.mem = this.memoryBuffer();
      this.epochPages = this.mem.length / PAGE;
      this.marks.clear();
      this.marksAtEnter = this.marks.total;
    } else {
      const cur = this.memoryBuffer();
      if (this.snap.length < cur.length) this.snap = Buffer.allocUnsafe(cur.length);
      cur.copy(this.snap, 0, 0, cur.length);
      this.snapLen = cur.length;
      this.choice.diffed(cur.length);
    }
    this.spEntry = this.h.stackPointer ? (this.h.stackPointer.value as number) >>> 0 : 0;
    if (this.h.minStackPointer) this.h.minStackPointer.value = this.spEntry;
    for (let i = 0; i < this.globalList.length; i++) this.entryGlobals[i] = this.globalList[i]!.g.value;
    this.events = [];
  };

  /** The analyzer module's exit hook: F returned normally. */
  readonly exit = (): void => {
    if (--this.depth > 0) return;
    this.closeEpoch();
    this.recordGlobals();
    const returns = this.layout.results.map((t, i) => resultToValue(t, this.h.results[i]!));
    this.emit({ index: this.invocation, status: "returned", events: this.events, returns });
    if (this.choice.open) this.adapt();
    else if (this.marking && this.marks.total - this.marksAtEnter > this.choice.markLimit(this.mem.length)) this.marksCostly();
  };

  /** The adaptive trial after an invocation returned: marks the next one within budget, or settles. */
  private adapt(): void {
    const next = this.choice.invocationReturned(this.marks.total, this.invocation);
    if (next === "trial-marks") {
      this.hooks.setJs("mark", this.trialMark);
    } else if (next !== undefined) {
      this.hooks.setJs("mark", this.mark);
      if (next === "marks") this.enableFastPath();
    }
  }

  /**
   * The fast path's exit: F returned. Emits the marked bytes that changed outside F's frames,
   * plus (only when the flag says so) memory growth and changed globals, and F's results,
   * encoded straight from memory without event objects.
   */
  private closeFast(spEntry: number, minSp: number, flag: number): void {
    const cur = this.memoryBuffer();
    let before = NO_EVENTS;
    let after = NO_EVENTS;
    if (flag !== 0) {
      const entryPages = this.fastEntryPages();
      if (cur.length / PAGE > entryPages) before = [{ kind: "grow", fromPages: entryPages, toPages: cur.length / PAGE }];
      this.takeFastEntryGlobals();
      this.events = [];
      this.recordGlobals();
      after = this.events;
      this.events = [];
    }
    this.runs.reset(minSp >>> 0, spEntry >>> 0);
    this.marks.changedRuns(cur, MERGE_GAP, minSp >>> 0, spEntry >>> 0, this.runs.add);
    const index = this.invocation++;
    this.sinkMaybe(this.encoder.addReturnedParts({
      index, before, mem: cur, starts: this.runs.starts, ends: this.runs.ends, runs: this.runs.count, after,
      results: this.layout.results as ValType[], halves: this.halves,
    }));
  }

  /** The program ended inside a fast-path invocation: carry on with it as a hook-recorded one. */
  private adoptFastInvocation(): void {
    const fast = this.h.fast!;
    // The slot's store, when there was one, came before every mark the core holds.
    if (fast.slot.free.value === 0) {
      const size = fast.slot.size.value as number;
      const old = new Uint8Array(8);
      new DataView(old.buffer).setBigUint64(0, BigInt.asUintN(64, fast.slot.old.value as bigint), true);
      this.marks.addSaved(fast.slot.addr.value as number, size, old, 0);
    }
    this.core!.takeMarks((addr, size, saved, at) => this.marks.addSaved(addr, size, saved, at));
    this.depth = 1;
    this.marking = true;
    this.epochPages = this.fastEntryPages();
    this.takeFastEntryGlobals();
    const sp = this.globalList.findIndex((g) => g.idx === this.layout.stackPointerIdx);
    this.spEntry = sp >= 0 ? (this.entryGlobals[sp] as number) >>> 0 : 0;
    this.events = [];
  }

  /** Memory pages when the fast-path invocation entered (the pages now when its extent cannot grow memory). */
  private fastEntryPages(): number {
    return (this.h.fast!.entryPages?.value as number | undefined) ?? this.h.memory.buffer.byteLength / PAGE;
  }

  /** Globals' values when the fast-path invocation entered into entryGlobals (the values now for those its extent never sets). */
  private takeFastEntryGlobals(): void {
    const saved = this.h.fast!.entryGlobals;
    for (let i = 0; i < this.globalList.length; i++) {
      const { idx, g } = this.globalList[i]!;
      this.entryGlobals[i] = (saved.get(idx) ?? g).value;
    }
  }

  /** Wraps every WASI import. `real` performs the call. */
  onCall(name: string, args: WasiArgs, real: (...a: Array<number | bigint>) => number): number {
    const entry = WASI_TABLE[name];
    const inside = this.depth > 0;
    if (!entry || (!inside && !entry.isInput(args))) return real(...args);
    if (inside) this.closeEpoch();
    const reads = inside ? this.copyRanges(name, entry.reads(args, this.view())) : [];
    if (inside && name === "proc_exit") {
      this.events.push({ kind: "syscall", name, args: argsToBits(args), reads, writes: [], result: 0n });
      this.depth = 0;
      this.emit({ index: this.invocation, status: "exited", exitCode: Number(args[0]) >>> 0, events: this.events, returns: [] });
      return real(...args);
    }
    const result = real(...args);
    const writes = result === 0 ? this.copyRanges(name, entry.writes(args, this.view(), this.ctx)) : [];
    const call: SyscallEvent = { kind: "syscall", name, args: argsToBits(args), reads, writes, result: BigInt(result) };
    if (inside) {
      // What the call wrote is its own effect, not F's: keep it out of the next epoch's writes.
      if (!this.marking) for (const w of writes) if (w.addr + w.bytes.length <= this.snapLen) this.snap.set(w.bytes, w.addr);
      this.events.push(call);
    }
    if (entry.isInput(args)) {
      // Records still in the core come first, so blocks end where hook recording would end them.
      this.core?.flush();
      this.sinkMaybe(this.encoder.addInput({ insideF: inside, call }));
      this.syncCoreBlock();
    }
    return result;
  }

  /** The program ended (returned, exited or trapped); closes an invocation still open. */
  finish(ending: RunEnding): void {
    this.core?.flush();
    if (this.depth === 0 && this.fastOn && this.h.fast!.inside.value === 1) this.adoptFastInvocation();
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

  /** Copies what a WASI call reads or writes; a range outside memory is refused, naming the call. */
  private copyRanges(name: string, ranges: Range[]): MemoryRange[] {
    const mem = new Uint8Array(this.h.memory.buffer);
    return ranges.filter((r) => r.len > 0).map((r) => {
      if (r.addr + r.len > mem.length) throw new AlpacaError(`the program passed ${name} the range 0x${r.addr.toString(16)}+${r.len}, outside its memory: alpaca cannot record that call`);
      return { addr: r.addr, bytes: mem.slice(r.addr, r.addr + r.len) };
    });
  }

  /** Ends an epoch: records growth and every byte changed since the last epoch outside F's frames. */
  private closeEpoch(): void {
    if (this.marking) {
      this.closeMarkedEpoch();
      return;
    }
    const cur = this.memoryBuffer();
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
    // During the adaptive trial, every comparison counts as diffing cost (epochs at WASI calls too).
    this.choice.diffed(cur.length);
    const frameLo = this.lowestStackPointer();
    const frameHi = this.spEntry;
    const push = (s: number, e: number) => this.pushWrite(cur, s, e);
    diffAndSync(this.snap, cur, 0, cur.length, (s, e) => clipToOutsideFrames(s, e, frameLo, frameHi, push));
  }

  private closeMarkedEpoch(): void {
    const cur = this.memoryBuffer();
    const pages = cur.length / PAGE;
    if (pages > this.epochPages) {
      this.events.push({ kind: "grow", fromPages: this.epochPages, toPages: pages });
      this.epochPages = pages;
    }
    const frameLo = this.lowestStackPointer();
    const frameHi = this.spEntry;
    const push = (s: number, e: number) => this.pushWrite(cur, s, e);
    this.marks.changedRuns(cur, MERGE_GAP, frameLo, frameHi, (s, e) => clipToOutsideFrames(s, e, frameLo, frameHi, push));
  }

  /** The lowest stack pointer F's extent reached: the bottom of its frames (their top is spEntry). */
  private lowestStackPointer(): number {
    return this.h.minStackPointer ? (this.h.minStackPointer.value as number) >>> 0 : this.spEntry;
  }

  private pushWrite(cur: Buffer, s: number, e: number): void {
    this.events.push({ kind: "write", addr: s, bytes: new Uint8Array(cur.subarray(s, e)) });
  }

  private recordGlobals(): void {
    for (let i = 0; i < this.globalList.length; i++) {
      const { idx, g, type } = this.globalList[i]!;
      const now = g.value as unknown;
      const before = this.entryGlobals[i];
      // Object.is tells NaN from NaN as equal; a change from one NaN payload to another in a
      // float global goes unseen, so floats are compared by bit pattern.
      if ((type === "i32" || type === "i64") && Object.is(now, before)) continue;
      const v = globalToValue(type, now);
      if (type !== "i32" && type !== "i64") {
        const b = globalToValue(type, before);
        if (b.type !== "v128" && v.type !== "v128" && b.bits === v.bits) continue;
      }
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

