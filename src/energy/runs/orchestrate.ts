/**
 * The energy comparison: analyze F once (or reuse a log), start a sampler, then run the
 * variants (schedule.ts: baseline `ALPACA_MODE=b`, control `c`, disabled `d`) in balanced rounds
 * after discarded warm-up rounds, each run in its own process with the same Node binary, engine
 * flags, run options and stdin. Every run takes a start and an end snapshot through the
 * sampler's channel; a run whose exit status or output differs from the analyzed run's is
 * flagged. Rounds continue until the fixed number of runs, or with `runs: "auto"` until the
 * cost's 95% CI is narrow enough, `maxRuns` or `maxTime` is reached; a stop request ends the
 * comparison after the current run (`stopReason: "interrupted"`). Returns raw per-run data;
 * summary.ts does the statistics. The temporary folder is removed however it ends.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AlpacaError, EnvironmentError, UsageError } from "../../errors/index.js";
import { ENV_CHANNEL, ENV_PPID, ENV_RUN_ID } from "../sampler/channel.js";
import { COMPILE_FLAGS, DEFAULT_MAX_RUNS, DEFAULT_MAX_TIME_SECONDS, DEFAULT_PRECISION, type CompileMode } from "../options.js";
import { alpacaFailure, compareCaptures, runCaptured, type Launcher, type RunCapture, type RunSpec } from "./runner.js";
import { RunnerKilled, RunnerProcess } from "./runner-process.js";
import { SamplerProcess, type SamplerCommand } from "../sampler/sampler-client.js";
import type { Snapshot } from "../sampler/sampler.js";
import { roundOrder } from "./schedule.js";
import { currentCost } from "../stats/summary.js";
import type { CostMethod, EnergyResult, ReplayStats, ResolvedSource, RunRecord, StopReason, Variant } from "../types.js";

export interface EnergyOptions {
  func: string;
  program: string;
  args: readonly string[];
  /** Measured rounds (runs per variant, ≥ 2), or "auto": until `precision`, `maxRuns` or `maxTimeSeconds`. */
  runs: number | "auto";
  /** Discarded warm-up rounds. */
  warmup: number;
  /** auto: stop when the cost's 95% CI half-width is at most this fraction of the baseline's mean (default 0.05). */
  precision?: number;
  /** auto: at most this many runs per variant (default 30). */
  maxRuns?: number;
  /** auto: start no round after this many seconds (default 600). */
  maxTimeSeconds?: number;
  /** A/A: every slot runs the baseline, to show the noise floor. */
  aa?: boolean;
  /**
   * Whether the runs include control runs: true (Wasm), false, or a check made once the log
   * exists that answers null or why not (native: src/native nativeControlRefusal). Without them
   * F's cost is baseline − disabled.
   */
  control: boolean | ((logPath: string) => Promise<string | null>);
  /** Told why the control check said no. */
  onNoControl?: (why: string) => void;
  /** How V8 compiles the program in the measured runs (default "optimized"; see COMPILE_FLAGS). */
  compile?: CompileMode;
  source: ResolvedSource;
  launcher: Launcher;
  /** How to start the sampler (see sampler-command.ts). */
  samplerCommand: SamplerCommand;
  /** Effect log: reused when the file exists, written there otherwise (kept). */
  logPath?: string;
  /** alpaca options every run and the analysis get, before PROGRAM (--dir, --env). */
  runOptions?: readonly string[];
  /** alpaca options only the analysis gets (--strategy). */
  analyzeOptions?: readonly string[];
  /** Replay a reused log even when it does not verify with the user's key (--trust-log). */
  trustLog?: boolean;
  /** A file fed as stdin to the analysis and to every run (read once by the caller). */
  stdinPath?: string;
  /** Keep every run's stdout/stderr here. */
  programOutputDir?: string;
  /** Base environment of the runs (ALPACA_* variables are removed). */
  env: NodeJS.ProcessEnv;
  onProgress?: (event: ProgressEvent) => void;
  /** Aborted: finish the current run, then stop (stopReason "interrupted"). */
  stop?: AbortSignal;
  /** Aborted: kill the current run too. */
  kill?: AbortSignal;
  /** How long to wait for a finished run's snapshots to arrive from the sampler (default 5 s). */
  snapshotWaitMs?: number;
  /**
   * Make every measured run in one runner process (`alpaca runner`, runner-process.ts), which
   * keeps the compiled modules between runs, instead of a process per run. WebAssembly only;
   * default true when `control` (Wasm), false otherwise.
   */
  persistentRunner?: boolean;
}


