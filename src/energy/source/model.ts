/**
 * The `model` energy source, for machines without readable RAPL: a run's energy is estimated
 * as its CPU time (user + system, all threads, between its start and end snapshots: the alpaca
 * process's, and for a native program also the program's and its ptrace helper's) times
 * a per-core power figure. It is an estimate, labelled so wherever it appears: the zone itself
 * is called `estimated-cpu`. Pure constants and arithmetic.
 *
 * Default 10 W per busy core: a mid-range desktop or server part draws roughly its TDP over its
 * cores at full load (65 W / 6 cores ≈ 11 W; 125 W / 12 ≈ 10 W; laptops lower, ~4–7 W). The
 * figure only scales the estimate; comparisons between variants (percentages, significance)
 * do not depend on it.
 */

export const MODEL_ZONE = "estimated-cpu";
export const DEFAULT_WATTS_PER_CORE = 10;

/** Estimated energy in joules of `cpuSeconds` of CPU time at `wattsPerCore`. */
export function estimateEnergyJ(cpuSeconds: number, wattsPerCore: number = DEFAULT_WATTS_PER_CORE): number {
  return cpuSeconds * wattsPerCore;
}
