/** Memory diffing: exact runs, merging of close runs, and the snapshot brought up to date. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { diffAndSync } from "./memory-diff.js";

function runs(snap: Buffer, cur: Buffer): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  diffAndSync(snap, cur, 0, cur.length, (s, e) => out.push([s, e]));
  return out;
}

describe("memory diff", () => {
  it("finds nothing in equal memory", () => {
    assert.deepEqual(runs(Buffer.alloc(10000, 3), Buffer.alloc(10000, 3)), []);
  });
  it("finds single bytes, chunk-crossing runs, and the last byte", () => {
    const snap = Buffer.alloc(3 * 4096);
    const cur = Buffer.alloc(3 * 4096);
    cur[0] = 1;
    cur.fill(2, 4090, 4100);
    cur[cur.length - 1] = 9;
    assert.deepEqual(runs(snap, cur), [[0, 1], [4090, 4100], [cur.length - 1, cur.length]]);
    assert.deepEqual(snap, cur, "snapshot synced");
  });
  it("merges runs separated by fewer than 8 equal bytes, keeps farther ones apart", () => {
    const snap = Buffer.alloc(100);
    const cur = Buffer.alloc(100);
    cur[10] = 1;
    cur[15] = 1;
    cur[40] = 1;
    assert.deepEqual(runs(snap, cur), [[10, 16], [40, 41]]);
  });
});