/** The primary metric's cost so far, for progress lines. */
export interface RunningEstimate {
  metric: string;
  unit: "J" | "s";
  estimate: number;
  ci95: readonly [number, number];
  baselineMean: number;
}

export type ProgressEvent =
  | { kind: "analyze"; elapsedSeconds: number }
  | { kind: "run"; round: number; rounds: number | "auto"; variant: Variant; warmup: boolean; elapsedSeconds: number; estimate?: RunningEstimate }
  | { kind: "stop"; reason: StopReason; elapsedSeconds: number };

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

/**
 * What a run wrote to ALPACA_STATS_FILE: its replay's statistics (disabled and control runs), and
 * the identity of the log as it checked or wrote it, which later runs get as ALPACA_LOG_CHECKED
 * so that they do not read every record again before they start.
 */
function readRunReport(file: string): { replay?: ReplayStats; logChecked?: string } {
  let s: Partial<ReplayStats> & { logChecked?: unknown };
  try {
    s = JSON.parse(fs.readFileSync(file, "utf8")) as typeof s;
  } catch {
    return {};
  }
  const out: { replay?: ReplayStats; logChecked?: string } = {};
  const { invocations, bytesWritten, callsReexecuted, callsAnswered, replayNs } = s;
  if (typeof invocations === "number" && typeof bytesWritten === "number" && typeof callsReexecuted === "number" && typeof callsAnswered === "number" && typeof replayNs === "number") {
    out.replay = { invocations, bytesWritten, callsReexecuted, callsAnswered, replayNs };
  }
  if (typeof s.logChecked === "string") out.logChecked = s.logChecked;
  return out;
}

const MODE_OF: Record<Variant, string> = { baseline: "b", control: "c", disabled: "d" };

/**
 * `--runs auto` stops for precision no earlier than this round. With three runs a variant the
 * CI of a machine whose runs are bimodal (examples/known_costs.c: 377 ms or 464 ms for the same
 * run, by where its memory lands) comes out narrow by chance about as often as not; a profile
 * measured big_kernel at 49% of the program against 40% that way.
 */
export const MIN_ROUNDS_FOR_PRECISION = 5;

/** Whether to start another measured round, and if not why. */
function nextRoundOrStop(o: EnergyOptions, rounds: number, elapsedSeconds: number, lastRoundSeconds: number, estimate: RunningEstimate | undefined): StopReason | undefined {
  if (o.runs !== "auto") return rounds >= o.runs ? "runs" : undefined;
  if (rounds >= MIN_ROUNDS_FOR_PRECISION && estimate) {
    const half = (estimate.ci95[1] - estimate.ci95[0]) / 2;
    if (half <= (o.precision ?? DEFAULT_PRECISION) * Math.abs(estimate.baselineMean)) return "precision";
  }
  if (rounds >= (o.maxRuns ?? DEFAULT_MAX_RUNS)) return "max-runs";
  if (elapsedSeconds + lastRoundSeconds > (o.maxTimeSeconds ?? DEFAULT_MAX_TIME_SECONDS)) return "max-time";
  return undefined;
}

