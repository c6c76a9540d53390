/**
 * Runs a WASI program in one of the five modes (plain, analyze, disable, control, baseline) on Node's own
 * engine through node:wasi. Builds the rewritten module, wires the recorder or replayer to the
 * hook table and to every WASI import, writes the effect log safely, and reports how the guest
 * ended. The guest sees the same memory, arguments and environment in every mode.
 */
import { WASI } from "node:wasi";
import { LogFile, logIdentity, neverCalled, openReplayLog, type ReplayRun, type RunOutcome } from "../backend/index.js";
import { UsageError } from "../errors/index.js";
import { checkedToken, envVars, LogEncoder } from "../log/index.js";
import { buildAnalyzerModule, buildCountingModule, buildReplayModule, REPLAY_HOOKS, readCallCounts, readModule, type ReplayVariant, type RewriteLayout, type WasiContext, type WasmValType } from "../wasm/index.js";
import { aggregateCpuProfile, GuestProfiler, type CallProfile } from "./call-profile.js";
import { resolveHandles } from "./guest-handles.js";
import { HookTable } from "./hook-module.js";
import { InputFeeder } from "./input-feeder.js";
import { loadProgram, resolveFunction, WASI_MODULE, type Program, type TargetFunction } from "./program.js";
import { Recorder, type RunEnding } from "./recorder.js";
import { ReplayCore, replayCoreModule } from "./replay-core.js";
import { ReplayedTrap, Replayer } from "./replayer.js";
import { checkedPreopens, WasiSandbox } from "./wasi-sandbox.js";
import type { RunCache, WasmRunRequest } from "./types.js";

/** Exit status of a run whose guest trapped (as 128 + SIGABRT for native programs). */
export const TRAP_EXIT_STATUS = 134;

type WasiFn = (...a: Array<number | bigint>) => number;

