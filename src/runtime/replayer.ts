/**
 * Disabling: the disabled module's F calls the replay hook, which reads invocation k from the log
 * and applies its effects as they are read, in recorded order (writes, globals, memory growth,
 * WASI calls), then leaves F's results in the carrier globals. Write bytes are copied straight
 * from the log's bytes into guest memory: no event objects, and memory use is the log's size
 * whatever the number of invocations. Output calls are re-executed with their recorded inputs
 * (including bytes that lived in F's frames), input calls are answered from the log, proc_exit
 * ends the program. Re-executed calls whose results differ from the log produce a warning, or an
 * error in strict mode. Every write is bounds-checked.
 *
 * In a control run (the energy comparison's third variant) the hook is called after F has run,
 * and applies only the invocation's memory effects: writes, globals, and the bytes its WASI calls
 * wrote, all from the log and in recorded order, so memory ends as F left it. No call is
 * re-executed, memory does not grow again, and F's own results stand.
 */
import { BlockCursor, InvocationCursor, type EventVisitor, type InvocationEnd, type OpenedLog, type SyscallEvent, type Value } from "../log/index.js";
import { copyBytes } from "../binary/index.js";
import { ReplayError } from "../errors/index.js";
import { WASI_TABLE, bitsToArgs, writeParts, type WasmValType } from "../wasm/index.js";
import type { ReplayStats } from "../backend/index.js";
import { setResult, valueToGlobal, type GuestHandles } from "./guest-handles.js";
import { BulkWrites } from "./bulk-writes.js";
import type { ReplayCore } from "./replay-core.js";

const PAGE = 65536;

/** Thrown to end the run the way the analyzed invocation ended: by a trap. */
export class ReplayedTrap extends Error {}

export interface ReplayOptions {
  /** disable: replay instead of F; control: apply the memory effects again after F ran. */
  variant: "disable" | "control";
  onExtraCalls: "error" | "run";
  strict: boolean;
  warn: (message: string) => void;
  now: () => bigint;
}

/**
 * Where the next record comes from when the replay core shares the log: the core reads whole
 * blocks; where it stops at a record it leaves to the host, this reads that record (BlockCursor)
 * and gives the block back when the next record cannot repeat it, else reads on to the block's
 * end and gives the core the next block. Blocks too large for the core are read here.
 */
export class SharedBlocks {
  private block = -1;
  private readonly cursor: BlockCursor;
  /** This side reads the current block (else the core does). */
  private ours = false;

  constructor(private readonly log: OpenedLog, private readonly core: ReplayCore) {
    this.cursor = new BlockCursor(log);
    this.handOff(0);
  }

  private handOff(block: number): void {
    this.block = block;
    const b = this.log.invocationBlocks[block];
    this.ours = b !== undefined && !this.core.loadBlock(b.payload);
    if (this.ours) this.cursor.open(block, 0, 0);
  }

  /** The next record: read here (its events handed to `visitor`), "core" when the core applied it, undefined after the last. */
  next(visitor: EventVisitor): InvocationEnd | "core" | undefined {
    for (;;) {
      const b = this.log.invocationBlocks[this.block];
      if (!b) return undefined;
      if (!this.ours) {
        if (this.core.owned && this.core.next()) return "core";
        if (this.core.deferPos >= b.length) {
          this.handOff(this.block + 1);
          continue;
        }
        this.cursor.open(this.block, this.core.resumePos, this.core.deferPos);
        this.ours = true;
      }
      const inv = this.cursor.next(visitor);
      if (this.cursor.isAtEnd()) this.handOff(this.block + 1);
      else if (!this.cursor.repeatable) {
        this.core.resume(this.cursor.pos);
        this.ours = false;
      }
      if (inv) return inv;
    }
  }
}

export class Replayer implements EventVisitor {
  private h!: GuestHandles;
  private mem = new Uint8Array(0);
  /** Calls of F handled here (the replay core counts its own). */
  private hostCalls = 0;
  private source: { next(visitor: EventVisitor): InvocationEnd | "core" | undefined };
  private core: ReplayCore | undefined;
  /** The invocation being applied, for error messages. */
  private current = 0;
  private readonly hostStats: ReplayStats = { invocations: 0, bytesWritten: 0, callsReexecuted: 0, callsAnswered: 0, replayNs: 0 };
  /** EventVisitor: runs of writes applied by the module's write applier (bulk-writes.ts), when the module has one. */
  bulkWrites: EventVisitor["bulkWrites"];

