/** Aggregating V8 CPU profiles of a Wasm run: frames to function indices by body offset, inclusive and self time, nesting. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { WasmModule } from "../wasm/index.js";
import { aggregateCpuProfile, type V8CpuProfile } from "./call-profile.js";

// Three defined functions after two imports: indices 2, 3, 4 at body offsets 100, 200, 300.
const MODULE = { importedFuncCount: 2, bodies: [{ offset: 100 }, { offset: 200 }, { offset: 300 }] } as unknown as WasmModule;
const wasm = (offset: number) => ({ url: "wasm://wasm/00abcdef", columnNumber: offset });
const js = { url: "file:///x.js", columnNumber: 5 };

/**
 * root → (program) and root → js → f2 (main) → f3 (kernel) → js (a WASI call) ; f2 → f4 → f4 (recursion).
 * Samples, 1 ms apart: main ×1, kernel ×4, kernel's WASI call ×2, f4 ×1, f4-in-f4 ×2, idle ×2.
 */
const PROFILE: V8CpuProfile = {
  nodes: [
    { id: 1, callFrame: { url: "", columnNumber: -1 }, children: [2, 9] },
    { id: 2, callFrame: js, children: [3] },
    { id: 3, callFrame: wasm(100), children: [4, 6] },
    { id: 4, callFrame: wasm(200), children: [5] },
    { id: 5, callFrame: js },
    { id: 6, callFrame: wasm(300), children: [7] },
    { id: 7, callFrame: wasm(300) },
    { id: 9, callFrame: { url: "", columnNumber: -1 } },
  ],
  startTime: 0,
  endTime: 12_000,
  samples: [3, 4, 4, 5, 4, 5, 4, 6, 7, 7, 9, 9],
  timeDeltas: Array.from({ length: 12 }, () => 1000),
};

describe("call profile", () => {
  const p = aggregateCpuProfile(PROFILE, MODULE, new Map([[2, 1], [3, 40], [4, 3]]));
  const fn = (i: number) => p.functions.find((f) => f.index === i)!;
  it("maps frames to functions by body offset and adds up inclusive and self time", () => {
    assert.equal(p.samples, 12);
    assert.ok(Math.abs(p.guestSeconds - 0.01) < 1e-9, `guest ${p.guestSeconds}`);
    assert.ok(Math.abs(fn(2).inclusiveSeconds - 0.01) < 1e-9);
    assert.ok(Math.abs(fn(2).selfSeconds - 0.001) < 1e-9);
    // kernel's WASI calls (host frames under it) are its own time.
    assert.ok(Math.abs(fn(3).inclusiveSeconds - 0.006) < 1e-9 && Math.abs(fn(3).selfSeconds - 0.006) < 1e-9);
    // Recursion counts once per sample.
    assert.ok(Math.abs(fn(4).inclusiveSeconds - 0.003) < 1e-9);
    assert.deepEqual(p.functions.map((f) => f.calls), [1, 40, 3]);
  });
  it("records nesting between functions, not of a function in itself", () => {
    const n = (o: number, i: number) => p.nested.find((x) => x.outer === o && x.inner === i)?.seconds ?? 0;
    assert.ok(Math.abs(n(2, 3) - 0.006) < 1e-9);
    assert.ok(Math.abs(n(2, 4) - 0.003) < 1e-9);
    assert.equal(n(4, 4), 0);
    assert.equal(n(3, 2), 0);
  });
  it("lists a function that was called but never sampled", () => {
    const q = aggregateCpuProfile({ ...PROFILE, samples: [9], timeDeltas: [1000] }, MODULE, new Map([[3, 7]]));
    assert.deepEqual(q.functions, [{ index: 3, calls: 7, selfSeconds: 0, inclusiveSeconds: 0 }]);
  });
});
