/** Choosing what `alpaca profile` measures: the three rules of candidates.ts on made-up profiles. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { CallProfile, NestedTime } from "../runtime/call-profile.js";
import { chooseCandidates } from "./candidates.js";

const NAMES: Record<number, string> = { 1: "_start", 2: "main", 3: "kernel", 4: "tiny", 5: "print_report", 6: "printf", 7: "compute", 8: "leaf_a", 9: "leaf_b", 10: "rare" };

/** A profile of 1 s of guest time from each function's inclusive and self seconds and nesting. */
function profile(fns: Array<[index: number, inclusive: number, self: number, calls?: number]>, nested: NestedTime[]): CallProfile {
  return {
    durationSeconds: 1,
    guestSeconds: 1,
    samples: 5000,
    sampleIntervalUs: 200,
    functions: fns.map(([index, inclusiveSeconds, selfSeconds, calls]) => ({ index, inclusiveSeconds, selfSeconds, calls: calls ?? 1 })),
    nested,
  };
}

const nest = (outer: number, inner: number, seconds: number): NestedTime => ({ outer, inner, seconds });
const choose = (p: CallProfile, top = 8) => chooseCandidates(p, (i) => NAMES[i] ?? `f${i}`, top);

describe("profile candidates", () => {
  it("skips the functions the whole program passes through, and ranks the rest by inclusive time", () => {
    const p = profile([[1, 1, 0], [2, 0.999, 0.05], [3, 0.6, 0.6], [4, 0.2, 0.2, 1e6]], [nest(1, 2, 0.999), nest(1, 3, 0.6), nest(2, 3, 0.6), nest(1, 4, 0.2), nest(2, 4, 0.2)]);
    const c = choose(p);
    assert.deepEqual(c.chosen.map((x) => x.name), ["kernel", "tiny"]);
    assert.deepEqual(c.skipped.map((x) => x.name), ["_start", "main"]);
    assert.match(c.skipped[0]!.reason, /disabling it disables the program/);
    assert.equal(c.chosen[1]!.calls, 1e6);
    assert.equal(c.chosen[0]!.timeShare, 0.6);
  });
  it("keeps the outer of two functions that are the same time (a printing function and its printf)", () => {
    const p = profile([[2, 1, 0], [5, 0.3, 0.01], [6, 0.29, 0.05], [3, 0.5, 0.5]], [nest(2, 5, 0.3), nest(2, 6, 0.29), nest(5, 6, 0.29), nest(2, 3, 0.5)]);
    const c = choose(p);
    assert.deepEqual(c.chosen.map((x) => x.name), ["kernel", "print_report"]);
    const printf = c.skipped.find((s) => s.name === "printf");
    assert.match(printf?.reason ?? "", /the same time as print_report/);
  });
  it("leaves out a function most of whose time is other candidates', and lets the next one in", () => {
    // compute (0.8 s) = leaf_a (0.45 s) + leaf_b (0.3 s) + 0.05 s of its own; tiny 0.1 s elsewhere.
    const p = profile(
      [[2, 1, 0], [7, 0.8, 0.05], [8, 0.45, 0.45], [9, 0.3, 0.3], [4, 0.1, 0.1]],
      [nest(2, 7, 0.8), nest(2, 8, 0.45), nest(2, 9, 0.3), nest(2, 4, 0.1), nest(7, 8, 0.45), nest(7, 9, 0.3)],
    );
    const top3 = choose(p, 3);
    assert.deepEqual(top3.chosen.map((x) => x.name), ["leaf_a", "leaf_b", "tiny"]);
    assert.match(top3.skipped.find((s) => s.name === "compute")?.reason ?? "", /most of its time is in leaf_a, leaf_b/);
  });
  it("keeps a caller whose callees are not chosen, and one with time of its own", () => {
    // compute spends 0.6 of its 0.8 s itself: its callee leaf_a (0.2 s) does not make it a container.
    const p = profile([[2, 1, 0], [7, 0.8, 0.6], [8, 0.2, 0.2]], [nest(2, 7, 0.8), nest(2, 8, 0.2), nest(7, 8, 0.2)]);
    assert.deepEqual(choose(p).chosen.map((x) => x.name), ["compute", "leaf_a"]);
  });
  it("ignores functions below the sampler's resolution or 1% of the time, and honours --top", () => {
    const p = profile([[3, 0.5, 0.5], [4, 0.3, 0.3], [9, 0.1, 0.1], [8, 0.009, 0.009, 3], [10, 0.0004, 0.0004, 7]], []);
    assert.deepEqual(choose(p, 2).chosen.map((x) => x.name), ["kernel", "tiny"]);
    assert.deepEqual(choose(p).chosen.map((x) => x.name), ["kernel", "tiny", "leaf_b"]);
  });
});