function envEntries(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

function wasiContext(argv: string[], env: string[]): WasiContext {
  const bytes = (xs: string[]) => xs.reduce((n, s) => n + Buffer.byteLength(s) + 1, 0);
  return { argc: argv.length, argvBufBytes: bytes(argv), envc: env.length, environBufBytes: bytes(env) };
}

/**
 * The WASI instance and the sandbox around its path calls (wasi-sandbox.ts). node:wasi's
 * ExperimentalWarning is filtered by the launcher (bin/alpaca.js).
 */
function createWasi(req: WasmRunRequest): { wasi: WASI; sandbox: WasiSandbox } {
  const preopens = checkedPreopens(req.dirs);
  const wasi = new WASI({ version: "preview1", args: [req.programPath, ...req.args], env: req.env, preopens, returnOnExit: true, ...req.stdio });
  return { wasi, sandbox: new WasiSandbox(preopens) };
}

function globalTypes(p: Program): Map<number, WasmValType> {
  const m = p.module;
  return new Map(m.globals.map((g, i) => [m.importedGlobalCount + i, g.type]));
}

/** What a replay of `f` in `p` is, for the log's header check (src/backend/replay-log.ts). */
function replayTarget(p: Program, f: TargetFunction): ReplayRun {
  return { backend: "wasm", programPath: p.path, programSha256: p.sha256, functionName: f.name, functionIndex: f.funcIdx, signature: f.type, envMismatch: "warn" };
}

/**
 * The compiled replay module of `f` for `mode` (disable, control, baseline), from the cache when
 * an earlier run in this process built it (the energy runner).
 */
function replayModule(program: Program, f: TargetFunction, mode: ReplayVariant, replayCore: boolean, cache: RunCache | undefined): { module: WebAssembly.Module; layout: RewriteLayout } {
  const key = `${mode}:${f.funcIdx}:${replayCore}`;
  const cached = cache?.replay.get(key);
  if (cached) return cached;
  const rewritten = buildReplayModule(program.module, f.funcIdx, mode, { replayCore });
  const built = { module: new WebAssembly.Module(rewritten.bytes), layout: rewritten.layout };
  cache?.replay.set(key, built);
  return built;
}

function classifyEnding(error: unknown): RunEnding | undefined {
  if (error instanceof ReplayedTrap) return { kind: "trap", message: error.message };
  if (error instanceof WebAssembly.RuntimeError) return { kind: "trap", message: error.message };
  if (error instanceof RangeError && /call stack/i.test(error.message)) return { kind: "trap", message: error.message };
  return undefined;
}

/**
 * Whether a run that exited called F a different number of times than the log holds. A control
 * run counts calls that returned: the last logged invocation may have ended the program inside F.
 */
function callCountDiffers(mode: WasmRunRequest["mode"], calls: number, logged: number): boolean {
  if (mode === "control") return calls > logged || calls < logged - 1;
  return calls < logged;
}

/** What every mode's setup gets: the request, the program, the sandboxed WASI calls and a warning sink. */
interface RunContext {
  req: WasmRunRequest;
  program: Program;
  /** The WASI imports, every path call through the sandbox. */
  real: Record<string, WasiFn>;
  ctx: WasiContext;
  warn: (s: string) => void;
}

/**
 * What one mode adds to a run: the module and imports to instantiate, and its steps around the
 * guest. `ended` runs between the guest's end and the end notification (the profiler's stop),
 * `finish` after it (closing the log's last invocation); `settle` always runs, last.
 */
interface ModeRun {
  module: WebAssembly.Module | Uint8Array<ArrayBuffer>;
  imports: Record<string, WasiFn>;
  attach(instance: WebAssembly.Instance): void;
  started?(): Promise<void>;
  ended?(instance: WebAssembly.Instance): Promise<void>;
  finish?(ending: RunEnding): void;
  /** The guest ran to an end: keep what the mode wrote (the log). */
  commit?(): void;
  /** The run failed: drop what the mode wrote. */
  abort?(): void;
  /** Releases what the mode holds (the replayed log's file), whatever happened. */
  settle?(): void;
  /** Adds the mode's findings (warnings, statistics, profile, checked-log token) to the outcome. */
  report?(out: RunOutcome, ending: RunEnding): void;
}

/** Every WASI import wrapped by `onCall`, which gets the call's name and the real function. */
function wrapImports(real: Record<string, WasiFn>, onCall: (name: string, args: Array<number | bigint>, fn: WasiFn) => number): Record<string, WasiFn> {
  return Object.fromEntries(Object.entries(real).map(([name, fn]) => [name, (...a: Array<number | bigint>) => onCall(name, a, fn)]));
}

/** Plain runs: the program itself (compiled once per energy runner), or with `profile`, the call-counting module under V8's sampler. */
function plainRun({ req, program, real }: RunContext): ModeRun {
  if (!req.profile) {
    const module = req.cache ? (req.cache.plain ??= new WebAssembly.Module(program.bytes)) : program.bytes;
    return { module, imports: real, attach: () => undefined };
  }
  const bytes = buildCountingModule(program.module);
  const counted = readModule(bytes);
  const profiler = new GuestProfiler();
  const intervalUs = req.profile.intervalUs;
  let profiled: CallProfile | undefined;
  return {
    module: bytes, imports: real, attach: () => undefined,
    started: () => profiler.start(intervalUs),
    ended: async (instance) => {
      profiled = aggregateCpuProfile(await profiler.stop(), counted, readCallCounts(counted, instance.exports));
    },
    report: (out) => {
      if (profiled) out.profile = profiled;
    },
  };
}

/** Analysis: the analyzer module, the recorder on its hooks and every WASI call, the log written to a temporary file. */
function analyzeRun({ req, program, real, ctx, warn }: RunContext, f: TargetFunction): ModeRun {
  const rewritten = buildAnalyzerModule(program.module, f.funcIdx);
  if (rewritten.layout.traced?.available === false) req.logger.debug({ reason: rewritten.layout.traced.reason }, "marks strategy unavailable");
  const logFile = new LogFile(req.logPath ?? `${f.name}.alog`, req.logKey());
  const encoder = new LogEncoder();
  logFile.write(encoder.encodeStart({
    backend: "wasm", programSha256: program.sha256, functionName: f.name, functionIndex: f.funcIdx,
    params: f.type.params as never, results: f.type.results as never, args: req.args, env: envVars(req.logKey(), req.env),
  }));
  const recorder = new Recorder(encoder, (b) => logFile.write(b), rewritten.layout, globalTypes(program), ctx, req.strategy ?? "adaptive");
  return {
    module: rewritten.bytes,
    imports: wrapImports(real, (name, a, fn) => recorder.onCall(name, a, fn)),
    attach: (instance) => recorder.attach(resolveHandles(instance, rewritten.layout)),
    finish: (ending) => {
      recorder.finish(ending);
      req.logger.debug({ strategy: recorder.strategyUsed, trial: recorder.trialOutcome, trials: recorder.markedTrials, fastPath: recorder.fastPath, invocations: recorder.invocations, logBytes: logFile.bytesWritten }, "analysis done");
      if (recorder.invocations === 0) warn(neverCalled(f.name));
      logFile.write(encoder.finish(ending.kind === "trap" ? { outcome: "trapped", exitCode: TRAP_EXIT_STATUS } : { outcome: "exited", exitCode: ending.code }));
    },
    commit: () => logFile.commit(),
    abort: () => logFile.abort(),
    // A log this run wrote is well-formed by construction: later runs need not read every record.
    report: (out) => {
      out.logChecked = checkedToken(req.logKey(), logIdentity(logFile.path));
    },
  };
}

/**
 * Disabled, control and baseline runs: the log opened and checked, the replay module (compiled
 * once per energy runner), the recorded inputs fed to the WASI calls, and for disabled and
 * control runs the replayer (and the replay core) on the module's hooks.
 */
function replayRun({ req, program, real, warn }: RunContext, f: TargetFunction, mode: ReplayVariant): ModeRun {
  const replayLog = openReplayLog(req.logPath ?? `${f.name}.alog`, req, replayTarget(program, f), warn);
  const log = replayLog.log;
  const coreModule = req.replayCore === false ? null : replayCoreModule();
  const rewritten = replayModule(program, f, mode, coreModule !== null, req.cache);
  // F runs in baseline and control runs and takes its own inputs; a disabled run replays them.
  const inputs = mode === "disable" ? log.inputs.filter((i) => !i.insideF) : log.inputs;
  const feeder = req.liveInputs ? undefined : new InputFeeder(inputs, warn);
  let memory: WebAssembly.Memory | undefined;
  const common = {
    module: rewritten.module,
    imports: wrapImports(real, (name, a, fn) => (feeder && memory ? feeder.answer(name, a, memory) : undefined) ?? fn(...a)),
    settle: () => replayLog.close(),
  };
  const checked = (out: RunOutcome) => {
    if (replayLog.identity !== undefined) out.logChecked = checkedToken(req.logKey(), replayLog.identity);
  };
  if (mode === "baseline") {
    return { ...common, attach: (instance) => (memory = resolveHandles(instance, rewritten.layout).memory), report: checked };
  }
  const replayer = new Replayer(log, globalTypes(program), (name, a) => real[name]!(...a), {
    variant: mode, onExtraCalls: req.onExtraCalls, strict: req.strict, warn, now: () => process.hrtime.bigint(),
  });
  return {
    ...common,
    attach: (instance) => {
      const h = resolveHandles(instance, rewritten.layout);
      memory = h.memory;
      const hooks = new HookTable(h.hooks, REPLAY_HOOKS);
      hooks.install({ replay: replayer.replay });
      if (rewritten.layout.replayCore && coreModule) {
        const core = new ReplayCore(coreModule, instance.exports, f.type.results[0]);
        hooks.setWasm("coreReplay", core.replayNext);
        hooks.setWasm("coreResult", core.resultBits);
        hooks.setWasm("coreReplayAfter", core.replayAfter);
        replayer.attach(h, core);
      } else {
        replayer.attach(h);
      }
    },
    report: (out, ending) => {
      if (ending.kind === "exit" && callCountDiffers(mode, replayer.calls, log.invocationCount)) {
        out.warnings.push(`${log.header.functionName} was called ${replayer.calls} times but the log has ${log.invocationCount} invocations`);
      }
      out.stats = replayer.stats;
      checked(out);
    },
  };
}

/** The mode's setup for this request. */
function modeRun(rc: RunContext): ModeRun {
  const { req, program } = rc;
  if (req.mode === "plain") return plainRun(rc);
  if (!req.func) throw new UsageError(`mode ${req.mode} needs a target function (--func or ALPACA_FUNC)`);
  const f = resolveFunction(program, req.func);
  return req.mode === "analyze" ? analyzeRun(rc, f) : replayRun(rc, f, req.mode);
}

/** Runs the guest under `run`: instantiate, attach, notify, start, and classify how it ended. */
async function runGuest(req: WasmRunRequest, wasi: WASI, sandbox: WasiSandbox, run: ModeRun): Promise<RunEnding> {
  try {
    const module = run.module instanceof WebAssembly.Module ? run.module : new WebAssembly.Module(run.module);
    const instance = new WebAssembly.Instance(module, { [WASI_MODULE]: run.imports });
    if (instance.exports.memory instanceof WebAssembly.Memory) sandbox.attach(instance.exports.memory);
    run.attach(instance);
    if (req.notify) await req.notify("start");
    await run.started?.();
    let ending: RunEnding;
    try {
      const code = wasi.start(instance);
      ending = { kind: "exit", code: typeof code === "number" ? code : 0 };
    } catch (error) {
      const e = classifyEnding(error);
      if (!e) throw error;
      ending = e;
    }
    await run.ended?.(instance);
    if (req.notify) await req.notify("end");
    run.finish?.(ending);
    run.commit?.();
    return ending;
  } catch (error) {
    run.abort?.();
    throw error;
  } finally {
    run.settle?.();
  }
}

export async function runWasm(req: WasmRunRequest): Promise<RunOutcome> {
  const warnings: string[] = [];
  const program = req.cache ? (req.cache.program ??= loadProgram(req.programPath)) : loadProgram(req.programPath);
  const { wasi, sandbox } = createWasi(req);
  // Every mode, and every call a replay re-executes, goes through the sandbox.
  const real = sandbox.wrap(wasi.wasiImport);
  const ctx = wasiContext([req.programPath, ...req.args], envEntries(req.env));
  const run = modeRun({ req, program, real, ctx, warn: (s) => warnings.push(s) });
  const ending = await runGuest(req, wasi, sandbox, run);
  const outcome: RunOutcome = { exitCode: ending.kind === "exit" ? ending.code : TRAP_EXIT_STATUS, warnings };
  if (ending.kind === "trap") outcome.trapMessage = ending.message;
  run.report?.(outcome, ending);
  return outcome;
}
