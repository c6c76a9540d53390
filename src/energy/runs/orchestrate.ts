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

/** What one run produced: its capture and what it reported (replay statistics, the checked log). */
interface RunDone {
  capture: RunCapture;
  report: { replay?: ReplayStats; logChecked?: string };
}

/**
 * One energy comparison, in the order it happens: the analysis (or a reused log), the choice of
 * variants, the sampler and the runner, then balanced rounds of runs until a stop rule says
 * stop, and the result. Each step is a method; the state they share is the fields.
 */
class Comparison {
  private readonly t0 = process.hrtime.bigint();
  private readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-energy-"));
  private readonly outDir: string | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private readonly runOptions: string[];
  private readonly logPath: string;
  private readonly logReused: boolean;
  private control: boolean;
  private variants: Variant[] = ["baseline", "disabled"];
  private method: CostMethod = "baseline-minus-disabled";
  private sampler: SamplerProcess | undefined;
  private runner: RunnerProcess | undefined;
  private zones: string[] = [];
  /** The behaviour every run must reproduce: the analysis's, or with a reused log the first run's. */
  private reference: RunCapture | undefined;
  /** The checked-log token (src/log/mac.ts) once a run has checked the log. */
  private logChecked: string | undefined;
  private readonly records: RunRecord[] = [];
  private readonly warmupRecords: RunRecord[] = [];
  private order = 0;

  constructor(private readonly options: EnergyOptions) {
    this.outDir = options.programOutputDir;
    if (this.outDir) fs.mkdirSync(this.outDir, { recursive: true });
    this.env = baseRunEnv(options.env);
    this.runOptions = [...(options.runOptions ?? [])];
    this.control = options.control === true;
    this.logPath = path.resolve(options.logPath ?? path.join(this.tmp, `${options.func.replace(/[^\w.-]/g, "_")}.alog`));
    this.logReused = options.logPath !== undefined && fs.existsSync(this.logPath);
  }

  private readonly killRunner = (): void => this.runner?.kill();

  private elapsed(): number {
    return Number(process.hrtime.bigint() - this.t0) / 1e9;
  }

  private alpacaArgs(sub: string[]): string[] {
    const launcher = this.options.launcher;
    return [...launcher.engineArgs, launcher.launcherPath, ...sub];
  }

  private spawnSpec(args: string[], runEnv: NodeJS.ProcessEnv, name: string): RunSpec {
    const spec: RunSpec = { command: this.options.launcher.execPath, args, env: runEnv };
    if (this.outDir) spec.outputPrefix = path.join(this.outDir, name);
    if (this.options.stdinPath) spec.stdinPath = this.options.stdinPath;
    if (this.options.kill) spec.kill = this.options.kill;
    return spec;
  }

  async run(): Promise<EnergyResult> {
    this.options.kill?.addEventListener("abort", this.killRunner);
    try {
      if (!this.logReused) await this.analyze();
      await this.chooseVariants();
      await this.startProcesses();
      const stopReason = await this.rounds();
      this.options.onProgress?.({ kind: "stop", reason: stopReason, elapsedSeconds: this.elapsed() });
      return this.result(stopReason);
    } finally {
      this.options.kill?.removeEventListener("abort", this.killRunner);
      await this.runner?.close();
      await this.sampler?.stop();
      // The log survives only when the user named it.
      fs.rmSync(this.tmp, { recursive: true, force: true });
    }
  }

  /** 1. The effect log, and the reference behaviour every run must reproduce. */
  private async analyze(): Promise<void> {
    const o = this.options;
    o.onProgress?.({ kind: "analyze", elapsedSeconds: this.elapsed() });
    const args = this.alpacaArgs(["analyze", "--func", o.func, "--log", this.logPath, ...this.runOptions, ...(o.analyzeOptions ?? []), o.program, ...o.args]);
    const analyzeReport = path.join(this.tmp, "analyze.stats.json");
    const analyzed = await runCaptured(this.spawnSpec(args, { ...this.env, ALPACA_STATS_FILE: analyzeReport }, "analyze"));
    this.logChecked = readRunReport(analyzeReport).logChecked;
    const failure = alpacaFailure(analyzed);
    if (failure || !fs.existsSync(this.logPath)) {
      if (analyzed.signal && o.kill?.aborted) throw new AlpacaError("energy: interrupted during the analysis");
      throw new AlpacaError(`energy: analysis of ${o.func} failed: ${(failure ?? analyzed.alpacaLines[0] ?? `status ${analyzed.exitCode}, no log written`).replace(/^alpaca: /, "")}`);
    }
    this.reference = analyzed;
  }

