/**
 * Finds the byte ranges where linear memory differs from a snapshot, fast: 4 KiB chunks are
 * compared natively (Buffer#compare, i.e. memcmp, with offsets so nothing is allocated), a
 * differing chunk is narrowed to 512-byte blocks the same way, and only differing blocks are
 * scanned byte by byte; small ranges are scanned directly, cheaper than a native call. Runs
 * separated by fewer than MERGE_GAP equal bytes are merged, since rewriting an equal byte during
 * replay is harmless and one record is cheaper than two.
 */
const CHUNK = 4096;
const BLOCK = 512;
/** Ranges up to this size are compared in a JS loop. */
const SMALL = 256;
/** Changed runs closer than this are merged into one write. */
export const MERGE_GAP = 8;

/** The changed run being built, carried across scanned blocks; start < 0 when there is none. */
interface OpenRun {
  start: number;
  end: number;
}

/** Scans [from, to) byte by byte, syncing `snap` and extending or emitting runs. */
function scanBytes(snap: Buffer, cur: Buffer, from: number, to: number, run: OpenRun, emit: (start: number, end: number) => void): void {
  for (let i = from; i < to; i++) {
    const v = cur[i]!;
    if (snap[i] === v) continue;
    snap[i] = v;
    if (run.start >= 0 && i - run.end < MERGE_GAP) {
      run.end = i + 1;
    } else {
      if (run.start >= 0) emit(run.start, run.end);
      run.start = i;
      run.end = i + 1;
    }
  }
}

/**
 * Calls `emit(start, end)` for each differing run in [from, to) and copies those bytes from
 * `cur` into `snap`, so the snapshot afterwards equals memory. Both buffers cover [from, to).
 */
export function diffAndSync(snap: Buffer, cur: Buffer, from: number, to: number, emit: (start: number, end: number) => void): void {
  const run: OpenRun = { start: -1, end: -1 };
  if (to - from <= SMALL) {
    scanBytes(snap, cur, from, to, run, emit);
  } else if (cur.compare(snap, from, to, from, to) !== 0) {
    for (let c = from; c < to; c += CHUNK) {
      const ce = Math.min(c + CHUNK, to);
      if (cur.compare(snap, c, ce, c, ce) === 0) continue;
      for (let b = c; b < ce; b += BLOCK) {
        const be = Math.min(b + BLOCK, ce);
        if (cur.compare(snap, b, be, b, be) !== 0) scanBytes(snap, cur, b, be, run, emit);
      }
    }
  }
  if (run.start >= 0) emit(run.start, run.end);
}
