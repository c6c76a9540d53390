/**
 * What `alpaca energy` and `alpaca profile` share: the options of a measurement (runs, precision,
 * source, the program's inputs), their parsing into one line per bad value, the program's stdin
 * read once, the note for energy options written after PROGRAM, Ctrl-C handling (finish the
 * current run, report, exit 130), and writing reports without leaving half-written files.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { Command, Option } from "commander";
import { UsageError } from "../errors/index.js";
import type { ResolvedSource, SourceChoice } from "../energy/index.js";
import { COMPILE_CHOICES, DEFAULT_MAX_RUNS, DEFAULT_MAX_TIME_SECONDS, DEFAULT_WATTS_PER_CORE, POWERCAP_ROOT, SOURCE_CHOICES, type CompileMode } from "../energy/options.js";
import { launcherFor, type CliContext } from "./context.js";
import { collect, parseDirs, parseEnv } from "./run-request.js";

export interface MeasureCliOptions {
  runs: string;
  warmup: string;
  precision: string;
  maxRuns: string;
  maxTime: string;
  compile: CompileMode;
  source: SourceChoice;
  powercapRoot: string;
  watts: string;
  dir?: string[];
  env?: string[];
  strategy?: string;
  stdin?: string;
  programOutput?: string;
  quiet?: boolean;
  seed: string;
  trustLog?: boolean;
  html?: string;
}

/** A whole number ≥ min from an option value, or a UsageError naming the option. */
export function parseCount(option: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${option} ${value}: expected a whole number ≥ ${min}`);
  return n;
}

function parsePositive(option: string, value: string, unit: string): number {
  const x = Number(value);
  if (!Number.isFinite(x) || x <= 0) throw new UsageError(`${option} ${value}: expected ${unit} > 0`);
  return x;
}

/** `--precision 5%` or `0.05`: a fraction of the baseline. */
function parsePrecision(value: string): number {
  const pct = /^\s*([\d.]+)\s*%\s*$/.exec(value);
  const x = pct ? Number(pct[1]) / 100 : Number(value);
  if (!Number.isFinite(x) || x <= 0 || x >= 1) throw new UsageError(`--precision ${value}: expected a fraction of the baseline between 0 and 1 (0.05 or 5%)`);
  return x;
}

/** Adds the shared options; `maxTimeHelp` says what --max-time bounds for this command. */
export function addMeasureOptions(cmd: Command, defaults: { maxRuns: number; maxTimeSeconds: number; maxTimeHelp: string }): Command {
  return cmd
    .option("-n, --runs <n|auto>", "measured runs per variant, or auto: until --precision, --max-runs or --max-time", "auto")
    .option("--precision <fraction>", "--runs auto: stop when the cost's 95% CI half-width is within this fraction of the baseline (0.05 or 5%)", "0.05")
    .option("--max-runs <n>", "--runs auto: at most this many runs per variant", String(defaults.maxRuns))
    .option("--max-time <seconds>", defaults.maxTimeHelp, String(defaults.maxTimeSeconds))
    .option("--warmup <n>", "discarded warm-up rounds", "1")
    .addOption(new Option("--compile <how>", "WebAssembly in the runs: optimized (every function by V8's optimizing tier before the run) or tiered (V8's default)").choices(COMPILE_CHOICES).default("optimized"))
    .addOption(new Option("--source <source>", "energy source: RAPL, the CPU-time model, or RAPL when readable").choices(SOURCE_CHOICES).default("auto"))
    .option("--powercap-root <dir>", "powercap sysfs directory", POWERCAP_ROOT)
    .option("--watts <w>", "model source: power of one busy core, watts", String(DEFAULT_WATTS_PER_CORE))
    .option("--dir <host[:guest]>", "preopen a host directory for the program (repeatable; every run)", collect)
    .option("--env <key[=value]>", "set a variable in the program's environment (repeatable; every run)", collect)
    .addOption(new Option("--strategy <how>", "analysis strategy (see alpaca analyze)").choices(["diff", "marks", "host-marks", "adaptive"]))
    .option("--stdin <file>", "the program's stdin in every run (default: alpaca's own stdin when it is not a terminal, read once)")
    .option("--html <file>", "also write the report as one self-contained HTML file (charts, every run, machine and method)")
    .option("--trust-log", "replay a reused log that does not verify with your key, after a warning")
    .option("--program-output <dir>", "keep each run's stdout and stderr in DIR (discarded by default)")
    .option("-q, --quiet", "no progress on stderr")
    .option("--seed <n>", "seed of the bootstrap resampling", "1");
}

export const MEASURE_DEFAULTS = { maxRuns: DEFAULT_MAX_RUNS, maxTimeSeconds: DEFAULT_MAX_TIME_SECONDS };

/** The shared options, checked; bad values are one line before anything runs. */
export async function parseMeasureOptions(command: string, o: MeasureCliOptions, prog: string, ctx: CliContext): Promise<{
  runs: number | "auto";
  warmup: number;
  seed: number;
  precision: number;
  maxRuns: number;
  maxTimeSeconds: number;
  wattsPerCore: number;
  runOptions: string[];
  analyzeOptions: string[];
}> {
  const parsed = {
    runs: o.runs === "auto" ? ("auto" as const) : parseCount("--runs", o.runs, 2),
    warmup: parseCount("--warmup", o.warmup, 0),
    seed: parseCount("--seed", o.seed, 0),
    precision: parsePrecision(o.precision),
    maxRuns: parseCount("--max-runs", o.maxRuns, 3),
    maxTimeSeconds: parsePositive("--max-time", o.maxTime, "seconds"),
    wattsPerCore: parsePositive("--watts", o.watts, "a power in watts"),
    runOptions: [...(o.dir ?? []).flatMap((d) => ["--dir", d]), ...(o.env ?? []).flatMap((e) => ["--env", e])],
    analyzeOptions: o.strategy ? ["--strategy", o.strategy] : [],
  };
  if (!fs.existsSync(prog)) throw new UsageError(`${command}: ${prog}: no such file`);
  (await import("../runtime/wasi-sandbox.js")).checkedPreopens(parseDirs(o.dir));
  parseEnv(o.env, ctx.env);
  if (o.html !== undefined) checkWritable("--html", o.html);
  return parsed;
}

/** A report file's folder must exist and the path must not be a folder: checked before hours of runs. */
function checkWritable(option: string, file: string): void {
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UsageError(`${option} ${file}: is a directory`);
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`${option} ${file}: no such directory ${dir}`);
}

/**
 * What every energy comparison of the command gets, from the parsed options: runs, source,
 * inputs, signals. The caller adds the function, the log and the variants.
 */
export async function energyOptionsFrom(
  o: MeasureCliOptions,
  m: Awaited<ReturnType<typeof parseMeasureOptions>>,
  ctx: CliContext,
  prog: string,
  args: string[],
  extra: { source: ResolvedSource; interrupts: Interrupts; stdinPath: string | undefined; control: import("../energy/index.js").EnergyOptions["control"] },
): Promise<Omit<import("../energy/index.js").EnergyOptions, "func">> {
  const { launcherSamplerCommand } = await import("../energy/index.js");
  const launcher = launcherFor(ctx);
  const options: Omit<import("../energy/index.js").EnergyOptions, "func"> = {
    program: prog,
    args,
    runs: m.runs,
    warmup: m.warmup,
    precision: m.precision,
    maxRuns: m.maxRuns,
    maxTimeSeconds: m.maxTimeSeconds,
    control: extra.control,
    compile: o.compile,
    source: extra.source,
    launcher,
    samplerCommand: launcherSamplerCommand(launcher, { source: extra.source.kind, powercapRoot: o.powercapRoot, wattsPerCore: m.wattsPerCore }),
    env: ctx.env,
    runOptions: m.runOptions,
    analyzeOptions: m.analyzeOptions,
    trustLog: o.trustLog ?? false,
    stop: extra.interrupts.stop,
    kill: extra.interrupts.kill,
  };
  if (extra.stdinPath !== undefined) options.stdinPath = extra.stdinPath;
  if (o.programOutput !== undefined) options.programOutputDir = o.programOutput;
  return options;
}

/** The energy source, with a line on stderr when it falls back to the model. */
export async function chooseSource(o: MeasureCliOptions, wattsPerCore: number, ctx: CliContext): Promise<ResolvedSource> {
  const { resolveSource } = await import("../energy/index.js");
  const { source, notice } = resolveSource(o.source, { powercapRoot: o.powercapRoot, wattsPerCore });
  if (notice) ctx.err(`alpaca: ${notice}`);
  return source;
}

/**
 * The program's stdin for every run: --stdin FILE, else alpaca's own stdin when it is not a
 * terminal, read once into `dir`. Undefined: the runs get no stdin.
 */
export async function captureStdin(option: string | undefined, dir: () => string): Promise<string | undefined> {
  if (option !== undefined) {
    try {
      fs.accessSync(option, fs.constants.R_OK);
    } catch (cause) {
      throw new UsageError(`--stdin ${option}: cannot read it (${(cause as NodeJS.ErrnoException).code ?? "error"})`, { cause });
    }
    if (fs.statSync(option).isDirectory()) throw new UsageError(`--stdin ${option}: is a directory`);
    return option;
  }
  if (process.stdin.isTTY) return undefined;
  const file = path.join(dir(), "stdin");
  await pipeline(process.stdin, fs.createWriteStream(file));
  return file;
}

/** Options written after PROGRAM go to the program, which owns them; say so once. */
export function noteOptionsAfterProgram(cmd: Command, args: readonly string[], err: (s: string) => void): void {
  const names = new Set(cmd.options.flatMap((o) => [o.long, o.short].filter((n): n is string => n !== undefined)));
  const hits = [...new Set(args.map((a) => a.split("=")[0]!).filter((a) => names.has(a)))];
  if (hits.length) err(`alpaca: note: ${hits.join(", ")} after PROGRAM ${hits.length === 1 ? "goes" : "go"} to the program; alpaca's options go before PROGRAM`);
}