  constructor(
    private readonly log: OpenedLog,
    private readonly globalTypes: Map<number, WasmValType>,
    private readonly realCall: (name: string, args: Array<number | bigint>) => number,
    private readonly options: ReplayOptions,
  ) {
    const cursor = new InvocationCursor(log);
    this.source = { next: (visitor) => cursor.next(visitor) };
  }

  /** What the replay did: the host's work and the replay core's (whose time is not measured: it has no clock). */
  get stats(): ReplayStats {
    const s = { ...this.hostStats };
    if (this.core) {
      s.invocations += this.core.applied;
      s.bytesWritten += this.core.appliedBytes;
    }
    return s;
  }

  /** `core`: the replay core the module's F body calls first (RewriteLayout.replayCore). */
  attach(h: GuestHandles, core?: ReplayCore): void {
    this.h = h;
    if (core) {
      this.core = core;
      this.source = new SharedBlocks(this.log, core);
    }
    const bulk = h.applier ? new BulkWrites(h.applier, h.stackPointer) : undefined;
    this.bulkWrites = bulk
      ? (src, pos, end, maxEvents) => {
        const done = bulk.apply(this.mem, src, pos, end, maxEvents);
        this.hostStats.bytesWritten += done.bytes;
        return done;
      }
      : undefined;
  }

  /** Calls of F seen so far. */
  get calls(): number {
    return this.hostCalls + (this.core?.applied ?? 0);
  }

  /** The disabled module's replay hook: F was called. */
  readonly replay = (): void => {
    const k = this.calls;
    this.hostCalls++;
    const control = this.options.variant === "control";
    if (k >= this.log.invocationCount) {
      if (control) return; // F ran; there is nothing logged to apply (run-wasm warns at exit).
      if (this.options.onExtraCalls === "run") {
        this.h.runOriginal!.value = 1;
        return;
      }
      throw new ReplayError(
        `${this.log.header.functionName} was called ${k + 1} times but the log has ${this.log.invocationCount} invocations (invocation ${k} is not logged; use --on-extra-calls=run to run the original for extra calls)`,
      );
    }
    const t0 = this.options.now();
    if (!control) this.h.runOriginal!.value = 0;
    this.current = k;
    this.refreshMemory();
    let inv: InvocationEnd | "core" | undefined;
    try {
      // openLog checked every record, so the source has invocation k here.
      inv = this.source.next(this)!;
    } finally {
      this.hostStats.replayNs += Number(this.options.now() - t0);
      // Counted even when the record ended the program (proc_exit) or trapped while applied.
      if (inv !== "core") this.hostStats.invocations++;
    }
    if (inv === "core") {
      // Applied by the core, called from here at a block's start: its count is the core's.
      this.hostCalls--;
      const type = this.log.header.results[0];
      if (!control && type !== undefined && type !== "v128") setResult(this.h.results[0]!, { type, bits: this.core!.resultBitsValue });
      return;
    }
    const { returns, status, exitCode, trapMessage } = inv;
    if (control) return; // F's own results and ending stand.
    if (status === "trapped") throw new ReplayedTrap(trapMessage ?? "trap");
    if (status === "exited") {
      throw new ReplayError(`invocation ${k} ended the program with exit code ${exitCode ?? 0} but its log holds no proc_exit call`);
    }
    for (let i = 0; i < returns.length; i++) setResult(this.h.results[i]!, returns[i]!);
  };

  /** EventVisitor: guest memory, for the decoder to copy writes into directly. */
  get memory(): Uint8Array {
    return this.mem;
  }

  /** EventVisitor: the decoder copied this many write bytes into `memory`. */
  wrote(bytes: number): void {
    this.hostStats.bytesWritten += bytes;
  }

  /** EventVisitor: bytes F wrote outside its frames. */
  write(addr: number, src: Uint8Array, offset: number, length: number): void {
    const mem = this.mem;
    if (addr + length > mem.length) {
      throw new ReplayError(`invocation ${this.current}: write of ${length} bytes at 0x${addr.toString(16)} is outside memory (${mem.length} bytes)`);
    }
    copyBytes(mem, addr, src, offset, offset + length);
    this.hostStats.bytesWritten += length;
  }

