/**
 * The marks strategy's bookkeeping for one epoch: every write the traced code is about to make
 * (address, size) with the bytes it is about to overwrite, in flat growable arrays so a mark
 * allocates nothing. At the epoch's end, `changedRuns` reconstructs each touched byte's value at
 * the start of the epoch (the first mark of a byte holds it) and reports the runs that differ
 * now, merged exactly as memory diffing merges them.
 */
import { withCapacity } from "../binary/index.js";
import { diffAndSync } from "./memory-diff.js";

/** Small copies in a JS loop: Buffer#copy and subarray cost ~0.5 µs of overhead per call. */
function copyBytes(from: Uint8Array, to: Uint8Array, start: number, end: number, at: number): void {
  if (end - start > 64) {
    to.set(from.subarray(start, end), at);
    return;
  }
  for (let i = start; i < end; i++) to[at + i - start] = from[i]!;
}

export class MarkSet {
  private addrs = new Float64Array(1024);
  private sizes = new Uint32Array(1024);
  private oldOffsets = new Uint32Array(1024);
  private old = Buffer.allocUnsafe(16384);
  private oldLength = 0;
  private image = Buffer.alloc(0);
  private order = new Uint32Array(1024);
  private rangeStarts = new Float64Array(256);
  private rangeEnds = new Float64Array(256);
  count = 0;
  /** Marks ever added (not reset by clear), for the adaptive strategy's cost estimate. */
  total = 0;

  /** Records a write of `size` bytes at `addr` whose current values were saved elsewhere: saved[at, at + size). */
  addSaved(addr: number, size: number, saved: Uint8Array, at: number): void {
    this.add(saved, at, size);
    this.addrs[this.count - 1] = addr;
  }

