/**
 * Statistics of an energy comparison: for every zone, the packages of all sockets together
 * (when there are several; nested zones are never added to their parents), and time, a
 * summary of each variant and the difference baseline − disabled (what F costs) with a
 * bootstrap CI, Welch and Mann–Whitney tests and Hedges' g; a plain-language verdict; what
 * the replay itself costs; and warnings (flagged runs, runs too short for RAPL, few runs).
 * Pure: the bootstrap's randomness is seeded.
 */
import { formatP, formatPercent, formatPlusMinus, formatSi } from "./format.js";
import { MODEL_ZONE } from "./model.js";
import { packageLabels } from "./powercap.js";
import {
  bootstrapMeanDiffCi,
  createRng,
  describeEffectSize,
  hedgesG,
  mannWhitneyU,
  median,
  summarize,
  welchTest,
  type Interval,
  type MannWhitneyResult,
  type SampleSummary,
  type WelchResult,
} from "./stats.js";
import type { EnergyResult, RunRecord } from "./types.js";

/** RAPL updates its counters about every millisecond. */
export const RAPL_UPDATE_SECONDS = 0.001;
/** Below this median duration a RAPL reading's ±1 update is more than 1% of the run. */
export const SHORT_RUN_SECONDS = 0.1;
export const MIN_RECOMMENDED_RUNS = 5;
export const SIGNIFICANCE_LEVEL = 0.05;
export const ALL_PACKAGES = "package (all sockets)";
export const TIME_METRIC = "time";

export interface MetricComparison {
  /** Zone label, ALL_PACKAGES, or TIME_METRIC. */
  metric: string;
  unit: "J" | "s";
  estimated: boolean;
  baseline: SampleSummary;
  disabled: SampleSummary;
  /** mean(baseline) − mean(disabled). */
  diff: number;
  /** diff / mean(baseline). */
  diffFraction: number;
  bootstrapCi95: Interval;
  welch: WelchResult;
  mannWhitney: MannWhitneyResult;
  hedgesG: number;
  effect: string;
  /** Both tests below the significance level. */
  significant: boolean;
}

export interface ReplaySummary {
  /** Disabled runs that reported replay statistics. */
  runs: number;
  invocations: number;
  bytesWritten: number;
  callsReexecuted: number;
  callsAnswered: number;
  replaySeconds: number;
  /** replaySeconds / mean disabled duration. */
  shareOfDisabledTime: number;
  /** The share applied to the disabled runs' mean energy of the primary metric (a proportional estimate). */
  estimatedEnergyJ: number;
}

export interface EnergySummary {
  metrics: MetricComparison[];
  /** The metric the verdict speaks of. */
  primary: string | undefined;
  verdict: string;
  warnings: string[];
  replay: ReplaySummary | undefined;
  valid: { baseline: number; disabled: number };
  flagged: number;
  /** Fewer than two valid runs of a variant: no statistics. */
  insufficient: boolean;
}

export interface SummaryOptions {
  /** Seed of the bootstrap (default 1). */
  seed?: number;
  resamples?: number;
}

function compare(metric: string, unit: "J" | "s", estimated: boolean, a: number[], b: number[], options: SummaryOptions): MetricComparison {
  const baseline = summarize(a);
  const disabled = summarize(b);
  const diff = baseline.mean - disabled.mean;
  const welch = welchTest(a, b);
  const mannWhitney = mannWhitneyU(a, b);
  const g = hedgesG(a, b);
  const bootstrapOptions = { random: createRng(options.seed ?? 1), ...(options.resamples !== undefined ? { resamples: options.resamples } : {}) };
  return {
    metric,
    unit,
    estimated,
    baseline,
    disabled,
    diff,
    diffFraction: diff / baseline.mean,
    bootstrapCi95: bootstrapMeanDiffCi(a, b, bootstrapOptions),
    welch,
    mannWhitney,
    hedgesG: g,
    effect: describeEffectSize(g),
    significant: welch.p < SIGNIFICANCE_LEVEL && mannWhitney.p < SIGNIFICANCE_LEVEL,
  };
}

