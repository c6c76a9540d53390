// Report number formatting.
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatP, formatPercent, formatPlusMinus, formatSi, formatSignificant } from "./format.js";

void test("formatSignificant keeps three significant digits", () => {
  assert.equal(formatSignificant(2.4512), "2.45");
  assert.equal(formatSignificant(0.0123456), "0.0123");
  assert.equal(formatSignificant(123456), "123456");
  assert.equal(formatSignificant(1.2), "1.20");
  assert.equal(formatSignificant(Number.NaN), "n/a");
});

void test("formatSi picks the prefix from the magnitude (or a reference value)", () => {
  assert.equal(formatSi(2.4512, "J"), "2.45 J");
  assert.equal(formatSi(0.0600, "J"), "60.0 mJ");
  assert.equal(formatSi(0.000107, "s"), "107 µs");
  assert.equal(formatSi(1234, "J"), "1.23 kJ");
  assert.equal(formatSi(0.311, "J", 2.45), "0.311 J");
  assert.equal(formatSi(0, "J"), "0 J");
  assert.equal(formatSi(-0.5, "J"), "-500 mJ");
});

void test("formatPlusMinus aligns the half-width with the value", () => {
  assert.equal(formatPlusMinus(2.4512, 0.3114, "J"), "2.45 J ± 0.31 J");
  assert.equal(formatPlusMinus(0.348, 0.107, "s"), "348 ms ± 107 ms");
  assert.equal(formatPlusMinus(1.23, 0.001, "J"), "1.23 J ± 0.001 J");
});

void test("percentages and p values", () => {
  assert.equal(formatPercent(0.181), "18%");
  assert.equal(formatPercent(0.0172), "1.7%");
  assert.equal(formatP(0.0291), "p = 0.029");
  assert.equal(formatP(0.00095), "p = 9.5e-4");
  assert.equal(formatP(0), "p < 1e-15");
});