  /** Control runs when asked for and possible (a function of the log decides for native programs). */
  private async chooseVariants(): Promise<void> {
    const o = this.options;
    if (typeof o.control === "function") {
      const why = await o.control(this.logPath);
      this.control = why === null;
      if (why !== null) o.onNoControl?.(why);
    }
    if (this.control) [this.variants, this.method] = [["baseline", "control", "disabled"], "control-minus-disabled"];
  }

  /** 2. The sampler, and the runner process when runs share one. */
  private async startProcesses(): Promise<void> {
    const o = this.options;
    const sampler = await SamplerProcess.spawn(o.samplerCommand);
    this.sampler = sampler;
    this.zones = [...sampler.zoneLabels];
    if (!(o.persistentRunner ?? this.control)) return;
    const runnerEnv: NodeJS.ProcessEnv = {
      ...this.env,
      ALPACA_FUNC: o.func,
      ALPACA_LOG: this.logPath,
      [ENV_PPID]: String(sampler.pid),
      [ENV_CHANNEL]: sampler.channelDir,
      ...(this.logChecked ? { ALPACA_LOG_CHECKED: this.logChecked } : {}),
    };
    const runnerArgs = [...COMPILE_FLAGS[o.compile ?? "optimized"], "--expose-gc", ...this.alpacaArgs(["runner", ...(o.trustLog ? ["--trust-log"] : []), ...this.runOptions, o.program, ...o.args])];
    this.runner = RunnerProcess.start(o.launcher.execPath, runnerArgs, runnerEnv);
  }

  /** 3. The runs, round by round, until a stop rule or Ctrl-C; returns why they stopped. */
  private async rounds(): Promise<StopReason> {
    const o = this.options;
    let rounds = 0;
    let lastRoundSeconds = 0;
    let estimate: RunningEstimate | undefined;
    for (let round = 0; ; round++) {
      const warmup = round < o.warmup;
      if (!warmup) {
        const stop = nextRoundOrStop(o, rounds, this.elapsed(), lastRoundSeconds, estimate);
        if (stop) return stop;
      }
      const roundStart = this.elapsed();
      const index = warmup ? round + 1 : round - o.warmup + 1;
      for (const variant of roundOrder(this.variants, round)) {
        if (o.stop?.aborted) return "interrupted";
        this.order++;
        o.onProgress?.({ kind: "run", round: index, rounds: o.runs, variant, warmup, elapsedSeconds: this.elapsed(), ...(estimate ? { estimate } : {}) });
        const done = await this.runOnce(variant, index, warmup);
        if (done === "interrupted") return "interrupted";
        await this.record(variant, index, warmup, done);
      }
      if (!warmup) {
        rounds++;
        lastRoundSeconds = this.elapsed() - roundStart;
        const c = currentCost({ source: o.source, zones: this.zones, runs: this.records, method: this.method });
        estimate = c ? { metric: c.metric, unit: c.unit, estimate: c.estimate, ci95: c.ci95, baselineMean: c.baselineMean } : undefined;
      }
    }
  }

  /** One run of `variant`: in the runner process, or as an `alpaca run` of its own. */
  private async runOnce(variant: Variant, index: number, warmup: boolean): Promise<RunDone | "interrupted"> {
    const o = this.options;
    const sampler = this.sampler!;
    const name = `${warmup ? "warmup-" : ""}${variant}-${index}`;
    if (this.runner) {
      try {
        const r = await this.runner.run({ mode: o.aa ? "b" : (MODE_OF[variant] as "b" | "c" | "d"), runId: name, outputPrefix: path.join(this.outDir ?? this.tmp, name), keepOutput: this.outDir !== undefined, ...(o.stdinPath ? { stdinPath: o.stdinPath } : {}) });
        return { capture: r.capture, report: { ...(r.stats ? { replay: r.stats } : {}), ...(r.logChecked ? { logChecked: r.logChecked } : {}) } };
      } catch (error) {
        if (!(error instanceof RunnerKilled)) throw error;
        if (o.kill?.aborted) return "interrupted";
        throw new AlpacaError(`energy: ${variant} run ${index}: ${error.message}`);
      }
    }
    const statsFile = path.join(this.tmp, `${name}.stats.json`);
    const runEnv: NodeJS.ProcessEnv = {
      ...this.env,
      ALPACA_MODE: o.aa ? MODE_OF.baseline : MODE_OF[variant],
      ALPACA_FUNC: o.func,
      ALPACA_LOG: this.logPath,
      ALPACA_STATS_FILE: statsFile,
      [ENV_PPID]: String(sampler.pid),
      [ENV_CHANNEL]: sampler.channelDir,
      [ENV_RUN_ID]: name,
      ...(this.logChecked ? { ALPACA_LOG_CHECKED: this.logChecked } : {}),
    };
    // --expose-gc: a run collects its setup's garbage before the start snapshot (src/native/index.ts).
    const runArgs = [...COMPILE_FLAGS[o.compile ?? "optimized"], "--expose-gc", ...this.alpacaArgs(["run", ...(o.trustLog ? ["--trust-log"] : []), ...this.runOptions, o.program, ...o.args])];
    const capture = await runCaptured(this.spawnSpec(runArgs, runEnv, name));
    if (capture.signal && o.kill?.aborted) return "interrupted";
    return { capture, report: readRunReport(statsFile) };
  }

