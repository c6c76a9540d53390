/**
 * Finds the byte ranges where linear memory differs from a snapshot, fast: whole chunks are
 * compared natively (Buffer.compare, i.e. memcmp) and only differing chunks are scanned byte by
 * byte. Runs separated by fewer than MERGE_GAP equal bytes are merged, since rewriting an equal
 * byte during replay is harmless and one record is cheaper than two.
 */
const CHUNK = 4096;
const MERGE_GAP = 8;

/**
 * Calls `emit(start, end)` for each differing run in [from, to) and copies those bytes from
 * `cur` into `snap`, so the snapshot afterwards equals memory. Both buffers cover [from, to).
 */
export function diffAndSync(snap: Buffer, cur: Buffer, from: number, to: number, emit: (start: number, end: number) => void): void {
  let runStart = -1;
  let runEnd = -1;
  for (let c = from; c < to; c += CHUNK) {
    const e = Math.min(c + CHUNK, to);
    if (Buffer.compare(snap.subarray(c, e), cur.subarray(c, e)) === 0) continue;
    for (let i = c; i < e; i++) {
      if (snap[i] === cur[i]) continue;
      if (runStart >= 0 && i - runEnd < MERGE_GAP) {
        runEnd = i + 1;
      } else {
        if (runStart >= 0) emit(runStart, runEnd);
        runStart = i;
        runEnd = i + 1;
      }
    }
    cur.copy(snap, c, c, e);
  }
  if (runStart >= 0) emit(runStart, runEnd);
}
