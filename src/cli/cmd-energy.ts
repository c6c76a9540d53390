/**
 * `alpaca energy`: how much energy does F cost? Parses options, picks the energy source (one
 * line on stderr when it falls back to the estimate), runs the comparison (src/energy), prints
 * progress on stderr and the report on stdout (text, or JSON with --json), and a CSV on request.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { Command, Option } from "commander";
import { AlpacaError, UsageError } from "../errors/index.js";
import type { EnergyOptions, SourceChoice } from "../energy/index.js";
import { COMPILE_CHOICES, DEFAULT_MAX_RUNS, DEFAULT_MAX_TIME_SECONDS, DEFAULT_WATTS_PER_CORE, POWERCAP_ROOT, SOURCE_CHOICES, type CompileMode } from "../energy/options.js";
import type { CliContext } from "./context.js";
import { ExitStatus } from "./exit-status.js";
import { collect, isNativeProgram, parseDirs, parseEnv } from "./run-request.js";

interface EnergyCliOptions {
  func: string;
  runs: string;
  warmup: string;
  precision: string;
  maxRuns: string;
  maxTime: string;
  aa?: boolean;
  compile: CompileMode;
  source: SourceChoice;
  powercapRoot: string;
  watts: string;
  json?: boolean;
  csv?: string;
  log?: string;
  dir?: string[];
  env?: string[];
  strategy?: string;
  stdin?: string;
  programOutput?: string;
  quiet?: boolean;
  seed: string;
  trustLog?: boolean;
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

/**
 * The program's stdin for every run: --stdin FILE, else alpaca's own stdin when it is not a
 * terminal, read once into `dir`. Undefined: the runs get no stdin.
 */
