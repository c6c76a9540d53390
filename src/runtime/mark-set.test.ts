/**
 * MarkSet: the runs it reports equal those of a full memory diff over the same change, for few
 * and for very many unordered marks (hundreds of thousands must stay fast: n log n, not n²).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MarkSet } from "./mark-set.js";
import { diffAndSync, MERGE_GAP } from "./memory-diff.js";

/** Applies `writes` to a copy of `base` with marks, and compares MarkSet's runs with a diff's. */
function compare(size: number, writes: Array<[number, Uint8Array]>): void {
  const base = Buffer.alloc(size);
  for (let i = 0; i < size; i++) base[i] = (i * 7) & 0xff;
  const cur = Buffer.from(base);
  const marks = new MarkSet();
  for (const [addr, bytes] of writes) {
    marks.add(cur, addr, bytes.length);
    cur.set(bytes, addr);
  }
  const fromMarks: Array<[number, number]> = [];
  marks.changedRuns(cur, MERGE_GAP, 0, 0, (s, e) => fromMarks.push([s, e]));
  const fromDiff: Array<[number, number]> = [];
  diffAndSync(Buffer.from(base), cur, 0, size, (s, e) => fromDiff.push([s, e]));
  assert.deepEqual(fromMarks, fromDiff);
}

function randomWrites(count: number, size: number, seed: number): Array<[number, Uint8Array]> {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) >>> 0);
  return Array.from({ length: count }, () => {
    const len = 1 + (next() % 8);
    const addr = next() % (size - len);
    return [addr, Uint8Array.from({ length: len }, () => next() & 0xff)] as [number, Uint8Array];
  });
}

describe("mark set", () => {
  it("reports what a diff reports, including rewrites of a byte back to its value", () => {
    compare(4096, [[10, new Uint8Array([1, 2])], [11, new Uint8Array([(11 * 7) & 0xff])], [100, new Uint8Array([9])], [104, new Uint8Array([8])]]);
  });
  it("handles a few random writes", () => compare(65536, randomWrites(20, 65536, 1)));
  it("handles 300,000 unordered writes quickly", () => {
    const t0 = performance.now();
    compare(1 << 20, randomWrites(300_000, 1 << 20, 7));
    assert.ok(performance.now() - t0 < 20_000, "too slow");
  });
});