  /** EventVisitor: a mutable global's final value. */
  global(index: number, value: Value): void {
    const g = this.h.globals.get(index);
    const type = this.globalTypes.get(index);
    if (!g || !type) throw new ReplayError(`invocation ${this.current}: global ${index} is not a mutable global of this module`);
    if (value.type !== type) throw new ReplayError(`invocation ${this.current}: global ${index} is ${type}, the log gives it a ${value.type}`);
    g.value = valueToGlobal(type, value);
  }

  /** EventVisitor: memory growth. */
  grow(fromPages: number, toPages: number): void {
    const pages = this.h.memory.buffer.byteLength / PAGE;
    if (this.options.variant === "control") {
      // F grew memory itself; later writes of this invocation may lie in the new pages.
      if (pages < toPages) throw new ReplayError(`invocation ${this.current}: memory has ${pages} pages after F ran where the analyzed run had ${toPages}`);
      this.refreshMemory();
      return;
    }
    if (pages !== fromPages) {
      throw new ReplayError(`invocation ${this.current}: memory has ${pages} pages where the analyzed run had ${fromPages}`);
    }
    try {
      this.h.memory.grow(toPages - fromPages);
    } catch (cause) {
      // Fewer pages than before, or more than the module's maximum (or the engine's): not a growth this program made.
      throw new ReplayError(`invocation ${this.current}: memory cannot grow from ${fromPages} to ${toPages} pages`, { cause });
    }
    this.refreshMemory();
  }

  /**
   * Remakes the view of linear memory when growth replaced its ArrayBuffer. Called when an
   * invocation starts and after a grow event: only those can change memory during a replay, and
   * reading `memory.buffer` per write would cost more than most writes.
   */
  private refreshMemory(): void {
    const ab = this.h.memory.buffer;
    if (this.mem.buffer !== ab) this.mem = new Uint8Array(ab);
  }

  private writeRange(addr: number, bytes: Uint8Array): void {
    this.write(addr, bytes, 0, bytes.length);
  }

  /** EventVisitor: a WASI call inside F. */
  syscall(e: SyscallEvent): void {
    const invocation = this.current;
    const entry = WASI_TABLE[e.name];
    if (!entry) throw new ReplayError(`invocation ${invocation}: unknown WASI call ${e.name} in the log`);
    if (e.args.length !== entry.params.length) {
      throw new ReplayError(`invocation ${invocation}: ${e.name} takes ${entry.params.length} arguments, the log gives it ${e.args.length}`);
    }
    const args = bitsToArgs(e.args, entry.params);
    const policy = entry.policy(args);
    if (policy === "answer" || this.options.variant === "control") {
      for (const w of e.writes) this.writeRange(w.addr, w.bytes);
      this.hostStats.callsAnswered++;
      return;
    }
    for (const r of e.reads) this.writeRange(r.addr, r.bytes);
    this.hostStats.callsReexecuted++;
    const result = this.realCall(e.name, args);
    if (BigInt(result) !== e.result) {
      this.mismatch(`invocation ${invocation}: ${e.name} returned ${result}, the analyzed run got ${e.result}`);
      return;
    }
    // Only the bytes the program determines are compared (wasi-table.ts writeParts); padding the
    // host leaves as it was gets the analyzed run's bytes, so memory ends as it did then.
    const mem = this.mem;
    for (const w of e.writes) {
      const parts = writeParts(entry, args, { addr: w.addr, len: w.bytes.length });
      for (const c of parts.compare) {
        const logged = w.bytes.subarray(c.addr - w.addr, c.addr - w.addr + c.len);
        if (Buffer.compare(mem.subarray(c.addr, c.addr + c.len), logged) !== 0) {
          this.mismatch(`invocation ${invocation}: ${e.name} wrote different bytes at 0x${c.addr.toString(16)} than in the analyzed run`);
          return;
        }
      }
      for (const u of parts.untouched) this.write(u.addr, w.bytes, u.addr - w.addr, u.len);
    }
  }

  private mismatch(message: string): void {
    if (this.options.strict) throw new ReplayError(`${message} (--strict)`);
    this.options.warn(message);
  }
}
