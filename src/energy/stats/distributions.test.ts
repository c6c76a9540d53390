// Distribution functions against SciPy 1.17 reference values (scipy.stats.t / norm).
import { test } from "node:test";
import assert from "node:assert/strict";
import { logGamma, normalCdf, studentTCdf, studentTQuantile, studentTTwoSided } from "./distributions.js";

function close(actual: number, expected: number, rel = 1e-9): void {
  const tol = rel * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} is not within ${tol} of ${expected}`);
}

void test("logGamma matches known values", () => {
  close(logGamma(1), 0);
  close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)));
  close(logGamma(10), Math.log(362880));
  close(logGamma(100.5), 361.4355404677776, 1e-12);
});

void test("studentTCdf matches scipy.stats.t.cdf", () => {
  for (const [t, df, expected] of [
    [2.0, 5, 0.9490302605850708],
    [-1.3, 2.5, 0.15024339463535416],
    [0.5, 30, 0.6896384975574363],
    [4.2, 1, 0.9255972347013828],
    [0, 7, 0.5],
  ] as const) {
    close(studentTCdf(t, df), expected);
  }
});

void test("studentTQuantile matches scipy.stats.t.ppf", () => {
  for (const [p, df, expected] of [
    [0.975, 1, 12.706204736174694],
    [0.975, 3, 3.1824463052837078],
    [0.975, 9, 2.262157162798205],
    [0.975, 29.5, 2.043724966772122],
    [0.995, 4, 4.604094871349992],
  ] as const) {
    close(studentTQuantile(p, df), expected);
    close(studentTQuantile(1 - p, df), -expected);
  }
  assert.ok(Number.isNaN(studentTQuantile(1, 3)));
});

void test("two-sided t tail keeps precision far out", () => {
  close(studentTTwoSided(2.0, 5), 2 * (1 - 0.9490302605850708));
  // scipy.stats.t.sf(30, 10) * 2
  close(studentTTwoSided(30, 10), 3.961792342031325e-11, 1e-7);
});

void test("normalCdf matches scipy.stats.norm.cdf", () => {
  close(normalCdf(1.96), 0.9750021048517795, 1e-12);
  close(normalCdf(-3.1), 0.0009676032132183563, 1e-10);
  close(normalCdf(0), 0.5);
});
