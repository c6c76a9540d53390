/**
 * Applies runs of an effect log's write events through the disabled module's own write applier
 * (src/wasm/apply-writes.ts), for the replayer. The applier reads the events from the guest's
 * memory, since one Wasm instance has one memory (Node 20 has no multi-memory): each call borrows
 * a scratch range of guest memory, saves its bytes, copies the log's bytes into it chunk by chunk,
 * lets the applier apply every write it can from each, and puts the saved bytes back before it
 * returns. The applier refuses writes into the scratch range, which the replay then applies
 * itself after the restore, so guest memory ends exactly as if each write had been copied one by
 * one: no byte of the log stays behind (tested byte for byte, src/runtime/bulk-writes.test.ts).
 *
 * The scratch range is the stack space just below the stack pointer when F is called: F's own
 * frames would be there, so the log has no write into its top, and the guest is not running
 * while the replay is. Without a stack pointer, the top of memory.
 */
import { ByteReader } from "../binary/index.js";
import { EVENT } from "../log/index.js";

const WRITE_TAG = EVENT.write;
/** Largest scratch range, and the range a call starts with, bytes. */
const SCRATCH_BYTES = 64 * 1024;
const FIRST_BORROW = 4 * 1024;

export interface WriteApplier {
  apply: (p: number, end: number, maxEvents: number, lo: number, hi: number) => number;
  applied: WebAssembly.Global;
  appliedBytes: WebAssembly.Global;
}

/** What one call applied: events, bytes written, and the position after the last event. */
export interface BulkResult {
  events: number;
  bytes: number;
  pos: number;
}

export const NOTHING_APPLIED: BulkResult = Object.freeze({ events: 0, bytes: 0, pos: 0 });

export class BulkWrites {
  private readonly saved = new Uint8Array(SCRATCH_BYTES);
  /** A reader over the log block being applied, for looking at an event before borrowing. */
  private reader: ByteReader | undefined;

  constructor(private readonly applier: WriteApplier, private readonly stackPointer: WebAssembly.Global | undefined) {}

  /**
   * Applies write events from src[pos, end) into `mem` (the guest's memory, current view), at
   * most `maxEvents`, chunk after chunk through the same borrowed range (saved once, put back
   * once); returns NOTHING_APPLIED when no write could be applied this way. The range starts at
   * FIRST_BORROW bytes, so that a short run of writes costs little, and grows to SCRATCH_BYTES
   * once a chunk has been mostly used (the bytes it adds are saved then, as they are then).
   */
  apply(mem: Uint8Array, src: Uint8Array, pos: number, end: number, maxEvents: number): BulkResult {
    const top = this.stackPointer ? Math.min((this.stackPointer.value as number) >>> 0, mem.length) : mem.length;
    const room = Math.min(SCRATCH_BYTES, top);
    const base = top - room;
    let lo = top - Math.min(FIRST_BORROW, room);
    if (!this.applierTakes(mem, src, pos, Math.min(end - pos, top - lo), lo, top)) return NOTHING_APPLIED;
    const { applier, saved } = this;
    let events = 0;
    let bytes = 0;
    let at = pos;
    saved.set(mem.subarray(lo, top), lo - base);
    try {
      while (events < maxEvents && at < end) {
        const len = Math.min(end - at, top - lo);
        mem.set(src.subarray(at, at + len), lo);
        const stop = applier.apply(lo, lo + len, maxEvents - events, lo, top);
        const n = applier.applied.value as number;
        if (n === 0) break;
        events += n;
        bytes += (applier.appliedBytes.value as number) >>> 0;
        at += stop - lo;
        if (lo > base && stop - lo > len / 2) {
          saved.set(mem.subarray(base, lo), 0);
          lo = base;
        }
      }
    } finally {
      mem.set(saved.subarray(lo - base, room), lo);
    }
    return events === 0 ? NOTHING_APPLIED : { events, bytes, pos: at };
  }

  /**
   * Whether the event at src[pos] (of a checked log block) is a write the applier will take: its
   * bytes within src[pos, pos + len), its destination in memory and clear of the borrowed range
   * [lo, hi). Checked before borrowing, so that a write the applier would refuse costs no copies.
   */
  private applierTakes(mem: Uint8Array, src: Uint8Array, pos: number, len: number, lo: number, hi: number): boolean {
    if (src[pos] !== WRITE_TAG) return false;
    if (this.reader?.bytes !== src) this.reader = new ByteReader(src);
    const r = this.reader;
    r.pos = pos + 1;
    const addr = r.varUint("address");
    const n = r.varUint("length");
    return r.pos + n <= pos + len && addr + n <= mem.length && !(addr < hi && addr + n > lo);
  }
}
