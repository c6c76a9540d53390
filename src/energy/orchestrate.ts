/**
 * The energy comparison: analyze F once (or reuse a log), start a sampler, then run the
 * baseline (F intact, `ALPACA_MODE=b`) and the disabled program (`ALPACA_MODE=d`) N times each,
 * interleaved in ABBA order after discarded warm-up pairs, each run in its own process with the
 * same Node binary and engine flags. Every run takes a start and an end snapshot through the
 * sampler's channel; a run whose exit status or output differs from the analyzed run's is
 * flagged. Returns raw per-run data; summary.ts does the statistics.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AlpacaError, EnvironmentError, UsageError } from "../errors/index.js";
import { ENV_CHANNEL, ENV_PPID, ENV_RUN_ID } from "./channel.js";
import { alpacaFailure, compareCaptures, runCaptured, type Launcher, type RunCapture } from "./runner.js";
import { SamplerProcess, type SamplerCommand } from "./sampler-client.js";
import type { Snapshot } from "./sampler.js";
import type { EnergyResult, ReplayStats, ResolvedSource, RunRecord, Variant } from "./types.js";

export interface EnergyOptions {
  func: string;
  program: string;
  args: readonly string[];
  /** Measured runs per variant (≥ 2). */
  runs: number;
  /** Discarded warm-up runs per variant. */
  warmup: number;
  source: ResolvedSource;
  launcher: Launcher;
  /** How to start the sampler (see sampler-command.ts). */
  samplerCommand: SamplerCommand;
  /** Effect log: reused when the file exists, written there otherwise (kept). */
  logPath?: string;
  /** Keep every run's stdout/stderr here. */
  programOutputDir?: string;
  /** Base environment of the runs (ALPACA_* variables are removed). */
  env: NodeJS.ProcessEnv;
  onProgress?: (event: ProgressEvent) => void;
  /** How long to wait for a finished run's snapshots to arrive from the sampler (default 5 s). */
  snapshotWaitMs?: number;
}

export type ProgressEvent =
  | { kind: "analyze"; elapsedSeconds: number }
  | { kind: "run"; run: number; total: number; variant: Variant; warmup: boolean; elapsedSeconds: number };

/** ABBA interleaving: pairs alternate which variant goes first, so drift hits both alike. */
export function schedule(warmup: number, runs: number): { variant: Variant; index: number; warmup: boolean }[] {
  const out: { variant: Variant; index: number; warmup: boolean }[] = [];
  const pair = (round: number, index: number, isWarmup: boolean): void => {
    const order: Variant[] = round % 2 === 0 ? ["baseline", "disabled"] : ["disabled", "baseline"];
    for (const variant of order) out.push({ variant, index, warmup: isWarmup });
  };
  for (let i = 0; i < warmup; i++) pair(i, i + 1, true);
  for (let i = 0; i < runs; i++) pair(warmup + i, i + 1, false);
  return out;
}

/** The runs' environment: the caller's, without any ALPACA_* variable but the log level. */
export function baseRunEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith("ALPACA_") || k === "ALPACA_LOG_LEVEL") out[k] = v;
  return out;
}

/** Energy per zone between two snapshots, joules; null when either is unknown. */
export function energyBetween(zones: readonly string[], start: Snapshot, end: Snapshot): Record<string, number> | null {
  if (!start.energyUj || !end.energyUj) return null;
  const out: Record<string, number> = {};
  zones.forEach((z, i) => {
    out[z] = ((end.energyUj?.[i] ?? 0) - (start.energyUj?.[i] ?? 0)) / 1e6;
  });
  return out;
}

function readReplayStats(file: string): ReplayStats | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<ReplayStats>;
    const keys = ["invocations", "bytesWritten", "callsReexecuted", "callsAnswered", "replayNs"] as const;
    if (!keys.every((k) => typeof s[k] === "number")) return undefined;
    return s as ReplayStats;
  } catch {
    return undefined;
  }
}

