/**
 * Runs a WASI program in one of the five modes (plain, analyze, disable, control, baseline) on Node's own
 * engine through node:wasi. Builds the rewritten module, wires the recorder or replayer to the
 * hook table and to every WASI import, writes the effect log safely, and reports how the guest
 * ended. The guest sees the same memory, arguments and environment in every mode.
 */
import { WASI } from "node:wasi";
import { LogFile, logIdentity, neverCalled, openReplayLog, type ReplayLog, type ReplayRun, type RunOutcome } from "../backend/index.js";
import { UsageError } from "../errors/index.js";
import { checkedToken, envVars, LogEncoder, type OpenedLog } from "../log/index.js";
import { buildAnalyzerModule, buildCountingModule, buildReplayModule, REPLAY_HOOKS, readCallCounts, readModule, type ReplayVariant, type RewriteLayout, type WasiContext, type WasmModule, type WasmValType } from "../wasm/index.js";
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
function replayRun(p: Program, f: TargetFunction): ReplayRun {
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

export async function runWasm(req: WasmRunRequest): Promise<RunOutcome> {
  const warnings: string[] = [];
  const warn = (s: string) => warnings.push(s);
  const cache = req.cache;
  const program = cache ? (cache.program ??= loadProgram(req.programPath)) : loadProgram(req.programPath);
  const { wasi, sandbox } = createWasi(req);
  let compiled: WebAssembly.Module | undefined;
  // Every mode, and every call a replay re-executes, goes through the sandbox.
  const real = sandbox.wrap(wasi.wasiImport);
  const argv = [req.programPath, ...req.args];
  const ctx = wasiContext(argv, envEntries(req.env));
  let imports: Record<string, WasiFn> = real;
  let moduleBytes: Uint8Array<ArrayBuffer> = program.bytes;
  let attach: (instance: WebAssembly.Instance) => void = () => undefined;
  let finish: (ending: RunEnding) => void = () => undefined;
  let logFile: LogFile | undefined;
  let replayer: Replayer | undefined;
  let log: OpenedLog | undefined;
  let replayLog: ReplayLog | undefined;
  const wrap = (onCall: (name: string, args: Array<number | bigint>, fn: WasiFn) => number): Record<string, WasiFn> =>
    Object.fromEntries(Object.entries(real).map(([name, fn]) => [name, (...a: Array<number | bigint>) => onCall(name, a, fn)]));

  // Profile: the counting module, sampled from the guest's start to its end.
  let profiling: { profiler: GuestProfiler; module: WasmModule; intervalUs: number } | undefined;
  let profiled: CallProfile | undefined;
  if (req.mode === "plain" && req.profile) {
    moduleBytes = buildCountingModule(program.module);
    profiling = { profiler: new GuestProfiler(), module: readModule(moduleBytes), intervalUs: req.profile.intervalUs };
  }
  if (req.mode === "plain" && cache && !req.profile) compiled = cache.plain ??= new WebAssembly.Module(program.bytes);
  if (req.mode !== "plain") {
    if (!req.func) throw new UsageError(`mode ${req.mode} needs a target function (--func or ALPACA_FUNC)`);
    const f = resolveFunction(program, req.func);
    if (req.mode === "analyze") {
      const rewritten = buildAnalyzerModule(program.module, f.funcIdx);
      moduleBytes = rewritten.bytes;
      logFile = new LogFile(req.logPath ?? `${f.name}.alog`, req.logKey());
      const encoder = new LogEncoder();
      const lf = logFile;
      lf.write(encoder.encodeStart({
        backend: "wasm", programSha256: program.sha256, functionName: f.name, functionIndex: f.funcIdx,
        params: f.type.params as never, results: f.type.results as never, args: req.args, env: envVars(req.logKey(), req.env),
      }));
      const recorder = new Recorder(encoder, (b) => lf.write(b), rewritten.layout, globalTypes(program), ctx, req.strategy ?? "adaptive");
      imports = wrap((name, a, fn) => recorder.onCall(name, a, fn));
      attach = (instance) => {
        recorder.attach(resolveHandles(instance, rewritten.layout));
      };
      if (rewritten.layout.traced?.available === false) req.logger.debug({ reason: rewritten.layout.traced.reason }, "marks strategy unavailable");
      finish = (ending) => {
        recorder.finish(ending);
        req.logger.debug({ strategy: recorder.strategyUsed, trial: recorder.trialOutcome, fastPath: recorder.fastPath, invocations: recorder.invocations, logBytes: lf.bytesWritten }, "analysis done");
        if (recorder.invocations === 0) warn(neverCalled(f.name));
        lf.write(encoder.finish(ending.kind === "trap" ? { outcome: "trapped", exitCode: TRAP_EXIT_STATUS } : { outcome: "exited", exitCode: ending.code }));
      };
    } else {
      replayLog = openReplayLog(req.logPath ?? `${f.name}.alog`, req, replayRun(program, f), warn);
      log = replayLog.log;
      const coreModule = req.replayCore === false ? null : replayCoreModule();
      const rewritten = replayModule(program, f, req.mode, coreModule !== null, cache);
      compiled = rewritten.module;
      // F runs in baseline and control runs and takes its own inputs; a disabled run replays them.
      const inputs = req.mode === "disable" ? log.inputs.filter((i) => !i.insideF) : log.inputs;
      const feeder = req.liveInputs ? undefined : new InputFeeder(inputs, warn);
      let memory: WebAssembly.Memory | undefined;
      imports = wrap((name, a, fn) => (feeder && memory ? feeder.answer(name, a, memory) : undefined) ?? fn(...a));
      if (req.mode === "disable" || req.mode === "control") {
        const r = new Replayer(log, globalTypes(program), (name, a) => real[name]!(...a), {
          variant: req.mode,
          onExtraCalls: req.onExtraCalls, strict: req.strict, warn, now: () => process.hrtime.bigint(),
        });
        replayer = r;
        attach = (instance) => {
          const h = resolveHandles(instance, rewritten.layout);
          memory = h.memory;
          const hooks = new HookTable(h.hooks, REPLAY_HOOKS);
          hooks.install({ replay: r.replay });
          if (rewritten.layout.replayCore && coreModule) {
            const core = new ReplayCore(coreModule, instance.exports, f.type.results[0]);
            hooks.setWasm("coreReplay", core.replayNext);
            hooks.setWasm("coreResult", core.resultBits);
            hooks.setWasm("coreReplayAfter", core.replayAfter);
            r.attach(h, core);
          } else {
            r.attach(h);
          }
        };
      } else {
        attach = (instance) => {
          memory = resolveHandles(instance, rewritten.layout).memory;
        };
      }
    }
  }

  let ending: RunEnding;
  try {
    const instance = new WebAssembly.Instance(compiled ?? new WebAssembly.Module(moduleBytes), { [WASI_MODULE]: imports });
    if (instance.exports.memory instanceof WebAssembly.Memory) sandbox.attach(instance.exports.memory);
    attach(instance);
    if (req.notify) await req.notify("start");
    await profiling?.profiler.start(profiling.intervalUs);
    try {
      const code = wasi.start(instance);
      ending = { kind: "exit", code: typeof code === "number" ? code : 0 };
    } catch (error) {
      const e = classifyEnding(error);
      if (!e) throw error;
      ending = e;
    }
    if (profiling) profiled = aggregateCpuProfile(await profiling.profiler.stop(), profiling.module, readCallCounts(profiling.module, instance.exports));
    if (req.notify) await req.notify("end");
    finish(ending);
    logFile?.commit();
  } catch (error) {
    logFile?.abort();
    throw error;
  } finally {
    replayLog?.close();
  }
  if (replayer && log && ending.kind === "exit" && callCountDiffers(req.mode, replayer.calls, log.invocationCount)) {
    warn(`${log.header.functionName} was called ${replayer.calls} times but the log has ${log.invocationCount} invocations`);
  }
  const outcome: RunOutcome = { exitCode: ending.kind === "exit" ? ending.code : TRAP_EXIT_STATUS, warnings };
  if (ending.kind === "trap") outcome.trapMessage = ending.message;
  if (replayer) outcome.stats = replayer.stats;
  if (profiled) outcome.profile = profiled;
  if (replayLog?.identity !== undefined) outcome.logChecked = checkedToken(req.logKey(), replayLog.identity);
  // A log this run wrote is well-formed by construction: later runs need not read every record.
  if (logFile) outcome.logChecked = checkedToken(req.logKey(), logIdentity(logFile.path));
  return outcome;
}

