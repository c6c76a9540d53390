// Statistics against SciPy 1.17 reference values (ttest_ind(equal_var=False), mannwhitneyu,
// t.ppf-based confidence intervals), computed once and pasted here.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  bootstrapMeanDiffCi,
  createRng,
  describeEffectSize,
  hedgesG,
  mannWhitneyU,
  median,
  quantileSorted,
  summarize,
  welchTest,
} from "./stats.js";

function close(actual: number, expected: number, rel = 1e-9): void {
  const tol = rel * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} is not within ${tol} of ${expected}`);
}

const X = [10.1, 9.8, 10.3, 10.0, 9.9, 10.2, 10.4, 9.7];
const Y = [8.9, 9.1, 9.0, 8.7, 9.3, 8.8, 9.2];
const TIES_A = [1, 2, 2, 3, 4, 4, 5];
const TIES_B = [2, 3, 3, 4, 5, 6, 6, 7];

void test("summarize: mean, median, stdev and t 95% CI", () => {
  const s = summarize(X);
  assert.equal(s.n, 8);
  close(s.mean, 10.05);
  close(s.median, 10.05);
  close(s.stdev, 0.2449489742783179);
  close(s.ci95[0], 9.845217532771589);
  close(s.ci95[1], 10.254782467228413);
  const t = summarize(Y);
  close(t.stdev, 0.21602468994692872);
  close(t.ci95[0], 8.80021048397086);
  close(t.ci95[1], 9.19978951602914);
  assert.equal(t.min, 8.7);
  assert.equal(t.max, 9.3);
});

void test("summarize: one value has no spread or CI", () => {
  const s = summarize([3]);
  assert.equal(s.mean, 3);
  assert.ok(Number.isNaN(s.stdev));
  assert.ok(Number.isNaN(s.ci95[0]));
});

void test("median and quantiles (type 7)", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(quantileSorted([1, 2, 3, 4, 5], 0.25), 2);
  assert.equal(quantileSorted([10, 20], 0.975), 19.75);
});

void test("welchTest matches scipy ttest_ind(equal_var=False)", () => {
  for (const [a, b, t, df, p] of [
    [X, Y, 8.821764529376464, 12.99571734475375, 7.565806913467168e-7],
    [TIES_A, TIES_B, -1.820930936000652, 12.914821124361161, 0.09185632645118225],
    [[5.1, 4.9, 5.3, 5.0, 5.2], [5.0, 5.2, 4.8, 5.1, 5.3], 0.1796053020267711, 7.7111334002006, 0.8620918996972377],
  ] as const) {
    const r = welchTest(a, b);
    close(r.t, t);
    close(r.df, df);
    close(r.p, p, 1e-7);
    assert.equal(r.ci95[0] > 0 || r.ci95[1] < 0, r.p < 0.05, "the CI excludes 0 exactly when p < 0.05");
  }
});

void test("welchTest on constant samples is exact", () => {
  const r = welchTest([2, 2, 2], [1, 1, 1]);
  assert.equal(r.p, 0);
  assert.deepEqual(r.ci95, [1, 1]);
  assert.equal(welchTest([1, 1], [1, 1]).p, 1);
  assert.ok(Number.isNaN(welchTest([1], [2, 3]).p));
});

void test("mannWhitneyU: exact distribution without ties", () => {
  const r = mannWhitneyU(X, Y);
  assert.equal(r.u, 56);
  assert.equal(r.method, "exact");
  close(r.p, 0.0003108003108003108);
  const c = mannWhitneyU([5.1, 4.9, 5.3, 5.0, 5.2], [5.0, 5.2, 4.8, 5.1, 5.3]);
  // Ties present (5.0, 5.1, 5.2, 5.3) → normal approximation; scipy exact gives 1.0 here too.
  close(c.u, 13);
  assert.ok(c.p > 0.9);
});

void test("mannWhitneyU: 20 × 25 exact matches scipy", () => {
  const u = [0.3456, 0.8216, 0.3304, -1.3032, 0.9054, 0.4464, -0.537, 0.5811, 0.3646, 0.2941, 0.0284, 0.5467, -0.7365, -0.1629, -0.4821, 0.5988, 0.0397, -0.2925, -0.7819, -0.2572];
  const v = [0.8081, 0.5244, 2.0941, 1.8067, -1.9112, -1.089, 0.6252, 0.3778, 1.0136, 1.0173, 2.9178, -0.312, 0.4224, 2.8428, 1.4467, 1.4631, 0.286, -0.8481, 0.9675, 0.909, -0.4274, 0.1168, 0.728, -0.1448, 0.7017];
  const r = mannWhitneyU(u, v);
  assert.equal(r.u, 145);
  assert.equal(r.method, "exact");
  close(r.p, 0.01591919219307563, 1e-9);
});

void test("mannWhitneyU: ties use the corrected normal approximation", () => {
  const r = mannWhitneyU(TIES_A, TIES_B);
  assert.equal(r.method, "normal");
  assert.equal(r.u, 14.5);
  close(r.p, 0.12760278918146736, 1e-9);
});

void test("hedgesG and its description", () => {
  close(hedgesG(X, Y), 4.258758530540714);
  close(hedgesG(TIES_A, TIES_B), -0.8729603892717773);
  assert.equal(describeEffectSize(4.26), "huge");
  assert.equal(describeEffectSize(-0.87), "large");
  assert.equal(describeEffectSize(0.1), "negligible");
});

void test("bootstrap CI: reproducible, brackets the difference, exact for constant samples", () => {
  const a = bootstrapMeanDiffCi(X, Y, { random: createRng(7) });
  const b = bootstrapMeanDiffCi(X, Y, { random: createRng(7) });
  assert.deepEqual(a, b);
  const diff = 10.05 - 9.0;
  assert.ok(a[0] < diff && diff < a[1], `${a.join("..")} brackets ${diff}`);
  // Close to the Welch interval (normal theory) for these well-behaved samples.
  const w = welchTest(X, Y);
  assert.ok(Math.abs(a[0] - w.ci95[0]) < 0.12 && Math.abs(a[1] - w.ci95[1]) < 0.12, `${a.join("..")} vs ${w.ci95.join("..")}`);
  assert.deepEqual(bootstrapMeanDiffCi([3, 3, 3], [1, 1]), [2, 2]);
});

void test("createRng is uniform enough and deterministic", () => {
  const r = createRng(42);
  let sum = 0;
  for (let i = 0; i < 10000; i++) {
    const x = r();
    assert.ok(x >= 0 && x < 1);
    sum += x;
  }
  assert.ok(Math.abs(sum / 10000 - 0.5) < 0.01);
  assert.equal(createRng(1)(), createRng(1)());
});
