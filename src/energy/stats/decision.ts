/**
 * The decision rule of an energy comparison, and the verdict that says it in words. One rule:
 * F's cost is significant when the 95% confidence interval of the cost (Welch's t interval of
 * the difference of means) excludes 0. Its sign says which way: a cost, or a program that used
 * more without F. Fewer than MIN_RUNS_FOR_VERDICT valid runs of a variant give no conclusion.
 * p values and the bootstrap interval are supporting detail and never change the verdict. Pure.
 */
import { formatPercent, formatPlusMinus, formatSi } from "../report/format.js";
import type { Interval } from "./stats.js";
import type { CostMethod } from "../types.js";

/** Fewer valid runs of any variant than this: no conclusion. */
export const MIN_RUNS_FOR_VERDICT = 3;

export type DecisionKind = "cost" | "negative" | "no-difference" | "too-few-runs";

/** Which side of 0 the CI lies on; the rule itself. */
export function decide(ci95: Interval, runsPerVariant: number): DecisionKind {
  const [lo, hi] = ci95;
  if (runsPerVariant < MIN_RUNS_FOR_VERDICT || !Number.isFinite(lo) || !Number.isFinite(hi)) return "too-few-runs";
  if (lo > 0) return "cost";
  if (hi < 0) return "negative";
  return "no-difference";
}

/** What the verdict needs to know about the primary metric's cost. */
export interface VerdictInput {
  func: string;
  method: CostMethod;
  aa: boolean;
  /** e.g. "package-0 energy", "estimated CPU energy". */
  what: string;
  unit: string;
  estimated: boolean;
  estimate: number;
  ci95: Interval;
  /** estimate / mean of the baseline. */
  fraction: number;
  /** Valid runs of the variant with the fewest. */
  runsPerVariant: number;
  /** Mean calls of F per run, when known. */
  callsPerRun?: number;
  /** A/A only: the rule's false-positive rate under random relabeling of these runs. */
  falsePositiveRate?: number;
}

const METHOD_TEXT: Record<CostMethod, string> = {
  "control-minus-disabled": "control − disabled, the replay's cost cancelled",
  "baseline-minus-disabled": "baseline − disabled, the replay's cost charged to F",
};

export function describeMethod(method: CostMethod): string {
  return METHOD_TEXT[method];
}

function ciText(ci: Interval, unit: string): string {
  return `95% CI [${formatSi(ci[0], unit, Math.max(Math.abs(ci[0]), Math.abs(ci[1])))}, ${formatSi(ci[1], unit, Math.max(Math.abs(ci[0]), Math.abs(ci[1])))}]`;
}

/** The verdict in one paragraph, agreeing with decide(). */
export function verdictText(v: VerdictInput): { kind: DecisionKind; text: string } {
  const kind = decide(v.ci95, v.runsPerVariant);
  const half = (v.ci95[1] - v.ci95[0]) / 2;
  const ci = ciText(v.ci95, v.unit);
  const rule = "significant when the 95% CI of the cost excludes 0";
  if (kind === "too-few-runs") {
    return { kind, text: `too few runs for a conclusion: ${v.runsPerVariant} valid run(s) of a variant, at least ${MIN_RUNS_FOR_VERDICT} of each are needed (rule: ${rule})` };
  }
  if (v.aa) {
    const fp = v.falsePositiveRate === undefined ? "" : `; the rule's false-positive rate at this number of runs, by random relabeling of these runs: ${formatPercent(v.falsePositiveRate)} (5% expected)`;
    const found = kind === "no-difference" ? "the rule finds no difference, as it should" : `the rule finds a difference where there is none: a false positive, or drift between the schedule's slots`;
    return {
      kind,
      text: `A/A: every slot ran the baseline, so any difference is noise: ${formatSi(v.estimate, v.unit)} (${ci}); ${found}. Noise floor: a cost below about ${formatSi(half, v.unit)} per run (${formatPercent(Math.abs(half / (v.estimate / v.fraction)))} of the baseline) cannot be told from noise with ${v.runsPerVariant} runs${fp}`,
    };
  }
  const per = v.callsPerRun !== undefined && v.callsPerRun > 1 ? `, ${formatSi(v.estimate / v.callsPerRun, v.unit)} per call over ${Number(v.callsPerRun.toFixed(1))} calls` : "";
  const method = describeMethod(v.method);
  if (kind === "cost") {
    return { kind, text: `${v.func} costs ${v.estimated ? "an estimated " : ""}${formatPlusMinus(v.estimate, half, v.unit)} per run (${ci}; ${method}), ${formatPercent(v.fraction)} of the baseline's ${v.what}${per}` };
  }
  if (kind === "negative") {
    const why =
      v.method === "baseline-minus-disabled"
        ? `this design charges the replay to ${v.func}, so the likely cause is that replaying ${v.func}'s effects costs more than running ${v.func}`
        : `the replay's cost is cancelled in this design, so the cause lies elsewhere: without ${v.func} the rest of the program ran differently (caches, branch predictors, clock frequency) or the machine drifted between runs; --aa shows this machine's noise floor`;
    return { kind, text: `not a cost: the program used ${formatPlusMinus(-v.estimate, half, v.unit)} MORE ${v.what} per run with ${v.func} disabled (${ci}; ${method}); ${why}` };
  }
  return {
    kind,
    text: `no significant difference: ${v.func}'s cost lies between ${formatSi(v.ci95[0], v.unit)} and ${formatSi(v.ci95[1], v.unit)} per run (${ci} includes 0; ${method}); a cost below about ${formatSi(half, v.unit)} cannot be told from noise with ${v.runsPerVariant} runs: more runs (--runs auto, --precision) or a longer workload may resolve it`,
  };
}