export async function runEnergy(options: EnergyOptions): Promise<EnergyResult> {
  if (options.runs !== "auto" && (!Number.isInteger(options.runs) || options.runs < 2)) throw new UsageError(`--runs ${options.runs}: need at least 2 runs per variant for statistics`);
  if (!Number.isInteger(options.warmup) || options.warmup < 0) throw new UsageError(`--warmup ${options.warmup}: expected a whole number ≥ 0`);
  const t0 = process.hrtime.bigint();
  const elapsed = (): number => Number(process.hrtime.bigint() - t0) / 1e9;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-energy-"));
  const outDir = options.programOutputDir;
  if (outDir) fs.mkdirSync(outDir, { recursive: true });
  const env = baseRunEnv(options.env);
  const launcher = options.launcher;
  const alpacaArgs = (sub: string[]): string[] => [...launcher.engineArgs, launcher.launcherPath, ...sub];
  let control = options.control === true;
  let variants: Variant[] = ["baseline", "disabled"];
  let method: CostMethod = "baseline-minus-disabled";
  const runOptions = options.runOptions ?? [];
  const spawnSpec = (args: string[], runEnv: NodeJS.ProcessEnv, name: string): RunSpec => {
    const spec: RunSpec = { command: launcher.execPath, args, env: runEnv };
    if (outDir) spec.outputPrefix = path.join(outDir, name);
    if (options.stdinPath) spec.stdinPath = options.stdinPath;
    if (options.kill) spec.kill = options.kill;
    return spec;
  };
  let sampler: SamplerProcess | undefined;
  let runner: RunnerProcess | undefined;
  const killRunner = (): void => runner?.kill();
  options.kill?.addEventListener("abort", killRunner);
  try {
    // 1. The effect log, and the reference behaviour every run must reproduce.
    const logPath = path.resolve(options.logPath ?? path.join(tmp, `${options.func.replace(/[^\w.-]/g, "_")}.alog`));
    const logReused = options.logPath !== undefined && fs.existsSync(logPath);
    let reference: RunCapture | undefined;
    let logChecked: string | undefined;
    if (!logReused) {
      options.onProgress?.({ kind: "analyze", elapsedSeconds: elapsed() });
      const args = alpacaArgs(["analyze", "--func", options.func, "--log", logPath, ...runOptions, ...(options.analyzeOptions ?? []), options.program, ...options.args]);
      const analyzeReport = path.join(tmp, "analyze.stats.json");
      const analyzed = await runCaptured(spawnSpec(args, { ...env, ALPACA_STATS_FILE: analyzeReport }, "analyze"));
      logChecked = readRunReport(analyzeReport).logChecked;
      const failure = alpacaFailure(analyzed);
      if (failure || !fs.existsSync(logPath)) {
        if (analyzed.signal && options.kill?.aborted) throw new AlpacaError("energy: interrupted during the analysis");
        throw new AlpacaError(`energy: analysis of ${options.func} failed: ${(failure ?? analyzed.alpacaLines[0] ?? `status ${analyzed.exitCode}, no log written`).replace(/^alpaca: /, "")}`);
      }
      reference = analyzed;
    }

    if (typeof options.control === "function") {
      const why = await options.control(logPath);
      control = why === null;
      if (why !== null) options.onNoControl?.(why);
    }
    if (control) [variants, method] = [["baseline", "control", "disabled"], "control-minus-disabled"];

    // 2. The sampler, and the runner process when runs share one.
    sampler = await SamplerProcess.spawn(options.samplerCommand);
    const zones = [...sampler.zoneLabels];
    if (options.persistentRunner ?? control) {
      const runnerEnv: NodeJS.ProcessEnv = {
        ...env,
        ALPACA_FUNC: options.func,
        ALPACA_LOG: logPath,
        [ENV_PPID]: String(sampler.pid),
        [ENV_CHANNEL]: sampler.channelDir,
        ...(logChecked ? { ALPACA_LOG_CHECKED: logChecked } : {}),
      };
      const runnerArgs = [...COMPILE_FLAGS[options.compile ?? "optimized"], "--expose-gc", ...alpacaArgs(["runner", ...(options.trustLog ? ["--trust-log"] : []), ...runOptions, options.program, ...options.args])];
      runner = RunnerProcess.start(launcher.execPath, runnerArgs, runnerEnv);
    }

    // 3. The runs, round by round.
    const records: RunRecord[] = [];
    const warmupRecords: RunRecord[] = [];
    const partial = (): Pick<EnergyResult, "source" | "zones" | "runs" | "method"> => ({ source: options.source, zones, runs: records, method });
    let stopReason: StopReason | undefined;
    let rounds = 0;
    let order = 0;
    let lastRoundSeconds = 0;
    let estimate: RunningEstimate | undefined;
    for (let round = 0; ; round++) {
      const warmup = round < options.warmup;
      if (!warmup) {
        stopReason = nextRoundOrStop(options, rounds, elapsed(), lastRoundSeconds, estimate);
        if (stopReason) break;
      }
      const roundStart = elapsed();
      const index = warmup ? round + 1 : round - options.warmup + 1;
      for (const variant of roundOrder(variants, round)) {
        if (options.stop?.aborted) stopReason = "interrupted";
        if (stopReason) break;
        order++;
        options.onProgress?.({ kind: "run", round: index, rounds: options.runs, variant, warmup, elapsedSeconds: elapsed(), ...(estimate ? { estimate } : {}) });
        const name = `${warmup ? "warmup-" : ""}${variant}-${index}`;
        const statsFile = path.join(tmp, `${name}.stats.json`);
        const runEnv: NodeJS.ProcessEnv = {
          ...env,
          ALPACA_MODE: options.aa ? MODE_OF.baseline : MODE_OF[variant],
          ALPACA_FUNC: options.func,
          ALPACA_LOG: logPath,
          ALPACA_STATS_FILE: statsFile,
          [ENV_PPID]: String(sampler.pid),
          [ENV_CHANNEL]: sampler.channelDir,
          [ENV_RUN_ID]: name,
          ...(logChecked ? { ALPACA_LOG_CHECKED: logChecked } : {}),
        };
        let capture: RunCapture;
        let report: { replay?: ReplayStats; logChecked?: string };
        if (runner) {
          try {
            const r = await runner.run({ mode: options.aa ? "b" : (MODE_OF[variant] as "b" | "c" | "d"), runId: name, outputPrefix: path.join(outDir ?? tmp, name), keepOutput: outDir !== undefined, ...(options.stdinPath ? { stdinPath: options.stdinPath } : {}) });
            capture = r.capture;
            report = { ...(r.stats ? { replay: r.stats } : {}), ...(r.logChecked ? { logChecked: r.logChecked } : {}) };
          } catch (error) {
            if (!(error instanceof RunnerKilled)) throw error;
            if (options.kill?.aborted) {
              stopReason = "interrupted";
              break;
            }
            throw new AlpacaError(`energy: ${variant} run ${index}: ${error.message}`);
          }
        } else {
          // --expose-gc: a run collects its setup's garbage before the start snapshot (src/native/index.ts).
          const runArgs = [...COMPILE_FLAGS[options.compile ?? "optimized"], "--expose-gc", ...alpacaArgs(["run", ...(options.trustLog ? ["--trust-log"] : []), ...runOptions, options.program, ...options.args])];
          capture = await runCaptured(spawnSpec(runArgs, runEnv, name));
          if (capture.signal && options.kill?.aborted) {
            stopReason = "interrupted";
            break;
          }
          report = readRunReport(statsFile);
        }
        const failure = alpacaFailure(capture);
        if (failure) throw new AlpacaError(`energy: ${variant} run ${index}${warmup ? " (warm-up)" : ""} failed: ${failure.replace(/^alpaca: /, "")}`);
        const snaps = await sampler.waitForRun(name, 2, options.snapshotWaitMs ?? 5_000);
        const start = snaps.find((s) => s.request?.phase === "start");
        const end = snaps.find((s) => s.request?.phase === "end");
        if (!start || !end) {
          throw new EnvironmentError(`energy: ${variant} run ${index} took ${snaps.length} of its 2 snapshots (status ${capture.exitCode})`, {
            hint: "the run must call the notifier from ALPACA_PPID before and after the program",
          });
        }
        if (options.source.kind === "rapl" && (!start.energyUj || !end.energyUj)) {
          throw new EnvironmentError(`energy: the sampler could not read the counters during ${variant} run ${index}: ${sampler.errors[0] ?? "unknown error"}`);
        }
        reference ??= capture;
        const record: RunRecord = {
          variant,
          index,
          warmup,
          order,
          durationSeconds: Number(end.timestampNs - start.timestampNs) / 1e9,
          cpuSeconds: end.request && start.request ? (end.request.cpuUserUs + end.request.cpuSystemUs - start.request.cpuUserUs - start.request.cpuSystemUs) / 1e6 : Number.NaN,
          energyJ: energyBetween(zones, start, end),
          exitCode: capture.exitCode,
          wallSeconds: capture.wallSeconds,
          warnings: capture.alpacaLines.filter((l) => /^alpaca: warning: /.test(l)),
        };
        const flagged = compareCaptures(reference, capture);
        if (flagged) record.flagged = flagged;
        if (report.replay) record.replay = report.replay;
        logChecked ??= report.logChecked;
        (warmup ? warmupRecords : records).push(record);
      }
      if (stopReason) break;
      if (!warmup) {
        rounds++;
        lastRoundSeconds = elapsed() - roundStart;
        const c = currentCost(partial());
        estimate = c ? { metric: c.metric, unit: c.unit, estimate: c.estimate, ci95: c.ci95, baselineMean: c.baselineMean } : undefined;
      }
    }
    options.onProgress?.({ kind: "stop", reason: stopReason, elapsedSeconds: elapsed() });
    const result: EnergyResult = {
      func: options.func,
      compile: options.compile ?? "optimized",
      variants,
      method,
      aa: options.aa ?? false,
      stopReason,
      program: options.program,
      args: [...options.args],
      source: options.source,
      zones,
      reference: { kind: logReused ? "first-run" : "analyze", exitCode: reference?.exitCode ?? null, stdoutBytes: reference?.stdoutBytes ?? 0 },
      logPath,
      logReused,
      runs: records,
      warmupRuns: warmupRecords,
      samplerErrors: [...sampler.errors],
      totalSeconds: elapsed(),
    };
    if (options.runs === "auto") result.precision = options.precision ?? DEFAULT_PRECISION;
    return result;
  } finally {
    options.kill?.removeEventListener("abort", killRunner);
    await runner?.close();
    await sampler?.stop();
    // The log survives only when the user named it.
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
