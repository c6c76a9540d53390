/**
 * Finds the byte ranges where linear memory differs from a snapshot, fast: 4 KiB chunks are
 * compared natively (Buffer#compare, i.e. memcmp, with offsets so nothing is allocated), a
 * differing chunk is narrowed to 64-byte blocks the same way, and only differing blocks are
 * scanned byte by byte. Runs separated by fewer than MERGE_GAP equal bytes are merged, since
 * rewriting an equal byte during replay is harmless and one record is cheaper than two.
 */
const CHUNK = 4096;
const BLOCK = 512;
/** Ranges up to this size are compared in a JS loop, cheaper than a native call. */
const SMALL = 256;
/** Changed runs closer than this are merged into one write. */
export const MERGE_GAP = 8;

/**
 * Calls `emit(start, end)` for each differing run in [from, to) and copies those bytes from
 * `cur` into `snap`, so the snapshot afterwards equals memory. Both buffers cover [from, to).
 */
export function diffAndSync(snap: Buffer, cur: Buffer, from: number, to: number, emit: (start: number, end: number) => void): void {
  if (to - from <= SMALL) {
    diffSmall(snap, cur, from, to, emit);
    return;
  }
  // Each native compare costs ~0.5 µs of call overhead: first ask once whether anything changed.
  if (cur.compare(snap, from, to, from, to) === 0) return;
  let runStart = -1;
  let runEnd = -1;
  for (let c = from; c < to; c += CHUNK) {
    const ce = Math.min(c + CHUNK, to);
    if (cur.compare(snap, c, ce, c, ce) === 0) continue;
    for (let b = c; b < ce; b += BLOCK) {
      const be = Math.min(b + BLOCK, ce);
      if (cur.compare(snap, b, be, b, be) === 0) continue;
      for (let i = b; i < be; i++) {
        if (snap[i] === cur[i]) continue;
        if (runStart >= 0 && i - runEnd < MERGE_GAP) {
          runEnd = i + 1;
        } else {
          if (runStart >= 0) emit(runStart, runEnd);
          runStart = i;
          runEnd = i + 1;
        }
      }
    }
    cur.copy(snap, c, c, ce);
  }
  if (runStart >= 0) emit(runStart, runEnd);
}

/** diffAndSync for a small range, byte by byte. */
function diffSmall(snap: Buffer, cur: Buffer, from: number, to: number, emit: (start: number, end: number) => void): void {
  let runStart = -1;
  let runEnd = -1;
  for (let i = from; i < to; i++) {
    const v = cur[i]!;
    if (snap[i] === v) continue;
    snap[i] = v;
    if (runStart >= 0 && i - runEnd < MERGE_GAP) {
      runEnd = i + 1;
    } else {
      if (runStart >= 0) emit(runStart, runEnd);
      runStart = i;
      runEnd = i + 1;
    }
  }
  if (runStart >= 0) emit(runStart, runEnd);
}