export async function runEnergy(options: EnergyOptions): Promise<EnergyResult> {
  if (!Number.isInteger(options.runs) || options.runs < 2) throw new UsageError(`--runs ${options.runs}: need at least 2 runs per variant for statistics`);
  if (!Number.isInteger(options.warmup) || options.warmup < 0) throw new UsageError(`--warmup ${options.warmup}: expected a whole number ≥ 0`);
  const t0 = process.hrtime.bigint();
  const elapsed = (): number => Number(process.hrtime.bigint() - t0) / 1e9;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-energy-"));
  const outDir = options.programOutputDir;
  if (outDir) fs.mkdirSync(outDir, { recursive: true });
  const env = baseRunEnv(options.env);
  const launcher = options.launcher;
  const alpacaArgs = (sub: string[]): string[] => [...launcher.engineArgs, launcher.launcherPath, ...sub];
  let sampler: SamplerProcess | undefined;
  try {
    // 1. The effect log, and the reference behaviour every run must reproduce.
    const logPath = path.resolve(options.logPath ?? path.join(tmp, `${options.func.replace(/[^\w.-]/g, "_")}.alog`));
    const logReused = options.logPath !== undefined && fs.existsSync(logPath);
    let reference: RunCapture | undefined;
    if (!logReused) {
      options.onProgress?.({ kind: "analyze", elapsedSeconds: elapsed() });
      const spec = { command: launcher.execPath, args: alpacaArgs(["analyze", "--func", options.func, "--log", logPath, options.program, ...options.args]), env };
      const analyzed = await runCaptured(outDir ? { ...spec, outputPrefix: path.join(outDir, "analyze") } : spec);
      const failure = alpacaFailure(analyzed);
      if (failure || !fs.existsSync(logPath)) {
        throw new AlpacaError(`energy: analysis of ${options.func} failed: ${(failure ?? analyzed.alpacaLines[0] ?? `status ${analyzed.exitCode}, no log written`).replace(/^alpaca: /, "")}`);
      }
      reference = analyzed;
    }

    // 2. The sampler.
    sampler = await SamplerProcess.spawn(options.samplerCommand);
    const zones = [...sampler.zoneLabels];

    // 3. The runs.
    const plan = schedule(options.warmup, options.runs);
    const records: RunRecord[] = [];
    for (const [i, step] of plan.entries()) {
      options.onProgress?.({ kind: "run", run: i + 1, total: plan.length, variant: step.variant, warmup: step.warmup, elapsedSeconds: elapsed() });
      const name = `${step.warmup ? "warmup-" : ""}${step.variant}-${step.index}`;
      const statsFile = path.join(tmp, `${name}.stats.json`);
      const runEnv: NodeJS.ProcessEnv = {
        ...env,
        ALPACA_MODE: step.variant === "baseline" ? "b" : "d",
        ALPACA_FUNC: options.func,
        ALPACA_LOG: logPath,
        [ENV_PPID]: String(sampler.pid),
        [ENV_CHANNEL]: sampler.channelDir,
        [ENV_RUN_ID]: name,
      };
      if (step.variant === "disabled") runEnv.ALPACA_STATS_FILE = statsFile;
      const spec = { command: launcher.execPath, args: alpacaArgs(["run", options.program, ...options.args]), env: runEnv };
      const capture = await runCaptured(outDir ? { ...spec, outputPrefix: path.join(outDir, name) } : spec);
      const failure = alpacaFailure(capture);
      if (failure) throw new AlpacaError(`energy: ${step.variant} run ${step.index}${step.warmup ? " (warm-up)" : ""} failed: ${failure.replace(/^alpaca: /, "")}`);
      const snaps = await sampler.waitForRun(name, 2, options.snapshotWaitMs ?? 5_000);
      const start = snaps.find((s) => s.request?.phase === "start");
      const end = snaps.find((s) => s.request?.phase === "end");
      if (!start || !end) {
        throw new EnvironmentError(`energy: ${step.variant} run ${step.index} took ${snaps.length} of its 2 snapshots (status ${capture.exitCode})`, {
          hint: "the run must call the notifier from ALPACA_PPID before and after the program",
        });
      }
      if (options.source.kind === "rapl" && (!start.energyUj || !end.energyUj)) {
        throw new EnvironmentError(`energy: the sampler could not read the counters during ${step.variant} run ${step.index}: ${sampler.errors[0] ?? "unknown error"}`);
      }
      reference ??= capture;
      const record: RunRecord = {
        variant: step.variant,
        index: step.index,
        warmup: step.warmup,
        order: i + 1,
        durationSeconds: Number(end.timestampNs - start.timestampNs) / 1e9,
        cpuSeconds: end.request && start.request ? (end.request.cpuUserUs + end.request.cpuSystemUs - start.request.cpuUserUs - start.request.cpuSystemUs) / 1e6 : Number.NaN,
        energyJ: energyBetween(zones, start, end),
        exitCode: capture.exitCode,
        wallSeconds: capture.wallSeconds,
        warnings: capture.alpacaLines.filter((l) => /^alpaca: warning: /.test(l)),
      };
      const flagged = compareCaptures(reference, capture);
      if (flagged) record.flagged = flagged;
      if (step.variant === "disabled") {
        const replay = readReplayStats(statsFile);
        if (replay) record.replay = replay;
      }
      records.push(record);
    }
    return {
      func: options.func,
      program: options.program,
      args: [...options.args],
      source: options.source,
      zones,
      reference: { kind: logReused ? "first-run" : "analyze", exitCode: reference?.exitCode ?? null, stdoutBytes: reference?.stdoutBytes ?? 0 },
      logPath,
      logReused,
      runs: records.filter((r) => !r.warmup),
      warmupRuns: records.filter((r) => r.warmup),
      samplerErrors: [...sampler.errors],
      totalSeconds: elapsed(),
    };
  } finally {
    await sampler?.stop();
    // The log survives only when the user named it.
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
