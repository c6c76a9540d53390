/**
 * `alpaca profile`: where a program's energy goes, function by function. Phase 1 runs the
 * program once with call counters and V8's sampling profiler (src/runtime/call-profile.ts) and
 * chooses candidates (candidates.ts). Phase 2 runs the energy comparison (src/energy
 * orchestrate.ts: analysis, then baseline, control and disabled runs until the cost's CI is
 * narrow enough) for each candidate in turn, sharing what is left of `maxTimeSeconds` among the
 * candidates still to measure. A candidate whose analysis fails, or whose replays do not
 * behave like the analyzed run, is listed with the reason. Returns raw results; reports are
 * profile-report.ts and html-report.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AlpacaError } from "../errors/index.js";
import { runEnergy, summarizeEnergy, type EnergyOptions, type EnergyResult, type EnergySummary, type ProgressEvent } from "../energy/index.js";
import { COMPILE_FLAGS } from "../energy/options.js";
import { alpacaFailure, runCaptured } from "../energy/runs/runner.js";
import type { CallProfile } from "../runtime/call-profile.js";
import { chooseCandidates, type Candidate, type CandidateChoice } from "./candidates.js";

/** V8's sampling interval in the first phase, µs. */
export const SAMPLE_INTERVAL_US = 100;
export const DEFAULT_TOP = 8;

/** Everything an energy comparison needs but the function and its time budget. */
export type MeasureOptions = Omit<EnergyOptions, "func" | "logPath" | "onProgress" | "maxTimeSeconds">;

export interface ProfileOptions {
  /** What every candidate's energy comparison gets (program, inputs, runs, source, signals). */
  energy: MeasureOptions;
  top: number;
  /** The whole profile's time budget, s. */
  maxTimeSeconds: number;
  /** A function's name for the report, by index (demangled). */
  nameOf: (index: number) => string;
  onPhase?: (event: PhaseEvent) => void;
  onProgress?: (func: string, event: ProgressEvent) => void;
}

export type PhaseEvent =
  | { kind: "candidates"; profile: CallProfile; choice: CandidateChoice; seconds: number }
  | { kind: "measure"; position: number; of: number; candidate: Candidate; budgetSeconds: number }
  | { kind: "measured"; fn: FunctionOutcome };

export type FunctionStatus = "measured" | "cannot-disable" | "not-measured";

export interface FunctionOutcome {
  candidate: Candidate;
  status: FunctionStatus;
  /** cannot-disable and not-measured: why. */
  reason?: string;
  result?: EnergyResult;
  summary?: EnergySummary;
}

export type ProfileStop = "done" | "max-time" | "interrupted";

export interface ProfileResult {
  program: string;
  args: string[];
  source: EnergyOptions["source"];
  compile: NonNullable<EnergyOptions["compile"]>;
  profile: CallProfile;
  /** Wall time of the first phase's run. */
  phase1Seconds: number;
  choice: CandidateChoice;
  functions: FunctionOutcome[];
  stopReason: ProfileStop;
  totalSeconds: number;
  top: number;
  precision: number | undefined;
}

/** Phase 1: one plain run with counters and samples. */
async function profileRun(o: MeasureOptions, tmp: string): Promise<{ profile: CallProfile; seconds: number }> {
  const file = path.join(tmp, "profile.json");
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(o.env)) if (!k.startsWith("ALPACA_") || k === "ALPACA_LOG_LEVEL") env[k] = v;
  env.ALPACA_PROFILE_FILE = file;
  env.ALPACA_PROFILE_INTERVAL_US = String(SAMPLE_INTERVAL_US);
  const args = [...COMPILE_FLAGS[o.compile ?? "optimized"], ...o.launcher.engineArgs, o.launcher.launcherPath, "run", ...(o.runOptions ?? []), o.program, ...o.args];
  const run = await runCaptured({ command: o.launcher.execPath, args, env, ...(o.stdinPath ? { stdinPath: o.stdinPath } : {}), ...(o.kill ? { kill: o.kill } : {}) });
  if (run.signal && o.kill?.aborted) throw new AlpacaError("profile: interrupted during the first phase");
  const failure = alpacaFailure(run);
  if (failure) throw new AlpacaError(`profile: the first phase's run failed: ${failure.replace(/^alpaca: /, "")}`);
  if (!fs.existsSync(file)) throw new AlpacaError(`profile: the first phase's run ended (${run.signal ? `signal ${run.signal}` : `status ${run.exitCode}`}) without a profile`);
  return { profile: JSON.parse(fs.readFileSync(file, "utf8")) as CallProfile, seconds: run.wallSeconds };
}