/** Labels of the zones that are packages (one per socket), from the source's zone list. */
function packagesOf(result: EnergyResult): string[] {
  return result.source.kind === "rapl" ? packageLabels(result.source.zones) : [];
}

function primaryMetric(result: EnergyResult, packages: string[]): string | undefined {
  if (result.source.kind === "model") return MODEL_ZONE;
  if (packages.length > 1) return ALL_PACKAGES;
  if (packages.length === 1) return packages[0];
  const top = result.source.zones.find((z) => z.parentLabel === undefined);
  return top?.label ?? result.zones[0];
}

function valuesOf(runs: RunRecord[], pick: (r: RunRecord) => number | undefined): number[] | undefined {
  const out: number[] = [];
  for (const r of runs) {
    const v = pick(r);
    if (v === undefined || !Number.isFinite(v)) return undefined;
    out.push(v);
  }
  return out;
}

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

function summarizeReplay(disabled: RunRecord[], primary: MetricComparison | undefined): ReplaySummary | undefined {
  const withStats = disabled.filter((r) => r.replay);
  if (withStats.length === 0) return undefined;
  const avg = (f: (r: RunRecord) => number): number => mean(withStats.map(f));
  const replaySeconds = avg((r) => (r.replay?.replayNs ?? 0) / 1e9);
  const share = replaySeconds / mean(disabled.map((r) => r.durationSeconds));
  return {
    runs: withStats.length,
    invocations: avg((r) => r.replay?.invocations ?? 0),
    bytesWritten: avg((r) => r.replay?.bytesWritten ?? 0),
    callsReexecuted: avg((r) => r.replay?.callsReexecuted ?? 0),
    callsAnswered: avg((r) => r.replay?.callsAnswered ?? 0),
    replaySeconds,
    shareOfDisabledTime: share,
    estimatedEnergyJ: primary && primary.unit === "J" ? share * primary.disabled.mean : Number.NaN,
  };
}

function verdictOf(result: EnergyResult, primary: MetricComparison | undefined, time: MetricComparison | undefined, replay: ReplaySummary | undefined): string {
  const f = result.func;
  if (!primary) return `no verdict: fewer than 2 runs of each variant behaved like the analyzed run`;
  const estimated = primary.estimated;
  const [lo, hi] = primary.bootstrapCi95;
  const half = (hi - lo) / 2;
  const u = primary.unit;
  const what = estimated ? "estimated CPU energy" : `${primary.metric} energy`;
  const tests = `Welch ${formatP(primary.welch.p)}, Mann-Whitney ${formatP(primary.mannWhitney.p)}, Hedges' g = ${primary.hedgesG.toFixed(2)} (${primary.effect})`;
  if (!primary.significant) {
    return `no significant difference: ${f}'s cost is between ${formatSi(lo, u)} and ${formatSi(hi, u)} per run (95% CI) of ${what} (${tests}); more runs (--runs) or a longer workload may resolve it`;
  }
  if (primary.diff < 0) {
    return `disabling ${f} costs more than running it: the disabled program uses ${formatPlusMinus(-primary.diff, half, u)} more ${what} per run; the replay costs more than ${f} itself (${tests})`;
  }
  let text = `${f} costs ${estimated ? "an estimated " : ""}${formatPlusMinus(primary.diff, half, u)} per run, ${formatPercent(primary.diffFraction)} of ${what}`;
  if (replay && replay.invocations > 1) text += ` (${formatSi(primary.diff / replay.invocations, u)} per call on average over ${Number(replay.invocations.toFixed(1))} calls)`;
  if (time?.significant && time.diff > 0) text += `; ${formatPlusMinus(time.diff, (time.bootstrapCi95[1] - time.bootstrapCi95[0]) / 2, "s")}, ${formatPercent(time.diffFraction)} of run time`;
  return `${text} (${tests})`;
}

