/**
 * One row per function, as every report shows it (text table, JSON, HTML): the first phase's
 * figures, the measured cost of the primary metric with its CI, the share of the program's
 * energy, the verdict, and each variant's runs for plots. Built from a profile (many rows) or
 * from one energy comparison (`alpaca energy --html`: one row, no first phase). Pure.
 */
import { costList, metricValues, type DecisionKind, type EnergyResult, type EnergySummary } from "../energy/index.js";
import type { Variant } from "../energy/types.js";
import type { ProfileResult } from "./profile-run.js";

export type RowStatus = "measured" | "cannot-disable" | "not-measured";

export interface RowCost {
  metric: string;
  unit: "J" | "s";
  estimated: boolean;
  estimate: number;
  ci95: [number, number];
}

export interface FunctionRow {
  name: string;
  /** Function index (Wasm), when known. */
  index?: number;
  /** Calls in the first phase's run (or replayed per disabled run for `energy`). */
  calls?: number;
  /** Inclusive share of the first phase's sampled time. */
  timeShare?: number;
  status: RowStatus;
  reason?: string;
  cost?: RowCost;
  /** cost / the baseline's mean. */
  energyShare?: number;
  decision?: DecisionKind;
  verdict?: string;
  /** control − baseline: the replay's own cost (Wasm). */
  replayCost?: { estimate: number; ci95: [number, number] };
  /** The primary metric in each variant's valid runs. */
  runs: Partial<Record<Variant, number[]>>;
  baselineMean?: number;
}

/** The measured part of a row from an energy comparison. */
export function measuredFields(result: EnergyResult, summary: EnergySummary): Pick<FunctionRow, "cost" | "energyShare" | "decision" | "verdict" | "replayCost" | "runs" | "baselineMean"> {
  const out: ReturnType<typeof measuredFields> = { decision: summary.decision, verdict: summary.verdict, runs: {} };
  const primary = summary.metrics.find((m) => m.metric === summary.primary);
  const cost = costList(summary).find((c) => c.metric === summary.primary);
  if (!primary || !cost) return out;
  out.cost = { metric: cost.metric, unit: cost.unit, estimated: cost.estimated, estimate: cost.estimate, ci95: [cost.ci95[0], cost.ci95[1]] };
  out.energyShare = primary.cost.fraction;
  if (primary.replayCost) out.replayCost = { estimate: primary.replayCost.estimate, ci95: [primary.replayCost.ci95[0], primary.replayCost.ci95[1]] };
  out.runs = metricValues(result, primary.metric);
  const base = primary.samples.baseline;
  if (base) out.baselineMean = base.mean;
  return out;
}

const STATUS_ORDER: Record<RowStatus, number> = { measured: 0, "cannot-disable": 1, "not-measured": 2 };

/** Measured functions by cost, highest first; then the others by time share. */
export function sortRows(rows: FunctionRow[]): FunctionRow[] {
  return [...rows].sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || (b.cost?.estimate ?? -Infinity) - (a.cost?.estimate ?? -Infinity) || (b.timeShare ?? 0) - (a.timeShare ?? 0));
}

export function profileRows(p: ProfileResult): FunctionRow[] {
  return sortRows(
    p.functions.map((f) => {
      const row: FunctionRow = { name: f.candidate.name, index: f.candidate.index, calls: f.candidate.calls, timeShare: f.candidate.timeShare, status: f.status, runs: {} };
      if (f.reason) row.reason = f.reason;
      return f.result && f.summary ? { ...row, ...measuredFields(f.result, f.summary) } : row;
    }),
  );
}

export function energyRow(result: EnergyResult, summary: EnergySummary): FunctionRow {
  const row: FunctionRow = { name: result.func, status: summary.insufficient ? "cannot-disable" : "measured", ...measuredFields(result, summary) };
  if (summary.replay) row.calls = summary.replay.invocations;
  if (summary.insufficient) row.reason = summary.warnings[0] ?? "no statistics";
  return row;
}