async function captureStdin(option: string | undefined, dir: () => string): Promise<string | undefined> {
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

/** Energy options written after PROGRAM go to the program, which owns them; say so once. */
function noteOptionsAfterProgram(cmd: Command, args: readonly string[], err: (s: string) => void): void {
  const names = new Set(cmd.options.flatMap((o) => [o.long, o.short].filter((n): n is string => n !== undefined)));
  const hits = [...new Set(args.map((a) => a.split("=")[0]!).filter((a) => names.has(a)))];
  if (hits.length) err(`alpaca: note: ${hits.join(", ")} after PROGRAM ${hits.length === 1 ? "goes" : "go"} to the program; alpaca's options go before PROGRAM`);
}

export function registerEnergy(program: Command, ctx: CliContext): void {
  const cmd = new Command("energy")
    .description("measure how much energy function F costs: baseline, control and disabled runs of PROGRAM, interleaved, until the cost is known to --precision")
    .requiredOption("-f, --func <name>", "the function to measure")
    .option("-n, --runs <n|auto>", "measured runs per variant, or auto: until --precision, --max-runs or --max-time", "auto")
    .option("--precision <fraction>", "--runs auto: stop when the cost's 95% CI half-width is within this fraction of the baseline (0.05 or 5%)", "0.05")
    .option("--max-runs <n>", "--runs auto: at most this many runs per variant", String(DEFAULT_MAX_RUNS))
    .option("--max-time <seconds>", "--runs auto: start no new round after this many seconds", String(DEFAULT_MAX_TIME_SECONDS))
    .option("--warmup <n>", "discarded warm-up rounds", "1")
    .option("--aa", "A/A: run the baseline in every slot, to see the noise floor and the rule's false-positive rate")
    .addOption(new Option("--compile <how>", "WebAssembly in the runs: optimized (every function by V8's optimizing tier before the run) or tiered (V8's default)").choices(COMPILE_CHOICES).default("optimized"))
    .addOption(new Option("--source <source>", "energy source: RAPL, the CPU-time model, or RAPL when readable").choices(SOURCE_CHOICES).default("auto"))
    .option("--powercap-root <dir>", "powercap sysfs directory", POWERCAP_ROOT)
    .option("--watts <w>", "model source: power of one busy core, watts", String(DEFAULT_WATTS_PER_CORE))
    .option("--dir <host[:guest]>", "preopen a host directory for the program (repeatable; every run)", collect)
    .option("--env <key[=value]>", "set a variable in the program's environment (repeatable; every run)", collect)
    .addOption(new Option("--strategy <how>", "analysis strategy (see alpaca analyze)").choices(["diff", "marks", "host-marks", "adaptive"]))
    .option("--stdin <file>", "the program's stdin in every run (default: alpaca's own stdin when it is not a terminal, read once)")
    .option("--json", "print every run's numbers and the summary as JSON instead of the report")
    .option("--csv <file>", "write one row per run to FILE")
    .option("-l, --log <file>", "effect log: reused when it exists, else written there and kept")
    .option("--trust-log", "replay a reused log that does not verify with your key, after a warning")
    .option("--program-output <dir>", "keep each run's stdout and stderr in DIR (discarded by default)")
    .option("-q, --quiet", "no progress on stderr")
    .option("--seed <n>", "seed of the bootstrap resampling", "1")
    .argument("<program>", "WASI module or x86-64 ELF executable")
    .argument("[args...]", "the program's arguments")
    .passThroughOptions()
    .action(async (prog: string, args: string[], o: EnergyCliOptions) => {
      noteOptionsAfterProgram(cmd, args, ctx.err);
      const runs = o.runs === "auto" ? "auto" : parseCount("--runs", o.runs, 2);
      const warmup = parseCount("--warmup", o.warmup, 0);
      const seed = parseCount("--seed", o.seed, 0);
      const precision = parsePrecision(o.precision);
      const maxRuns = parseCount("--max-runs", o.maxRuns, 3);
      const maxTimeSeconds = parsePositive("--max-time", o.maxTime, "seconds");
      const wattsPerCore = parsePositive("--watts", o.watts, "a power in watts");
      if (!fs.existsSync(prog)) throw new UsageError(`energy: ${prog}: no such file`);
      const native = isNativeProgram(prog);
      const runOptions = [...(o.dir ?? []).flatMap((d) => ["--dir", d]), ...(o.env ?? []).flatMap((e) => ["--env", e])];
      // Checked here, so a bad value is one line before anything runs.
      (await import("../runtime/wasi-sandbox.js")).checkedPreopens(parseDirs(o.dir));
      parseEnv(o.env, ctx.env);
      // A reused log is untrusted input: refused here, in one line, when its MAC does not verify.
      if (o.log !== undefined && fs.existsSync(o.log)) {
        const { checkLogFileTrust } = await import("../runtime/log-trust.js");
        const { loadUserKey } = await import("../log/user-key.js");
        checkLogFileTrust(o.log, loadUserKey(ctx.env), o.trustLog ?? false, (w) => ctx.err(`alpaca: warning: ${w}`));
      }
      const { describeMachine, formatProgress, formatReport, launcherSamplerCommand, resolveSource, runEnergy, summarizeEnergy, toCsv, toJson } = await import("../energy/index.js");
      const { source, notice } = resolveSource(o.source, { powercapRoot: o.powercapRoot, wattsPerCore });
      if (notice) ctx.err(`alpaca: ${notice}`);
      if (native && !o.quiet) ctx.err("alpaca: note: native programs have no control runs yet: F's cost is baseline − disabled, which charges the replay's cost to F");
      let stdinDir: string | undefined;
      const stop = new AbortController();
      const kill = new AbortController();
      let interruptedBy: NodeJS.Signals | undefined;
      const onSignal = (signal: NodeJS.Signals): void => {
        if (!interruptedBy) {
          interruptedBy = signal;
          ctx.err(`alpaca: energy: ${signal}: finishing the current run, then the report over the runs completed (${signal === "SIGINT" ? "Ctrl-C" : signal} again stops the run now)`);
          stop.abort();
        } else {
          kill.abort();
        }
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        const stdinPath = await captureStdin(o.stdin, () => (stdinDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-stdin-"))));
        const machine = describeMachine();
        const launcher = { execPath: process.execPath, engineArgs: process.execArgv, launcherPath: ctx.launcherPath };
        const options: EnergyOptions = {
          func: o.func,
          program: prog,
          args,
          runs,
          warmup,
          precision,
          maxRuns,
          maxTimeSeconds,
          aa: o.aa ?? false,
          control: !native,
          compile: o.compile,
          source,
          launcher,
          samplerCommand: launcherSamplerCommand(launcher, { source: source.kind, powercapRoot: o.powercapRoot, wattsPerCore }),
          env: ctx.env,
          runOptions,
          analyzeOptions: o.strategy ? ["--strategy", o.strategy] : [],
          trustLog: o.trustLog ?? false,
          stop: stop.signal,
          kill: kill.signal,
        };
        if (stdinPath !== undefined) options.stdinPath = stdinPath;
        if (o.log !== undefined) options.logPath = o.log;
        if (o.programOutput !== undefined) options.programOutputDir = o.programOutput;
        if (!o.quiet) options.onProgress = (e) => ctx.err(formatProgress(e, o.func, precision));
        const result = await runEnergy(options);
        const summary = summarizeEnergy(result, { seed });
        const info = await machine;
        if (o.csv !== undefined) writeFileAtomically(o.csv, toCsv(result));
        ctx.out(o.json ? `${JSON.stringify(toJson(result, summary, info), null, 2)}\n` : formatReport(result, summary, info));
        if (interruptedBy) throw new ExitStatus(interruptedBy === "SIGINT" ? 130 : 143);
        if (summary.insufficient) {
          throw new AlpacaError(`energy: fewer than 2 runs of each variant behaved like the analyzed run (${summary.flagged} flagged); no statistics`);
        }
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        if (stdinDir) fs.rmSync(stdinDir, { recursive: true, force: true });
      }
    });
  program.addCommand(cmd);
}

/** Writes through a temporary file and a rename: no half-written file where a good one should be. */
function writeFileAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (cause) {
    fs.rmSync(tmp, { force: true });
    throw new UsageError(`cannot write ${file}: ${(cause as NodeJS.ErrnoException).code ?? "error"}`, { cause });
  }
}
