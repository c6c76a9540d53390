/**
 * `alpaca energy`: how much energy does F cost? Parses options, picks the energy source (one
 * line on stderr when it falls back to the estimate), runs the comparison (src/energy), prints
 * progress on stderr and the report on stdout (text, or JSON with --json), and a CSV on request.
 */
import * as fs from "node:fs";
import { Command, Option } from "commander";
import { AlpacaError, UsageError } from "../errors/index.js";
import type { EnergyOptions, ProgressEvent, SourceChoice } from "../energy/index.js";
import { DEFAULT_WATTS_PER_CORE, POWERCAP_ROOT, SOURCE_CHOICES } from "../energy/options.js";
import type { CliContext } from "./context.js";

interface EnergyCliOptions {
  func: string;
  runs: string;
  warmup: string;
  source: SourceChoice;
  powercapRoot: string;
  watts: string;
  json?: boolean;
  csv?: string;
  log?: string;
  programOutput?: string;
  quiet?: boolean;
  seed: string;
}

/** A whole number ≥ min from an option value, or a UsageError naming the option. */
export function parseCount(option: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${option} ${value}: expected a whole number ≥ ${min}`);
  return n;
}

function parseWatts(value: string): number {
  const w = Number(value);
  if (!Number.isFinite(w) || w <= 0) throw new UsageError(`--watts ${value}: expected a power in watts > 0`);
  return w;
}

function describeProgress(e: ProgressEvent, func: string): string {
  if (e.kind === "analyze") return `alpaca: energy: analyzing ${func}`;
  return `alpaca: energy: run ${e.run}/${e.total}: ${e.variant}${e.warmup ? " (warm-up)" : ""}, ${e.elapsedSeconds.toFixed(1)} s elapsed`;
}

export function registerEnergy(program: Command, ctx: CliContext): void {
  const cmd = new Command("energy")
    .description("measure how much energy function F costs: the baseline and the program with F disabled, N interleaved runs each")
    .requiredOption("-f, --func <name>", "the function to measure")
    .option("-n, --runs <n>", "measured runs per variant", "10")
    .option("--warmup <n>", "discarded warm-up runs per variant", "1")
    .addOption(new Option("--source <source>", "energy source: RAPL, the CPU-time model, or RAPL when readable").choices(SOURCE_CHOICES).default("auto"))
    .option("--powercap-root <dir>", "powercap sysfs directory", POWERCAP_ROOT)
    .option("--watts <w>", "model source: power of one busy core, watts", String(DEFAULT_WATTS_PER_CORE))
    .option("--json", "print every run's numbers and the summary as JSON instead of the report")
    .option("--csv <file>", "write one row per run to FILE")
    .option("-l, --log <file>", "effect log: reused when it exists, else written there and kept")
    .option("--program-output <dir>", "keep each run's stdout and stderr in DIR (discarded by default)")
    .option("-q, --quiet", "no progress on stderr")
    .option("--seed <n>", "seed of the bootstrap resampling", "1")
    .argument("<program>", "WASI module or x86-64 ELF executable")
    .argument("[args...]", "the program's arguments")
    .passThroughOptions()
    .action(async (prog: string, args: string[], o: EnergyCliOptions) => {
      const runs = parseCount("--runs", o.runs, 2);
      const warmup = parseCount("--warmup", o.warmup, 0);
      const seed = parseCount("--seed", o.seed, 0);
      const wattsPerCore = parseWatts(o.watts);
      if (!fs.existsSync(prog)) throw new UsageError(`energy: ${prog}: no such file`);
      const { describeMachine, formatReport, launcherSamplerCommand, resolveSource, runEnergy, summarizeEnergy, toCsv, toJson } = await import("../energy/index.js");
      const { source, notice } = resolveSource(o.source, { powercapRoot: o.powercapRoot, wattsPerCore });
      if (notice) ctx.err(`alpaca: ${notice}`);
      const machine = describeMachine();
      const options: EnergyOptions = {
        func: o.func,
        program: prog,
        args,
        runs,
        warmup,
        source,
        launcher: { execPath: process.execPath, engineArgs: process.execArgv, launcherPath: ctx.launcherPath },
        samplerCommand: launcherSamplerCommand(
          { execPath: process.execPath, engineArgs: process.execArgv, launcherPath: ctx.launcherPath },
          { source: source.kind, powercapRoot: o.powercapRoot, wattsPerCore },
        ),
        env: ctx.env,
      };
      if (o.log !== undefined) options.logPath = o.log;
      if (o.programOutput !== undefined) options.programOutputDir = o.programOutput;
      if (!o.quiet) options.onProgress = (e) => ctx.err(describeProgress(e, o.func));
      const result = await runEnergy(options);
      const summary = summarizeEnergy(result, { seed });
      const info = await machine;
      if (o.csv !== undefined) fs.writeFileSync(o.csv, toCsv(result));
      ctx.out(o.json ? `${JSON.stringify(toJson(result, summary, info), null, 2)}\n` : formatReport(result, summary, info));
      if (summary.insufficient) {
        throw new AlpacaError(`energy: fewer than 2 runs of each variant behaved like the analyzed run (${summary.flagged} flagged); no statistics`);
      }
    });
  program.addCommand(cmd);
}
