/**
 * `alpaca energy`: how much energy does F cost? Parses options (the shared ones in
 * measure-options.ts), picks the energy source (one line on stderr when it falls back to the
 * estimate), runs the comparison (src/energy), prints progress on stderr and the report on
 * stdout (text, or JSON with --json), and a CSV or an HTML report on request.
 */
import * as fs from "node:fs";
import { Command } from "commander";
import { AlpacaError } from "../errors/index.js";
import type { EnergyOptions } from "../energy/index.js";
import type { CliContext } from "./context.js";
import { ExitStatus } from "./exit-status.js";
import { addMeasureOptions, captureStdin, chooseSource, energyOptionsFrom, MEASURE_DEFAULTS, noteOptionsAfterProgram, parseMeasureOptions, withInterrupts, writeFileAtomically, type MeasureCliOptions } from "./measure-options.js";
import { isNativeProgram } from "./run-request.js";

interface EnergyCliOptions extends MeasureCliOptions {
  func: string;
  aa?: boolean;
  json?: boolean;
  csv?: string;
  log?: string;
  processPerRun?: boolean;
}

export function registerEnergy(program: Command, ctx: CliContext): void {
  const cmd = new Command("energy")
    .description("measure how much energy function F costs: baseline, control and disabled runs of PROGRAM, interleaved, until the cost is known to --precision")
    .requiredOption("-f, --func <name>", "the function to measure")
    .option("--aa", "A/A: run the baseline in every slot, to see the noise floor and the rule's false-positive rate")
    .option("--json", "print every run's numbers and the summary as JSON instead of the report")
    .option("--csv <file>", "write one row per run to FILE")
    .option("-l, --log <file>", "effect log: reused when it exists, else written there and kept")
    .option("--process-per-run", "start every measured run as a process of its own, as `alpaca run` (slower: by default one runner process makes the runs of a WebAssembly program)");
  addMeasureOptions(cmd, { ...MEASURE_DEFAULTS, maxTimeHelp: "--runs auto: start no new round after this many seconds" })
    .argument("<program>", "WASI module or x86-64 ELF executable")
    .argument("[args...]", "the program's arguments")
    .passThroughOptions()
    .action(async (prog: string, args: string[], o: EnergyCliOptions) => {
      noteOptionsAfterProgram(cmd, args, ctx.err);
      const m = await parseMeasureOptions("energy", o, prog, ctx);
      const native = isNativeProgram(prog);
      // A reused log is untrusted input: refused here, in one line, when its MAC does not verify.
      if (o.log !== undefined && fs.existsSync(o.log)) {
        const { checkLogFileTrust } = await import("../backend/log-trust.js");
        const { loadUserKey } = await import("../log/user-key.js");
        checkLogFileTrust(o.log, loadUserKey(ctx.env), o.trustLog ?? false, (w) => ctx.err(`alpaca: warning: ${w}`));
      }
      const { describeMachine, formatProgress, formatReport, runEnergy, summarizeEnergy, toCsv, toJson } = await import("../energy/index.js");
      const source = await chooseSource(o, m.wattsPerCore, ctx);
      // Native control runs need the in-process replay; whether the log allows it is known after the analysis.
      const nativeControl = async (logPath: string): Promise<string | null> =>
        (await import("../native/index.js")).nativeControlRefusal(prog, o.func, logPath);
      await withInterrupts(ctx, "energy", async (interrupts, tempDir) => {
        const stdinPath = await captureStdin(o.stdin, tempDir);
        const machine = describeMachine();
        const options: EnergyOptions = {
          ...(await energyOptionsFrom(o, m, ctx, prog, args, { source, interrupts, stdinPath, control: native ? nativeControl : true })),
          func: o.func,
          aa: o.aa ?? false,
          persistentRunner: !native && !o.processPerRun,
        };
        if (o.log !== undefined) options.logPath = o.log;
        if (!o.quiet) options.onNoControl = (why) => ctx.err(`alpaca: note: no control runs (${why}): F's cost is baseline − disabled, which charges the replay's cost to F`);
        if (!o.quiet) options.onProgress = (e) => ctx.err(formatProgress(e, o.func, m.precision));
        const result = await runEnergy(options);
        const summary = summarizeEnergy(result, { seed: m.seed });
        const info = await machine;
        if (o.csv !== undefined) writeFileAtomically(o.csv, toCsv(result));
        if (o.html !== undefined) writeFileAtomically(o.html, (await import("../profile/index.js")).energyHtml(result, summary, info));
        ctx.out(o.json ? `${JSON.stringify(toJson(result, summary, info), null, 2)}\n` : formatReport(result, summary, info));
        if (interrupts.status !== undefined) throw new ExitStatus(interrupts.status);
        if (summary.insufficient) {
          throw new AlpacaError(`energy: fewer than 2 runs of each variant behaved like the analyzed run (${summary.flagged} flagged); no statistics`);
        }
      });
    });
  program.addCommand(cmd);
}
