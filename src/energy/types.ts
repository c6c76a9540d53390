/**
 * The data an energy comparison produces, shared by the orchestrator (which fills it), the
 * statistics (summary.ts) and the reports. Pure types.
 */
import type { SnapshotRequest } from "./sampler/channel.js";
import type { Zone } from "./source/powercap.js";

export type SourceChoice = "auto" | "rapl" | "model";

export type ResolvedSource = { kind: "rapl"; root: string; zones: Zone[] } | { kind: "model"; wattsPerCore: number };

/**
 * The programs an energy comparison runs: the baseline (F intact), the disabled program (F's
 * effects replayed instead of F), and the control (F runs, then its logged memory effects are
 * applied again: the replay's cost without F's saving). docs/energy.md gives the method.
 */
export type Variant = "baseline" | "control" | "disabled";

/**
 * How F's cost is estimated: control − disabled cancels the replay's cost; baseline − disabled
 * (where no control run exists: native programs) charges the replay to F.
 */
export type CostMethod = "control-minus-disabled" | "baseline-minus-disabled";

/** Why the runs stopped. */
export type StopReason = "runs" | "precision" | "max-runs" | "max-time" | "interrupted";

/** What a disabled run's replay did: the JSON `alpaca run` writes to `ALPACA_STATS_FILE`. */
export type ReplayStats = import("../backend/index.js").ReplayStats;

export interface RunRecord {
  variant: Variant;
  /** 1-based within its variant (and within warm-ups for warm-up runs). */
  index: number;
  warmup: boolean;
  /** Position in the whole sequence of runs, from 1. */
  order: number;
  /** Time between the run's start and end snapshots. */
  durationSeconds: number;
  /** The run process's CPU time between its snapshots. */
  cpuSeconds: number;
  /** Energy between the snapshots per zone label, joules; null when the source could not tell. */
  energyJ: Record<string, number> | null;
  exitCode: number | null;
  wallSeconds: number;
  /** Set when the run did something else than the analyzed run. */
  flagged?: string;
  /** What the replay did (disabled runs, when the run reported it). */
  replay?: ReplayStats;
  /** alpaca's own warnings during the run. */
  warnings: string[];
}

export interface EnergyResult {
  func: string;
  /** How V8 compiled the program in the measured runs (options.ts COMPILE_FLAGS). */
  compile: "optimized" | "tiered";
  /** The variants that were run, in the order the first round ran them. */
  variants: Variant[];
  method: CostMethod;
  /** A/A: every slot ran the baseline, so the "cost" measures noise (--aa). */
  aa: boolean;
  stopReason: StopReason;
  /** For --runs auto: the half-width of the cost's 95% CI wanted, as a fraction of the baseline's mean. */
  precision?: number;
  program: string;
  args: string[];
  source: ResolvedSource;
  zones: string[];
  /** Which run the others were compared with. */
  reference: { kind: "analyze" | "first-run"; exitCode: number | null; stdoutBytes: number };
  logPath: string;
  logReused: boolean;
  runs: RunRecord[];
  warmupRuns: RunRecord[];
  samplerErrors: string[];
  totalSeconds: number;
}


export interface Snapshot {
  /** Position among this sampler's snapshots, from 0. */
  index: number;
  /** Monotonic clock (process.hrtime.bigint, CLOCK_MONOTONIC), ns. */
  timestampNs: bigint;
  /** Energy per zone since the sampler started, µJ, in zone order; null when unknown. */
  energyUj: number[] | null;
  /** The channel request this snapshot answers; absent for a plain (v2) signal. */
  request?: SnapshotRequest;
}
