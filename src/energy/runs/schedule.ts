/**
 * The order of runs in an energy comparison. Runs come in rounds, one run of every variant per
 * round; successive rounds go through the permutations of the variants so that, over a full
 * cycle, each variant runs equally often in each position of a round (for two variants this is
 * ABBA). Slow drift of the machine (temperature, frequency, background load) then falls on every
 * variant alike. Warm-up rounds come first and are discarded. Pure.
 */
import { InternalError } from "../../errors/index.js";
import type { Variant } from "../types.js";

export interface ScheduledRun {
  variant: Variant;
  /** 1-based round number within the warm-up rounds or within the measured rounds. */
  index: number;
  warmup: boolean;
}

/** A cycle of permutations in which every element takes every position equally often. */
function balancedOrders(variants: readonly Variant[]): Variant[][] {
  const [a, b, c] = variants;
  if (variants.length === 1 && a) return [[a]];
  if (variants.length === 2 && a && b) return [[a, b], [b, a]];
  if (variants.length === 3 && a && b && c) return [[a, b, c], [c, b, a], [b, c, a], [a, c, b], [c, a, b], [b, a, c]];
  throw new InternalError(`schedule: ${variants.length} variants`);
}

/** The runs of round `round` (0-based over warm-up and measured rounds together). */
export function roundOrder(variants: readonly Variant[], round: number): Variant[] {
  const orders = balancedOrders(variants);
  return orders[round % orders.length]!;
}

/** A fixed plan: `warmup` discarded rounds, then `runs` measured rounds. */
export function schedule(variants: readonly Variant[], warmup: number, runs: number): ScheduledRun[] {
  const out: ScheduledRun[] = [];
  for (let r = 0; r < warmup + runs; r++) {
    const warm = r < warmup;
    for (const variant of roundOrder(variants, r)) out.push({ variant, index: warm ? r + 1 : r - warmup + 1, warmup: warm });
  }
  return out;
}
