/**
 * The native x86-64 ELF backend's entry points for the CLI. Programs are unmodified Linux
 * executables (PIE or not, dynamic or static); they run under alpaca-native-helper (native/)
 * with ASLR off and exactly the environment and argv the CLI gives, in every mode, so addresses
 * match between plain, analyzed, disabled and baseline runs. See docs/native.md.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { neverCalled, openReplayLog, type RunOutcome, type RunRequest } from "../backend/index.js";
import { fileErrorReason, UsageError } from "../errors/index.js";
import { openLog } from "../log/index.js";
import { analyzeNative, type AnalyzeStats, type NativeEngine } from "./analyze.js";
import { Decoder } from "./decode.js";
import { findFunction, functionCode, readElf, type ElfInfo, type ElfSymbol } from "./elf.js";
import { logRefusal } from "./in-process.js";
import { planTrampoline } from "./trampoline.js";
import { inputSyscallNumbers } from "./inputs.js";
import { baselineNative, disableNative, plainNative } from "./replay.js";
import { defaultHelperPath, pagesEngineMissing, Session, type TargetExit } from "./session.js";

export { isElf } from "./elf.js";
export { NATIVE_RESULTS, type AnalyzeStats, type NativeEngine } from "./analyze.js";

/** Options tests and benchmarks override. */
export interface NativeOptions {
  /** Path of alpaca-native-helper; default build/native/alpaca-native-helper in this checkout. */
  helperPath?: string;
  /** Receives analysis statistics (instructions stepped, time inside F). */
  onAnalyzeStats?: (stats: AnalyzeStats) => void;
  /** Analysis engine; default $ALPACA_NATIVE_ENGINE, else pages where supported, else step. */
  engine?: NativeEngine;
}

/** Whether disabled runs replay plain returns in process (ALPACA_NATIVE_REPLAY=stub, the default) or stop at every call (=ptrace). */
export function inProcessFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.ALPACA_NATIVE_REPLAY;
  if (v === undefined || v === "" || v === "stub") return true;
  if (v === "ptrace") return false;
  throw new UsageError(`ALPACA_NATIVE_REPLAY=${v}: expected stub or ptrace`);
}

/** The engine ALPACA_NATIVE_ENGINE asks for (step or pages), or "auto" when unset. */
export function engineFromEnv(env: NodeJS.ProcessEnv = process.env): NativeEngine | "auto" {
  const v = env.ALPACA_NATIVE_ENGINE;
  if (v === undefined || v === "" || v === "auto") return "auto";
  if (v === "step" || v === "pages") return v;
  throw new UsageError(`ALPACA_NATIVE_ENGINE=${v}: expected pages, step or auto`);
}

/**
 * The engine an analysis uses: the one asked for, else pages wherever the kernel supports it
 * (probed once per process), else step with a note saying why.
 */
function chooseEngine(asked: NativeEngine | "auto", helperPath: string, notes: string[]): NativeEngine {
  if (asked !== "auto") return asked;
  const missing = pagesEngineMissing(helperPath);
  if (missing === null) return "pages";
  notes.push(`native analysis single-steps F (about 50,000 instructions/s): the page engine cannot run here: ${missing}`);
  return "step";
}

async function readProgram(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new UsageError(`cannot read program ${path}: ${fileErrorReason(e)}`, { cause: e });
  }
}

function outcome(exit: TargetExit, warnings: string[] = [], notes: string[] = []): RunOutcome {
  const out: RunOutcome = { exitCode: exit.exitCode, warnings };
  if (notes.length > 0) out.notes = notes;
  if (exit.message !== undefined) out.trapMessage = exit.message;
  return out;
}

/**
 * The run's notifier, with a garbage collection before the start snapshot where Node exposes
 * one (energy runs start with --expose-gc): reading the log and building the stub table leave
 * garbage that would otherwise be collected inside the measured window, and counted as its CPU.
 */
function collectingBeforeStart(notify: NonNullable<RunRequest["notify"]>): NonNullable<RunRequest["notify"]> {
  return (phase, childCpuUs) => {
    if (phase === "start") (globalThis as { gc?: () => void }).gc?.();
    return notify(phase, childCpuUs);
  };
}

/** Runs an x86-64 ELF program in any mode (see RunRequest). */
export async function runNative(req: RunRequest, options: NativeOptions = {}): Promise<RunOutcome> {
  const programBytes = await readProgram(req.programPath);
  const elf = readElf(programBytes, req.programPath);
  const helperPath = options.helperPath ?? defaultHelperPath();
  const notify = req.notify ? { notify: collectingBeforeStart(req.notify) } : {};
  if (req.mode === "plain") {
    const session = await Session.start(helperPath, req.programPath, req.args, req.env);
    try {
      return outcome(await plainNative({ session, ...notify }));
    } finally {
      await session.close();
    }
  }
  if (!req.func) throw new UsageError(`mode ${req.mode} needs a target function (--func or ALPACA_FUNC)`);
  const sym = findFunction(elf, req.func, req.programPath);
  const logPath = req.logPath ?? `${sym.name}.alog`;
  const run: NativeRun = { req, options, elf, sym, programBytes, logPath, helperPath, notify };
  return req.mode === "analyze" ? analyzeRun(run) : replayRun(run, req.mode);
}