  /** A finished run's record: its snapshots' energy and times, compared with the reference behaviour. */
  private async record(variant: Variant, index: number, warmup: boolean, { capture, report }: RunDone): Promise<void> {
    const o = this.options;
    const sampler = this.sampler!;
    const name = `${warmup ? "warmup-" : ""}${variant}-${index}`;
    const failure = alpacaFailure(capture);
    if (failure) throw new AlpacaError(`energy: ${variant} run ${index}${warmup ? " (warm-up)" : ""} failed: ${failure.replace(/^alpaca: /, "")}`);
    const snaps = await sampler.waitForRun(name, 2, o.snapshotWaitMs ?? 5_000);
    const start = snaps.find((s) => s.request?.phase === "start");
    const end = snaps.find((s) => s.request?.phase === "end");
    if (!start || !end) {
      throw new EnvironmentError(`energy: ${variant} run ${index} took ${snaps.length} of its 2 snapshots (status ${capture.exitCode})`, {
        hint: "the run must call the notifier from ALPACA_PPID before and after the program",
      });
    }
    if (o.source.kind === "rapl" && (!start.energyUj || !end.energyUj)) {
      throw new EnvironmentError(`energy: the sampler could not read the counters during ${variant} run ${index}: ${sampler.errors[0] ?? "unknown error"}`);
    }
    this.reference ??= capture;
    const record: RunRecord = {
      variant,
      index,
      warmup,
      order: this.order,
      durationSeconds: Number(end.timestampNs - start.timestampNs) / 1e9,
      cpuSeconds: end.request && start.request ? (end.request.cpuUserUs + end.request.cpuSystemUs - start.request.cpuUserUs - start.request.cpuSystemUs) / 1e6 : Number.NaN,
      energyJ: energyBetween(this.zones, start, end),
      exitCode: capture.exitCode,
      wallSeconds: capture.wallSeconds,
      warnings: capture.alpacaLines.filter((l) => /^alpaca: warning: /.test(l)),
    };
    const flagged = compareCaptures(this.reference, capture);
    if (flagged) record.flagged = flagged;
    if (report.replay) record.replay = report.replay;
    this.logChecked ??= report.logChecked;
    (warmup ? this.warmupRecords : this.records).push(record);
  }

  private result(stopReason: StopReason): EnergyResult {
    const o = this.options;
    const result: EnergyResult = {
      func: o.func,
      compile: o.compile ?? "optimized",
      variants: this.variants,
      method: this.method,
      aa: o.aa ?? false,
      stopReason,
      program: o.program,
      args: [...o.args],
      source: o.source,
      zones: this.zones,
      reference: { kind: this.logReused ? "first-run" : "analyze", exitCode: this.reference?.exitCode ?? null, stdoutBytes: this.reference?.stdoutBytes ?? 0 },
      logPath: this.logPath,
      logReused: this.logReused,
      runs: this.records,
      warmupRuns: this.warmupRecords,
      samplerErrors: [...this.sampler!.errors],
      totalSeconds: this.elapsed(),
    };
    if (o.runs === "auto") result.precision = o.precision ?? DEFAULT_PRECISION;
    return result;
  }
}

/** Runs one energy comparison (see EnergyOptions and docs/energy.md). */
export async function runEnergy(options: EnergyOptions): Promise<EnergyResult> {
  if (options.runs !== "auto" && (!Number.isInteger(options.runs) || options.runs < 2)) throw new UsageError(`--runs ${options.runs}: need at least 2 runs per variant for statistics`);
  if (!Number.isInteger(options.warmup) || options.warmup < 0) throw new UsageError(`--warmup ${options.warmup}: expected a whole number ≥ 0`);
  return new Comparison(options).run();
}
