/**
 * F's own stack frames hold none of its effects: analysis drops every changed byte in
 * [lowest stack pointer seen, stack pointer at F's entry). This is the one place that cuts a
 * changed run around them, for the diff strategy, the marks strategy, the fast path's slow exits
 * and the tests that model them (the recorder core, recorder-core.c changed_runs, does the same
 * in C, and its test compares the two).
 */

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
