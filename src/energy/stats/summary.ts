/**
 * Statistics of an energy comparison. For every metric (each zone, the packages of all sockets
 * together when there are several, the runs' CPU time, and time between snapshots): a summary of
 * each variant; F's cost by the result's method (control − disabled, or baseline − disabled
 * where no control was run) with Welch's 95% CI, which decides (decision.ts), a bootstrap CI,
 * Welch and Mann–Whitney p values and Hedges' g as supporting detail; the replay's own cost
 * (control − baseline); a verdict on the primary metric; and warnings (flagged runs, runs too
 * short for RAPL). Pure: the bootstrap's and the A/A relabeling's randomness is seeded.
 */
import { decide, MIN_RUNS_FOR_VERDICT, verdictText, type DecisionKind } from "./decision.js";
import { formatP, formatPercent, formatSi } from "../report/format.js";
import { MODEL_ZONE } from "../source/model.js";
import { packageLabels } from "../source/powercap.js";
import {
  bootstrapMeanDiffCi,
  createRng,
  describeEffectSize,
  hedgesG,
  mannWhitneyU,
  mean,
  median,
  summarize,
  welchTest,
  type Interval,
  type MannWhitneyResult,
  type SampleSummary,
  type WelchResult,
} from "./stats.js";
import type { CostMethod, EnergyResult, RunRecord, Variant } from "../types.js";

/** RAPL updates its counters about every millisecond. */
export const RAPL_UPDATE_SECONDS = 0.001;
/** Below this median duration a RAPL reading's ±1 update is more than 1% of the run. */
export const SHORT_RUN_SECONDS = 0.1;
export const SIGNIFICANCE_LEVEL = 0.05;
export const ALL_PACKAGES = "package (all sockets)";
export const TIME_METRIC = "time";
export const CPU_METRIC = "cpu-time";
/** Relabelings the A/A false-positive rate is estimated from. */
const AA_RELABELINGS = 400;

/** F's cost on one metric: what the decision rule looks at. */
export interface CostEstimate {
  method: CostMethod;
  /** mean(with F) − mean(disabled), per run. */
  estimate: number;
  /** Welch's 95% CI of the estimate: the decision interval. */
  ci95: Interval;
  /** Percentile bootstrap 95% CI (supporting detail). */
  bootstrapCi95: Interval;
  /** estimate / mean(baseline). */
  fraction: number;
  welch: WelchResult;
  mannWhitney: MannWhitneyResult;
  hedgesG: number;
  effect: string;
  /** decide(): the CI excludes 0 (either way). */
  significant: boolean;
  decision: DecisionKind;
}

export interface MetricComparison {
  /** Zone label, ALL_PACKAGES, CPU_METRIC or TIME_METRIC. */
  metric: string;
  unit: "J" | "s";
  estimated: boolean;
  samples: Partial<Record<Variant, SampleSummary>>;
  cost: CostEstimate;
  /** control − baseline: what applying F's effects again costs (control design only). */
  replayCost?: { estimate: number; ci95: Interval };
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
}

/** One row of `--json`'s `cost` list. */
export interface CostJson {
  metric: string;
  unit: "J" | "s";
  estimated: boolean;
  estimate: number;
  ci95: Interval;
  method: CostMethod;
  significant: boolean;
}

export interface EnergySummary {
  metrics: MetricComparison[];
  /** The metric the verdict speaks of. */
  primary: string | undefined;
  decision: DecisionKind;
  verdict: string;
  warnings: string[];
  replay: ReplaySummary | undefined;
  valid: Partial<Record<Variant, number>>;
  flagged: number;
  /** Fewer than two valid runs of a variant: no statistics at all. */
  insufficient: boolean;
  /** A/A: the rule's false-positive rate under random relabeling of the two compared slots. */
  aaFalsePositiveRate?: number;
}

export interface SummaryOptions {
  /** Seed of the bootstrap (default 1). */
  seed?: number;
  resamples?: number;
}

/** The variant whose mean includes F's work: control when the design has one. */
export function withFVariant(method: CostMethod): Variant {
  return method === "control-minus-disabled" ? "control" : "baseline";
}