export function summarizeEnergy(result: EnergyResult, options: SummaryOptions = {}): EnergySummary {
  const valid = result.runs.filter((r) => r.flagged === undefined);
  const base = valid.filter((r) => r.variant === "baseline");
  const dis = valid.filter((r) => r.variant === "disabled");
  const flagged = result.runs.length - valid.length;
  const estimated = result.source.kind === "model";
  const warnings: string[] = [];
  const firstFlag = result.runs.find((r) => r.flagged !== undefined);
  if (firstFlag) {
    warnings.push(`${flagged} run(s) did something else than the analyzed run and are left out of the statistics (first: ${firstFlag.variant} run ${firstFlag.index}: ${firstFlag.flagged})`);
  }
  const insufficient = base.length < 2 || dis.length < 2;
  const metrics: MetricComparison[] = [];
  const packages = packagesOf(result);
  if (!insufficient) {
    const energyMetric = (name: string, pick: (e: Record<string, number>) => number | undefined): void => {
      const a = valuesOf(base, (r) => (r.energyJ ? pick(r.energyJ) : undefined));
      const b = valuesOf(dis, (r) => (r.energyJ ? pick(r.energyJ) : undefined));
      if (a && b) metrics.push(compare(name, "J", estimated, a, b, options));
    };
    for (const z of result.zones) energyMetric(z, (e) => e[z]);
    // Sockets are disjoint, so their packages add up; nested zones never are added.
    if (packages.length > 1) energyMetric(ALL_PACKAGES, (e) => packages.reduce((s, p) => s + (e[p] ?? Number.NaN), 0));
    metrics.push(compare(TIME_METRIC, "s", false, base.map((r) => r.durationSeconds), dis.map((r) => r.durationSeconds), options));
  } else {
    warnings.push(`only ${base.length} baseline and ${dis.length} disabled run(s) behaved like the analyzed run: no statistics`);
  }
  const primaryName = primaryMetric(result, packages);
  const primary = metrics.find((m) => m.metric === primaryName);
  const time = metrics.find((m) => m.metric === TIME_METRIC);
  const replay = summarizeReplay(dis, primary);

  if (result.source.kind === "rapl" && valid.length > 0) {
    const med = median(valid.map((r) => r.durationSeconds));
    if (med < SHORT_RUN_SECONDS) {
      warnings.push(
        `runs last ${formatSi(med, "s")} (median): RAPL updates its counters about every ${formatSi(RAPL_UPDATE_SECONDS, "s")}, so each reading may be off by ~${formatPercent(RAPL_UPDATE_SECONDS / med)} of a run; give the program a longer workload`,
      );
    }
  }
  if (!insufficient && Math.min(base.length, dis.length) < MIN_RECOMMENDED_RUNS) {
    warnings.push(`only ${Math.min(base.length, dis.length)} measured runs per variant: the tests have little power; use --runs ${MIN_RECOMMENDED_RUNS * 2} or more`);
  }
  if (primary && primary.welch.p < SIGNIFICANCE_LEVEL !== primary.mannWhitney.p < SIGNIFICANCE_LEVEL) {
    warnings.push(`Welch (${formatP(primary.welch.p)}) and Mann-Whitney (${formatP(primary.mannWhitney.p)}) disagree on ${primary.metric}: treat the difference as uncertain`);
  }
  for (const e of result.samplerErrors.slice(0, 3)) warnings.push(`sampler: ${e}`);
  const runWarnings = [...new Set(result.runs.flatMap((r) => r.warnings))];
  for (const w of runWarnings.slice(0, 3)) warnings.push(`a run reported: ${w.replace(/^alpaca: warning: /, "")}`);

  return {
    metrics,
    primary: primary?.metric,
    verdict: verdictOf(result, primary, time, replay),
    warnings,
    replay,
    valid: { baseline: base.length, disabled: dis.length },
    flagged,
    insufficient,
  };
}
