/**
 * The data an energy comparison produces, shared by the orchestrator (which fills it), the
 * statistics (summary.ts) and the reports. Pure types.
 */
import type { SnapshotRequest } from "./channel.js";
import type { Zone } from "./powercap.js";

export type SourceChoice = "auto" | "rapl" | "model";

export type ResolvedSource = { kind: "rapl"; root: string; zones: Zone[] } | { kind: "model"; wattsPerCore: number };

export type Variant = "baseline" | "disabled";

/** What a disabled run's replay did: the JSON `alpaca run` writes to `ALPACA_STATS_FILE`. */
export type ReplayStats = import("../runtime/types.js").ReplayStats;

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
