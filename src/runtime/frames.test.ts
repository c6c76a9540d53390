/** Cutting changed runs around F's frames: what is kept of a run below, inside, across and around a non-empty frame. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { clipToOutsideFrames } from "./frames.js";

const clip = (s: number, e: number, lo: number, hi: number): Array<[number, number]> => {
  const out: Array<[number, number]> = [];
  clipToOutsideFrames(s, e, lo, hi, (a, b) => out.push([a, b]));
  return out;
};

describe("F's frames", () => {
  // F's frames: [1000, 1100), 100 bytes of stack below the entry stack pointer 1100.
  const lo = 1000;
  const hi = 1100;
  it("keeps a run wholly below or wholly above the frames", () => {
    assert.deepEqual(clip(100, 200, lo, hi), [[100, 200]]);
    assert.deepEqual(clip(1100, 1108, lo, hi), [[1100, 1108]]);
  });
  it("drops a run wholly inside the frames, edges included", () => {
    assert.deepEqual(clip(1000, 1100, lo, hi), []);
    assert.deepEqual(clip(1040, 1048, lo, hi), []);
  });
  it("keeps the outside part of a run that crosses one edge", () => {
    assert.deepEqual(clip(990, 1010, lo, hi), [[990, 1000]]);
    assert.deepEqual(clip(1096, 1104, lo, hi), [[1100, 1104]]);
  });
  it("keeps both outside parts of a run that spans the frames", () => {
    assert.deepEqual(clip(900, 1200, lo, hi), [[900, 1000], [1100, 1200]]);
  });
  it("with empty frames (lo = hi) keeps everything, split where the frames would be", () => {
    assert.deepEqual(clip(1090, 1110, 1100, 1100), [[1090, 1100], [1100, 1110]]);
    assert.deepEqual(clip(10, 20, 1100, 1100), [[10, 20]]);
  });
  it("emits nothing for an empty run", () => {
    assert.deepEqual(clip(500, 500, lo, hi), []);
  });
});
