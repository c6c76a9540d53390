/**
 * `alpaca profile`: which functions cost the program's energy. Runs src/profile (phase 1: calls
 * and time of every function; phase 2: the energy comparison of the top candidates), prints
 * progress on stderr and the ranked table on stdout (or JSON with --json), and an HTML report
 * with --html. Ctrl-C finishes the current run and reports what was measured (exit 130).
 */
import { Command } from "commander";
import { UsageError } from "../errors/index.js";
import type { CliContext } from "./context.js";
import { ExitStatus } from "./exit-status.js";
import { addMeasureOptions, captureStdin, chooseSource, energyOptionsFrom, noteOptionsAfterProgram, parseCount, parseMeasureOptions, withInterrupts, writeFileAtomically, type MeasureCliOptions } from "./measure-options.js";
import { isNativeProgram } from "./run-request.js";

interface ProfileCliOptions extends MeasureCliOptions {
  top: string;
  json?: boolean;
}

/** Per function: at most this many runs of each variant by default (the whole profile shares --max-time). */
const PROFILE_MAX_RUNS = 15;
const PROFILE_MAX_TIME_SECONDS = 900;

export function registerProfile(program: Command, ctx: CliContext): void {
  const cmd = new Command("profile")
    .description("find where PROGRAM's energy goes: rank its functions by time in one profiled run, then measure the top ones by disabling each (the energy comparison of alpaca energy)")
    .option("--top <n>", "measure this many functions, chosen by inclusive time", "8")
    .option("--json", "print the ranked functions as JSON instead of the table");
  addMeasureOptions(cmd, { maxRuns: PROFILE_MAX_RUNS, maxTimeSeconds: PROFILE_MAX_TIME_SECONDS, maxTimeHelp: "the whole profile's time budget in seconds, shared among the functions still to measure" })
    .argument("<program>", "WASI module")
    .argument("[args...]", "the program's arguments")
    .passThroughOptions()
    .action(async (prog: string, args: string[], o: ProfileCliOptions) => {
      noteOptionsAfterProgram(cmd, args, ctx.err);
      const top = parseCount("--top", o.top, 1);
      const m = await parseMeasureOptions("profile", o, prog, ctx);
      if (isNativeProgram(prog)) throw new UsageError("profile: native programs are not supported yet (no first phase for them): measure a native function with alpaca energy --func F");
      const { describeMachine, formatProgress } = await import("../energy/index.js");
      const { loadProgram } = await import("../runtime/program.js");
      const { demangle } = await import("../names/demangle.js");
      const { formatProfileReport, profileHtml, profileJson, runProfile } = await import("../profile/index.js");
      const { funcName } = await import("../wasm/index.js");
      const module = loadProgram(prog).module;
      const source = await chooseSource(o, m.wattsPerCore, ctx);
      const say = (s: string): void => {
        if (!o.quiet) ctx.err(s);
      };
      await withInterrupts(ctx, "profile", async (interrupts, tempDir) => {
        const stdinPath = await captureStdin(o.stdin, tempDir);
        const machine = describeMachine();
        say(`alpaca: profile: phase 1: one run with call counters and V8's sampling profiler`);
        // Each candidate gets its share of --max-time (profile-run.ts), in place of the whole.
        const energy = await energyOptionsFrom(o, m, ctx, prog, args, { source, interrupts, stdinPath, control: true });
        const result = await runProfile({
          energy,
          top,
          maxTimeSeconds: m.maxTimeSeconds,
          nameOf: (i) => demangle(funcName(module, i)),
          onPhase: (e) => {
            if (e.kind === "candidates") say(`alpaca: profile: ${e.choice.chosen.length} candidate(s) of ${e.profile.functions.length} functions run (${e.profile.samples} samples in ${e.seconds.toFixed(2)} s): ${e.choice.chosen.map((c) => c.name).join(", ")}`);
            if (e.kind === "measure") say(`alpaca: profile: phase 2 [${e.position}/${e.of}]: ${e.candidate.name} (${(e.candidate.timeShare * 100).toFixed(1)}% of the time, ${e.candidate.calls} call${e.candidate.calls === 1 ? "" : "s"}; up to ${Math.round(e.budgetSeconds)} s)`);
            if (e.kind === "measured") say(`alpaca: profile: ${e.fn.candidate.name}: ${e.fn.status === "measured" ? (e.fn.summary?.verdict ?? "") : `${e.fn.status}: ${e.fn.reason ?? ""}`}`);
          },
          onProgress: (name, e) => {
            if (e.kind === "run" && !e.warmup && e.variant === "baseline") say(formatProgress(e, name, m.precision));
          },
        });
        const info = await machine;
        if (o.html !== undefined) writeFileAtomically(o.html, profileHtml(result, info));
        ctx.out(o.json ? `${JSON.stringify(profileJson(result, info), null, 2)}\n` : formatProfileReport(result, info));
        if (interrupts.status !== undefined) throw new ExitStatus(interrupts.status);
      });
    });
  program.addCommand(cmd);
}