/** Why an energy comparison that finished says nothing about F's cost, if it does not. */
function cannotDisable(summary: EnergySummary, result: EnergyResult): string | undefined {
  if (!summary.insufficient) return undefined;
  const flag = result.runs.find((r) => r.flagged !== undefined);
  if (flag) return `its replay does not behave like the analyzed run (${flag.variant} run ${flag.index}: ${flag.flagged})`;
  return undefined;
}

export async function runProfile(o: ProfileOptions): Promise<ProfileResult> {
  const t0 = process.hrtime.bigint();
  const elapsed = (): number => Number(process.hrtime.bigint() - t0) / 1e9;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-profile-"));
  try {
    const e = o.energy;
    const phase1 = await profileRun(e, tmp);
    const choice = chooseCandidates(phase1.profile, o.nameOf, o.top);
    o.onPhase?.({ kind: "candidates", profile: phase1.profile, choice, seconds: phase1.seconds });
    const functions: FunctionOutcome[] = [];
    let stopReason: ProfileStop = "done";
    for (const [i, candidate] of choice.chosen.entries()) {
      const remaining = o.maxTimeSeconds - elapsed();
      if (e.stop?.aborted) stopReason = "interrupted";
      else if (remaining <= 0) stopReason = "max-time";
      if (stopReason !== "done") {
        functions.push({ candidate, status: "not-measured", reason: stopReason === "interrupted" ? "interrupted before its turn" : "--max-time reached before its turn" });
        continue;
      }
      const budgetSeconds = remaining / (choice.chosen.length - i);
      o.onPhase?.({ kind: "measure", position: i + 1, of: choice.chosen.length, candidate, budgetSeconds });
      const options: EnergyOptions = { ...e, func: `#${candidate.index}`, maxTimeSeconds: budgetSeconds };
      const onProgress = o.onProgress;
      if (onProgress) options.onProgress = (event) => onProgress(candidate.name, event);
      let fn: FunctionOutcome;
      try {
        // The report names the function as the user reads it, not by the `#INDEX` it was run by.
        const result = { ...(await runEnergy(options)), func: candidate.name };
        const summary = summarizeEnergy(result);
        const reason = cannotDisable(summary, result);
        fn = reason ? { candidate, status: "cannot-disable", reason, result, summary } : { candidate, status: "measured", result, summary };
        if (result.stopReason === "interrupted") stopReason = "interrupted";
      } catch (error) {
        if (!(error instanceof AlpacaError)) throw error;
        if (e.kill?.aborted || e.stop?.aborted) {
          stopReason = "interrupted";
          fn = { candidate, status: "not-measured", reason: "interrupted" };
        } else {
          fn = { candidate, status: "cannot-disable", reason: error.message.replace(/^energy: /, "") };
        }
      }
      functions.push(fn);
      o.onPhase?.({ kind: "measured", fn });
    }
    return {
      program: e.program,
      args: [...e.args],
      source: e.source,
      compile: e.compile ?? "optimized",
      profile: phase1.profile,
      phase1Seconds: phase1.seconds,
      choice,
      functions,
      stopReason,
      totalSeconds: elapsed(),
      top: o.top,
      precision: e.runs === "auto" ? e.precision : undefined,
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