function costOf(method: CostMethod, withF: number[], disabled: number[], baselineMean: number, options: SummaryOptions): CostEstimate {
  const welch = welchTest(withF, disabled);
  const estimate = mean(withF) - mean(disabled);
  const g = hedgesG(withF, disabled);
  const decision = decide(welch.ci95, Math.min(withF.length, disabled.length));
  const bootstrapOptions = { random: createRng(options.seed ?? 1), ...(options.resamples !== undefined ? { resamples: options.resamples } : {}) };
  return {
    method,
    estimate,
    ci95: welch.ci95,
    bootstrapCi95: bootstrapMeanDiffCi(withF, disabled, bootstrapOptions),
    fraction: estimate / baselineMean,
    welch,
    mannWhitney: mannWhitneyU(withF, disabled),
    hedgesG: g,
    effect: describeEffectSize(g),
    significant: decision === "cost" || decision === "negative",
    decision,
  };
}

/** Labels of the zones that are packages (one per socket), from the source's zone list. */
function packagesOf(result: Pick<EnergyResult, "source">): string[] {
  return result.source.kind === "rapl" ? packageLabels(result.source.zones) : [];
}

function primaryMetric(result: Pick<EnergyResult, "source" | "zones">, packages: string[]): string | undefined {
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

/** Reads one metric's value from a run (undefined when the run has none). */
type MetricPick = (r: RunRecord) => number | undefined;

/** Every metric's picker, in report order. */
function metricPickers(result: Pick<EnergyResult, "source" | "zones">): Array<{ metric: string; unit: "J" | "s"; estimated: boolean; pick: MetricPick }> {
  const estimated = result.source.kind === "model";
  const packages = packagesOf(result);
  const out: Array<{ metric: string; unit: "J" | "s"; estimated: boolean; pick: MetricPick }> = result.zones.map((z) => ({ metric: z, unit: "J", estimated, pick: (r) => r.energyJ?.[z] }));
  // Sockets are disjoint, so their packages add up; nested zones never are added.
  if (packages.length > 1) out.push({ metric: ALL_PACKAGES, unit: "J", estimated, pick: (r) => (r.energyJ ? packages.reduce((s, p) => s + (r.energyJ?.[p] ?? Number.NaN), 0) : undefined) });
  out.push({ metric: CPU_METRIC, unit: "s", estimated: false, pick: (r) => r.cpuSeconds });
  out.push({ metric: TIME_METRIC, unit: "s", estimated: false, pick: (r) => r.durationSeconds });
  return out;
}

function byVariant(runs: RunRecord[]): Record<Variant, RunRecord[]> {
  const valid = runs.filter((r) => r.flagged === undefined);
  return {
    baseline: valid.filter((r) => r.variant === "baseline"),
    control: valid.filter((r) => r.variant === "control"),
    disabled: valid.filter((r) => r.variant === "disabled"),
  };
}

/**
 * The primary metric's cost over the runs so far, without the bootstrap: what `--runs auto`
 * checks after each round. Undefined while a variant has fewer than two valid runs.
 */
export function currentCost(result: Pick<EnergyResult, "source" | "zones" | "runs" | "method">): { metric: string; unit: "J" | "s"; estimate: number; ci95: Interval; baselineMean: number; runsPerVariant: number } | undefined {
  const groups = byVariant(result.runs);
  const withF = groups[withFVariant(result.method)];
  const primary = primaryMetric(result, packagesOf(result));
  const m = metricPickers(result).find((p) => p.metric === primary);
  if (!m || withF.length < 2 || groups.disabled.length < 2 || groups.baseline.length < 2) return undefined;
  const a = valuesOf(withF, m.pick);
  const b = valuesOf(groups.disabled, m.pick);
  const base = valuesOf(groups.baseline, m.pick);
  if (!a || !b || !base) return undefined;
  const w = welchTest(a, b);
  return { metric: m.metric, unit: m.unit, estimate: mean(a) - mean(b), ci95: w.ci95, baselineMean: mean(base), runsPerVariant: Math.min(a.length, b.length) };
}

function summarizeReplay(disabled: RunRecord[]): ReplaySummary | undefined {
  const withStats = disabled.filter((r) => r.replay);
  if (withStats.length === 0) return undefined;
  const avg = (f: (r: RunRecord) => number): number => mean(withStats.map(f));
  const replaySeconds = avg((r) => (r.replay?.replayNs ?? 0) / 1e9);
  return {
    runs: withStats.length,
    invocations: avg((r) => r.replay?.invocations ?? 0),
    bytesWritten: avg((r) => r.replay?.bytesWritten ?? 0),
    callsReexecuted: avg((r) => r.replay?.callsReexecuted ?? 0),
    callsAnswered: avg((r) => r.replay?.callsAnswered ?? 0),
    replaySeconds,
    shareOfDisabledTime: replaySeconds / mean(disabled.map((r) => r.durationSeconds)),
  };
}

/**
 * A/A: how often the rule calls a difference significant when the two slots' runs are shuffled
 * between them (AA_RELABELINGS random relabelings, seeded). Near 5% for a well-calibrated rule on
 * exchangeable runs; the unshuffled A/A verdict also catches drift between slots.
 */
function relabelingFalsePositiveRate(a: number[], b: number[], seed: number): number {
  const pooled = [...a, ...b];
  const random = createRng(seed);
  let hits = 0;
  for (let r = 0; r < AA_RELABELINGS; r++) {
    for (let i = pooled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [pooled[i], pooled[j]] = [pooled[j]!, pooled[i]!];
    }
    const k = decide(welchTest(pooled.slice(0, a.length), pooled.slice(a.length)).ci95, Math.min(a.length, b.length));
    if (k === "cost" || k === "negative") hits++;
  }
  return hits / AA_RELABELINGS;
}

export function summarizeEnergy(result: EnergyResult, options: SummaryOptions = {}): EnergySummary {
  const groups = byVariant(result.runs);
  const withF = groups[withFVariant(result.method)];
  const valid: Partial<Record<Variant, number>> = {};
  for (const v of result.variants) valid[v] = groups[v].length;
  const flagged = result.runs.filter((r) => r.flagged !== undefined).length;
  const warnings: string[] = [];
  const firstFlag = result.runs.find((r) => r.flagged !== undefined);
  if (firstFlag) {
    warnings.push(`${flagged} run(s) did something else than the analyzed run and are left out of the statistics (first: ${firstFlag.variant} run ${firstFlag.index}: ${firstFlag.flagged})`);
  }
  const counts = result.variants.map((v) => groups[v].length);
  const insufficient = Math.min(...counts) < 2;
  const metrics: MetricComparison[] = [];
  if (!insufficient) {
    for (const p of metricPickers(result)) {
      const values = Object.fromEntries(result.variants.map((v) => [v, valuesOf(groups[v], p.pick)])) as Partial<Record<Variant, number[]>>;
      const a = values[withFVariant(result.method)];
      const b = values.disabled;
      const base = values.baseline;
      if (!a || !b || !base) continue;
      const samples: Partial<Record<Variant, SampleSummary>> = {};
      for (const v of result.variants) samples[v] = summarize(values[v]!);
      const m: MetricComparison = { metric: p.metric, unit: p.unit, estimated: p.estimated, samples, cost: costOf(result.method, a, b, mean(base), options) };
      if (result.method === "control-minus-disabled") {
        const w = welchTest(a, base);
        m.replayCost = { estimate: mean(a) - mean(base), ci95: w.ci95 };
      }
      metrics.push(m);
    }
  } else {
    warnings.push(`only ${result.variants.map((v) => `${groups[v].length} ${v}`).join(", ")} run(s) behaved like the analyzed run: no statistics`);
  }
  const primaryName = primaryMetric(result, packagesOf(result));
  const primary = metrics.find((m) => m.metric === primaryName);
  const replay = summarizeReplay(groups.disabled);

  if (result.source.kind === "rapl" && withF.length + groups.disabled.length > 0) {
    const med = median([...withF, ...groups.disabled].map((r) => r.durationSeconds));
    if (med < SHORT_RUN_SECONDS) {
      warnings.push(
        `runs last ${formatSi(med, "s")} (median): RAPL updates its counters about every ${formatSi(RAPL_UPDATE_SECONDS, "s")}, so each reading may be off by ~${formatPercent(RAPL_UPDATE_SECONDS / med)} of a run; give the program a longer workload`,
      );
    }
  }
  if (result.stopReason === "interrupted") warnings.push("interrupted: the statistics cover only the runs completed before the interruption");
  if (result.stopReason === "max-time" || result.stopReason === "max-runs") {
    warnings.push(`stopped at ${result.stopReason === "max-time" ? "--max-time" : "--max-runs"} before the cost's 95% CI reached ±${formatPercent(result.precision ?? Number.NaN)} of the baseline`);
  }
  if (primary && primary.cost.welch.p < SIGNIFICANCE_LEVEL !== primary.cost.mannWhitney.p < SIGNIFICANCE_LEVEL && primary.cost.significant) {
    warnings.push(`supporting detail: Welch (${formatP(primary.cost.welch.p)}) and Mann-Whitney (${formatP(primary.cost.mannWhitney.p)}) disagree on ${primary.metric}; the verdict follows the CI`);
  }
  for (const e of result.samplerErrors.slice(0, 3)) warnings.push(`sampler: ${e}`);
  const runWarnings = [...new Set(result.runs.flatMap((r) => r.warnings))];
  for (const w of runWarnings.slice(0, 3)) warnings.push(`a run reported: ${w.replace(/^alpaca: warning: /, "")}`);

  let decision: DecisionKind = "too-few-runs";
  let verdict = `too few runs for a conclusion: ${result.variants.map((v) => `${groups[v].length} ${v}`).join(", ")} valid run(s); at least ${MIN_RUNS_FOR_VERDICT} of each are needed`;
  let aaFalsePositiveRate: number | undefined;
  if (primary) {
    const pick = metricPickers(result).find((p) => p.metric === primary.metric)!.pick;
    if (result.aa) aaFalsePositiveRate = relabelingFalsePositiveRate(valuesOf(withF, pick)!, valuesOf(groups.disabled, pick)!, options.seed ?? 1);
    const v = verdictText({
      func: result.func,
      method: result.method,
      aa: result.aa,
      what: primary.estimated ? "estimated CPU energy" : primary.unit === "J" ? `${primary.metric} energy` : primary.metric,
      unit: primary.unit,
      estimated: primary.estimated,
      estimate: primary.cost.estimate,
      ci95: primary.cost.ci95,
      fraction: primary.cost.fraction,
      runsPerVariant: Math.min(...counts),
      ...(replay && replay.invocations > 0 ? { callsPerRun: replay.invocations } : {}),
      ...(aaFalsePositiveRate !== undefined ? { falsePositiveRate: aaFalsePositiveRate } : {}),
    });
    decision = v.kind;
    verdict = v.text;
  }
  const out: EnergySummary = { metrics, primary: primary?.metric, decision, verdict, warnings, replay, valid, flagged, insufficient };
  if (aaFalsePositiveRate !== undefined) out.aaFalsePositiveRate = aaFalsePositiveRate;
  return out;
}

/** The `cost` list of `--json`: F's cost per run on every metric, by the stated method. */
export function costList(summary: EnergySummary): CostJson[] {
  return summary.metrics.map((m) => ({
    metric: m.metric,
    unit: m.unit,
    estimated: m.estimated,
    estimate: m.cost.estimate,
    ci95: m.cost.ci95,
    method: m.cost.method,
    significant: m.cost.significant,
  }));
}

/** One metric's values in the valid runs of each variant, in run order (for plots of the runs). */
export function metricValues(result: EnergyResult, metric: string): Partial<Record<Variant, number[]>> {
  const pick = metricPickers(result).find((p) => p.metric === metric)?.pick;
  if (!pick) return {};
  const groups = byVariant(result.runs);
  return Object.fromEntries(result.variants.map((v) => [v, groups[v].map(pick).filter((x): x is number => x !== undefined && Number.isFinite(x))]));
}