  /** Records a write of `size` bytes at `addr`, saving their current values from `mem`. */
  add(mem: Uint8Array, addr: number, size: number): void {
    if (this.count === this.addrs.length) this.growIndex();
    const end = Math.min(addr + size, mem.length);
    const n = Math.max(0, end - addr);
    if (this.oldLength + n > this.old.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.old.length * 2, this.oldLength + n));
      this.old.copy(bigger, 0, 0, this.oldLength);
      this.old = bigger;
    }
    if (n > 0) copyBytes(mem, this.old, addr, end, this.oldLength);
    this.addrs[this.count] = addr;
    this.sizes[this.count] = n;
    this.oldOffsets[this.count] = this.oldLength;
    this.oldLength += n;
    this.count++;
    this.total++;
  }

  /**
   * Calls `emit` for each changed run among the marked bytes (and their merge gaps); clears.
   * Marks lying deep inside [skipLo, skipHi) (F's frames, whose writes the caller drops) are
   * ignored; those within `mergeGap` of its edges are kept, since they can join a run that
   * crosses an edge, so the runs emitted are exactly those a full memory diff would give.
   */
  changedRuns(cur: Buffer, mergeGap: number, skipLo: number, skipHi: number, emit: (start: number, end: number) => void): void {
    this.dropInside(skipLo + mergeGap, skipHi - mergeGap);
    const n = this.count;
    if (n === 0) return;
    if (n === 1) {
      this.changedRunsOfOne(cur, mergeGap, emit);
      return;
    }
    if (this.order.length < n) this.order = new Uint32Array(this.addrs.length);
    const order = this.order;
    for (let i = 0; i < n; i++) order[i] = i;
    // By address: insertion sort for the usual handful of marks, a typed-array sort (n log n) else.
    if (n <= 32) {
      for (let i = 1; i < n; i++) {
        const k = order[i]!;
        const a = this.addrs[k]!;
        let j = i - 1;
        while (j >= 0 && this.addrs[order[j]!]! > a) {
          order[j + 1] = order[j]!;
          j--;
        }
        order[j + 1] = k;
      }
    } else {
      const addrs = this.addrs;
      order.subarray(0, n).sort((x, y) => addrs[x]! - addrs[y]! || x - y);
    }
    // Merge marked ranges closer than mergeGap, as memory diffing merges changed runs.
    let rangeCount = 0;
    for (let i = 0; i < n; i++) {
      const k = order[i]!;
      const s = this.addrs[k]!;
      const e = s + this.sizes[k]!;
      if (e === s) continue;
      if (rangeCount > 0 && s - this.rangeEnds[rangeCount - 1]! < mergeGap) {
        if (e > this.rangeEnds[rangeCount - 1]!) this.rangeEnds[rangeCount - 1] = e;
      } else {
        if (rangeCount === this.rangeStarts.length) this.growRanges();
        this.rangeStarts[rangeCount] = s;
        this.rangeEnds[rangeCount] = e;
        rangeCount++;
      }
    }
    // Rebuild the epoch-start values: current bytes, overwritten by each mark's saved bytes from
    // the last mark to the first, so a byte ends with the value its first mark saw.
    if (this.image.length < cur.length) this.image = Buffer.alloc(cur.length);
    const image = this.image;
    for (let r = 0; r < rangeCount; r++) copyBytes(cur, image, this.rangeStarts[r]!, this.rangeEnds[r]!, this.rangeStarts[r]!);
    for (let i = n - 1; i >= 0; i--) {
      const size = this.sizes[i]!;
      if (size > 0) copyBytes(this.old, image, this.oldOffsets[i]!, this.oldOffsets[i]! + size, this.addrs[i]!);
    }
    for (let r = 0; r < rangeCount; r++) diffAndSync(image, cur, this.rangeStarts[r]!, this.rangeEnds[r]!, emit);
    this.clear();
  }

  /**
   * changedRuns for a single mark (a small function's usual epoch): its saved bytes are the
   * epoch-start values, so they are compared with memory in place, merging runs as diffing does.
   */
  private changedRunsOfOne(cur: Buffer, mergeGap: number, emit: (start: number, end: number) => void): void {
    const addr = this.addrs[0]!;
    const size = this.sizes[0]!;
    const off = this.oldOffsets[0]!;
    const old = this.old;
    let start = -1;
    let end = -1;
    for (let i = 0; i < size; i++) {
      if (old[off + i] === cur[addr + i]) continue;
      const at = addr + i;
      if (start >= 0 && at - end < mergeGap) {
        end = at + 1;
      } else {
        if (start >= 0) emit(start, end);
        start = at;
        end = at + 1;
      }
    }
    if (start >= 0) emit(start, end);
    this.clear();
  }

  /** Removes the marks that lie entirely inside [lo, hi), keeping the others in order. */
  private dropInside(lo: number, hi: number): void {
    if (hi <= lo) return;
    let kept = 0;
    for (let i = 0; i < this.count; i++) {
      const a = this.addrs[i]!;
      if (a >= lo && a + this.sizes[i]! <= hi) continue;
      this.addrs[kept] = a;
      this.sizes[kept] = this.sizes[i]!;
      this.oldOffsets[kept] = this.oldOffsets[i]!;
      kept++;
    }
    this.count = kept;
  }

  /**
   * Puts every marked byte's value at the epoch's start into `image` (a copy of memory now), so
   * it becomes the epoch-start image for diffing; clears. Marks are applied last to first: a
   * byte ends with the value its first mark saw.
   */
  restoreSaved(image: Uint8Array): void {
    for (let i = this.count - 1; i >= 0; i--) {
      const size = this.sizes[i]!;
      if (size > 0) copyBytes(this.old, image, this.oldOffsets[i]!, this.oldOffsets[i]! + size, this.addrs[i]!);
    }
    this.clear();
  }

  clear(): void {
    this.count = 0;
    this.oldLength = 0;
  }

  private growRanges(): void {
    this.rangeStarts = withCapacity(this.rangeStarts, this.rangeStarts.length * 2);
    this.rangeEnds = withCapacity(this.rangeEnds, this.rangeEnds.length * 2);
  }

  private growIndex(): void {
    const n = this.addrs.length * 2;
    this.addrs = withCapacity(this.addrs, n);
    this.sizes = withCapacity(this.sizes, n);
    this.oldOffsets = withCapacity(this.oldOffsets, n);
  }
}