/** What runNative found out before starting the target, for the mode's own steps. */
interface NativeRun {
  req: RunRequest;
  options: NativeOptions;
  elf: ElfInfo;
  sym: ElfSymbol;
  programBytes: Uint8Array;
  logPath: string;
  helperPath: string;
  notify: { notify?: NonNullable<RunRequest["notify"]> };
}

/** Analysis: records clocks and random bytes as inputs (inputs.ts) and F's effects into the log. */
async function analyzeRun(run: NativeRun): Promise<RunOutcome> {
  const { req, options, sym, helperPath } = run;
  const session = await Session.start(helperPath, req.programPath, req.args, req.env, inputSyscallNumbers());
  try {
    const notes: string[] = [];
    const engine = chooseEngine(options.engine ?? engineFromEnv(), helperPath, notes);
    const r = await analyzeNative({ session, elf: run.elf, sym, programBytes: run.programBytes, args: req.args, env: req.env, logPath: run.logPath, logKey: req.logKey(), engine, ...run.notify });
    req.logger.debug({ invocations: r.stats.invocations, instructions: Number(r.stats.instructions), decoded: r.stats.decoded, tracedMs: Number(r.stats.tracedNs) / 1e6 }, "native analysis");
    options.onAnalyzeStats?.(r.stats);
    return outcome(r.exit, r.stats.invocations === 0 ? [neverCalled(sym.name)] : [], notes);
  } finally {
    await session.close();
  }
}

/**
 * Disable, control and baseline: the log is opened and checked first. The environment strings
 * sit on the stack, so a replay needs the analyzed run's environment (envMismatch "refuse"); it
 * is never taken from the log, only compared. The log is read whole: the replay keeps
 * invocations queued per thread. Unless --live-inputs, the run is fed the log's inputs.
 */
async function replayRun(run: NativeRun, mode: "disable" | "control" | "baseline"): Promise<RunOutcome> {
  const { req, sym } = run;
  const warnings: string[] = [];
  const replayLog = openReplayLog(run.logPath, req, {
    backend: "x86-64", programPath: req.programPath, programSha256: createHash("sha256").update(run.programBytes).digest(),
    functionName: sym.name, functionIndex: Number(sym.value), envMismatch: "refuse",
  }, (w) => warnings.push(w), { wholeFile: true });
  try {
    const session = await Session.start(run.helperPath, req.programPath, req.args, req.env, req.liveInputs ? [] : inputSyscallNumbers());
    try {
      const common = { session, elf: run.elf, sym, log: replayLog.log, liveInputs: req.liveInputs, inProcess: inProcessFromEnv(), warnings, ...run.notify };
      if (mode === "baseline") {
        const r = await baselineNative(common);
        req.logger.debug({ inProcess: r.inProcess }, "native baseline");
        return outcome(r.exit, r.warnings);
      }
      const r = await disableNative({ ...common, strict: req.strict, onExtraCalls: req.onExtraCalls, variant: mode });
      req.logger.debug({ inProcess: r.inProcess }, "native replay");
      const out = outcome(r.exit, r.warnings);
      out.stats = r.stats;
      return out;
    } finally {
      await session.close();
    }
  } finally {
    replayLog.close();
  }
}

/**
 * Why energy runs of this program, function and log cannot include control runs, or null when
 * they can: the disabled runs must replay in process (F at least 5 bytes, every invocation a
 * plain return on the first thread) and F's first instructions must move to a trampoline.
 * Decided from the files; the stub region itself is reserved at run time.
 */
export async function nativeControlRefusal(programPath: string, func: string, logPath: string): Promise<string | null> {
  const programBytes = await readProgram(programPath);
  const elf = readElf(programBytes, programPath);
  const sym = findFunction(elf, func, programPath);
  if (sym.sizeBytes < 5) return `${sym.name} is ${sym.sizeBytes === 0 ? "of unknown size" : `${sym.sizeBytes} bytes long`}, not room for the 5-byte jump`;
  const refusal = logRefusal(openLog(new Uint8Array(await readFile(logPath))));
  if (refusal) return refusal;
  const code = functionCode(programBytes, sym);
  if (!code) return `${sym.name}'s code is in no section`;
  const plan = planTrampoline(await Decoder.create(), sym.value, code);
  return typeof plan === "string" ? plan : null;
}

/**
 * Functions for `alpaca functions`: defined STT_FUNC symbols of `.symtab` (else `.dynsym`), in
 * table order. `index` is the symbol's address (st_value, the link-time address; the log's
 * functionIndex). The signature is unknown without debug information and reads "?".
 */
export async function listNativeFunctions(path: string): Promise<Array<{ index: number; name: string; signature: string; sizeBytes: number }>> {
  const elf = readElf(await readProgram(path), path);
  return elf.functions.map((s) => ({ index: Number(s.value), name: s.name, signature: "?", sizeBytes: s.sizeBytes }));
}
