/**
 * Turns command-line options and ALPACA_* variables into a RunRequest, and runs it on the backend
 * that fits the program (ELF → native x86-64, else WebAssembly). Handles the outcome the same way
 * in every mode: warnings and traps on stderr, the guest's exit status as ours.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../errors/index.js";
import { loadUserKey } from "../log/user-key.js";
import { isElfFile } from "../backend/program-kind.js";
import type { DirMapping, RunMode, RunOutcome, RunRequest } from "../backend/index.js";
import type { CliContext } from "./context.js";
import { ExitStatus } from "./exit-status.js";
import { makeStdoutAndStderrBlocking } from "./stdio.js";

/*
 * Backends and the energy notifier are imported where a run needs them, not at the top: `--help`
 * loads none of them, and a Wasm run pays neither for capstone's decoder nor for the sampler
 * protocol.
 */


export interface RunOptions {
  func?: string;
  log?: string;
  dir?: string[];
  env?: string[];
  strict?: boolean;
  onExtraCalls?: string;
  stats?: boolean;
  liveInputs?: boolean;
  strategy?: string;
  trustLog?: boolean;
}

/** Options shared by run, analyze and disable. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function parseDirs(specs: string[] = []): DirMapping[] {
  return specs.map((spec) => {
    const i = spec.lastIndexOf(":");
    const host = i > 0 ? spec.slice(0, i) : spec;
    const guest = i > 0 ? spec.slice(i + 1) : spec;
    if (!host || !guest) throw new UsageError(`--dir ${spec}: expected HOST[:GUEST]`);
    return { host: resolve(host), guest };
  });
}

/** The guest environment: --env K=V entries (K alone copies the host's value); never ALPACA_*. */
export function parseEnv(specs: string[] = [], hostEnv: NodeJS.ProcessEnv, base: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (!k.startsWith("ALPACA_")) env[k] = v;
  for (const spec of specs) {
    const i = spec.indexOf("=");
    const key = i >= 0 ? spec.slice(0, i) : spec;
    if (!key) throw new UsageError(`--env ${spec}: expected KEY=VALUE or KEY`);
    if (key.startsWith("ALPACA_")) throw new UsageError(`--env ${key}: ALPACA_* variables are alpaca's own and never reach the program`);
    const value = i >= 0 ? spec.slice(i + 1) : hostEnv[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

export function isNativeProgram(path: string): boolean {
  return isElfFile(path);
}

export async function buildRequest(ctx: CliContext, mode: RunMode, program: string, args: string[], o: RunOptions): Promise<RunRequest> {
  if (o.onExtraCalls !== undefined && o.onExtraCalls !== "error" && o.onExtraCalls !== "run") {
    throw new UsageError(`--on-extra-calls ${o.onExtraCalls}: expected error or run`);
  }
  const native = isNativeProgram(program);
  const hostEnv = ctx.env;
  // Native programs inherit the environment, as they would outside alpaca; WASI guests get
  // only what --env gives them, as in other WASI runtimes.
  let logKey: Uint8Array | undefined;
  const base = native ? Object.fromEntries(Object.entries(hostEnv).filter((e): e is [string, string] => e[1] !== undefined)) : {};
  const req: RunRequest = {
    mode,
    programPath: program,
    args,
    env: parseEnv(o.env, hostEnv, base),
    dirs: parseDirs(o.dir),
    onExtraCalls: o.onExtraCalls === "run" ? "run" : "error",
    strict: o.strict ?? false,
    liveInputs: o.liveInputs ?? false,
    trustLog: o.trustLog ?? false,
    logKey: () => (logKey ??= loadUserKey(hostEnv)),
    logger: ctx.logger,
  };
  if (o.strategy !== undefined) {
    if (o.strategy !== "diff" && o.strategy !== "marks" && o.strategy !== "host-marks" && o.strategy !== "adaptive") {
      throw new UsageError(`strategy ${o.strategy}: expected diff, marks, host-marks or adaptive`);
    }
    req.strategy = o.strategy;
  }
  if (o.func !== undefined) req.func = o.func;
  // ALPACA_REPLAY_CORE=0 keeps the whole replay in JS: for benchmarks and tests that compare the two.
  if (hostEnv.ALPACA_REPLAY_CORE === "0") req.replayCore = false;
  // Set by the energy command for runs of a log an earlier run checked (FileLogSource.identity).
  if (hostEnv.ALPACA_LOG_CHECKED) req.logChecked = hostEnv.ALPACA_LOG_CHECKED;
  if (o.log !== undefined) req.logPath = o.log;
  // Set by `alpaca profile` for its first phase: call counts and V8's samples, written to that file.
  if (hostEnv.ALPACA_PROFILE_FILE && mode === "plain") {
    if (native) throw new UsageError("profile: native programs have no first phase yet: measure a native function with alpaca energy --func F");
    req.profile = { intervalUs: Number(hostEnv.ALPACA_PROFILE_INTERVAL_US) || 100 };
  }
  if (hostEnv.ALPACA_PPID) {
    const { createRunNotifier } = await import("../energy/index.js");
    const notify = createRunNotifier(hostEnv);
    if (notify) req.notify = notify;
  }
  return req;
}

/** Runs the request and ends the CLI with the guest's exit status. */
export async function executeRun(ctx: CliContext, req: RunRequest, showStats: boolean): Promise<never> {
  ctx.logger.debug({ mode: req.mode, program: req.programPath, func: req.func }, "run");
  makeStdoutAndStderrBlocking();
  const native = isNativeProgram(req.programPath);
  const outcome: RunOutcome = native ? await (await import("../native/index.js")).runNative(req) : await (await import("../runtime/index.js")).runWasm(req);
  // How the program died, printed the same way in every mode.
  if (outcome.trapMessage !== undefined) ctx.err(native ? `program ${outcome.trapMessage}` : `wasm trap: ${outcome.trapMessage}`);
  for (const n of outcome.notes ?? []) ctx.err(`alpaca: note: ${n}`);
  for (const w of outcome.warnings) ctx.err(`alpaca: warning: ${w}`);
  const s = outcome.stats;
  if (s && showStats) {
    ctx.err(`alpaca: replay: ${s.invocations} invocations, ${s.bytesWritten} bytes written, ${s.callsReexecuted} calls re-executed, ${s.callsAnswered} answered from the log, ${(s.replayNs / 1e6).toFixed(3)} ms replaying`);
  }
  // For the energy command and the benchmarks: the replay's statistics, and the identity of the log as checked.
  const statsFile = ctx.env.ALPACA_STATS_FILE;
  if (statsFile && (s || outcome.logChecked)) writeFileSync(statsFile, JSON.stringify({ ...s, ...(outcome.logChecked ? { logChecked: outcome.logChecked } : {}) }));
  if (outcome.profile && ctx.env.ALPACA_PROFILE_FILE) writeFileSync(ctx.env.ALPACA_PROFILE_FILE, JSON.stringify(outcome.profile));
  throw new ExitStatus(outcome.exitCode);
}