/** Ctrl-C and SIGTERM during a measurement: the first asks to stop after the current run, the second kills it. */
export interface Interrupts {
  stop: AbortSignal;
  kill: AbortSignal;
  /** The first signal received, if any. */
  readonly by: NodeJS.Signals | undefined;
  /** The exit status for an interrupted command (130 for SIGINT, 143 for SIGTERM). */
  readonly status: number | undefined;
}

/** Runs `body` with the signal handlers installed, and a temporary folder for the stdin copy removed after. */
export async function withInterrupts<T>(ctx: CliContext, what: string, body: (interrupts: Interrupts, tempDir: () => string) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const kill = new AbortController();
  let by: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!by) {
      by = signal;
      ctx.err(`alpaca: ${what}: ${signal}: finishing the current run, then the report over the runs completed (${signal === "SIGINT" ? "Ctrl-C" : signal} again stops the run now)`);
      stop.abort();
    } else {
      kill.abort();
    }
  };
  let temp: string | undefined;
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const interrupts: Interrupts = {
      stop: stop.signal,
      kill: kill.signal,
      get by() {
        return by;
      },
      get status() {
        return by === undefined ? undefined : by === "SIGINT" ? 130 : 143;
      },
    };
    return await body(interrupts, () => (temp ??= fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-stdin-"))));
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (temp) fs.rmSync(temp, { recursive: true, force: true });
  }
}

/** Writes through a temporary file and a rename: no half-written file where a good one should be. */
export function writeFileAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (cause) {
    fs.rmSync(tmp, { force: true });
    throw new UsageError(`cannot write ${file}: ${(cause as NodeJS.ErrnoException).code ?? "error"}`, { cause });
  }
}
