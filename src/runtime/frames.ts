/**
 * F's own stack frames hold none of its effects: analysis drops every changed byte in
 * [lowest stack pointer seen, stack pointer at F's entry). This is the one place that cuts a
 * changed run around them, for the diff strategy, the marks strategy, the fast path's slow exits
 * and the tests that model them (the recorder core, recorder-core.c changed_runs, does the same
 * in C, and its test compares the two).
 */
import { withCapacity } from "../binary/index.js";

/**
 * Calls `emit` with the parts of the changed run [s, e) outside F's frames [lo, hi): none, one
 * or two. A run that spans the frames comes out as two parts even when the frames are empty
 * (lo = hi), which is how every log has been written.
 */
export function clipToOutsideFrames(s: number, e: number, lo: number, hi: number, emit: (s: number, e: number) => void): void {
  if (s < lo) {
    const end = Math.min(e, lo);
    if (end > s) emit(s, end);
  }
  if (e > hi) {
    const start = Math.max(s, hi);
    if (e > start) emit(start, e);
  }
}

/**
 * One invocation's changed runs outside F's frames, in the typed arrays the log encoder takes
 * (LogEncoder.addReturnedParts): reset() with the invocation's frames, then add() each changed
 * run (a MarkSet.changedRuns callback, allocated once).
 */
export class OutsideFrameRuns {
  starts = new Float64Array(64);
  ends = new Float64Array(64);
  count = 0;
  private lo = 0;
  private hi = 0;

  /** Starts an invocation whose frames are [lo, hi). */
  reset(lo: number, hi: number): void {
    this.lo = lo;
    this.hi = hi;
    this.count = 0;
  }

  /** A changed run [s, e): its parts outside the frames are kept. */
  readonly add = (s: number, e: number): void => clipToOutsideFrames(s, e, this.lo, this.hi, this.push);

  private readonly push = (s: number, e: number): void => {
    if (this.count === this.starts.length) {
      this.starts = withCapacity(this.starts, this.count * 2);
      this.ends = withCapacity(this.ends, this.count * 2);
    }
    this.starts[this.count] = s;
    this.ends[this.count] = e;
    this.count++;
  };
}
