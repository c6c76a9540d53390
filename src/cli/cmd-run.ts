/**
 * `alpaca run`, `alpaca analyze` and `alpaca disable`. `run` keeps Alpaca v2's interface: the
 * mode comes from ALPACA_MODE (a = analyze, d = disable, c = control and b = baseline for energy runs, unset =
 * plain), the function from ALPACA_FUNC, the log from ALPACA_LOG.
 */
import { Command, Option } from "commander";
import { UsageError } from "../errors/index.js";
import type { RunMode } from "../backend/index.js";
import type { CliContext } from "./context.js";
import { buildRequest, collect, executeRun, type RunOptions } from "./run-request.js";

const MODES: Record<string, RunMode> = { a: "analyze", d: "disable", c: "control", b: "baseline" };

function guestOptions(cmd: Command): Command {
  return cmd
    .option("--dir <host[:guest]>", "preopen a host directory for the program (repeatable)", collect)
    .option("--env <key[=value]>", "set a variable in the program's environment (repeatable)", collect);
}

function replayOptions(cmd: Command): Command {
  return cmd
    .option("--strict", "a re-executed call whose result differs from the log is an error")
    .addOption(new Option("--on-extra-calls <what>", "calls beyond the logged ones: error, or run the original function").choices(["error", "run"]).default("error"))
    .option("--live-inputs", "do not feed the recorded clock, random and stdin inputs to the program")
    .option("--trust-log", "replay a log that does not verify with your key (edited, or someone else's), after a warning")
    .option("--stats", "print what the replay did on stderr");
}

export function registerRunCommands(program: Command, ctx: CliContext): void {
  const run = new Command("run")
    .description("run PROGRAM; ALPACA_MODE=a|d|c|b with ALPACA_FUNC and ALPACA_LOG analyze, disable, run the control or the baseline")
    .argument("<program>", "WASI module or x86-64 ELF executable")
    .argument("[args...]", "the program's arguments")
    .passThroughOptions();
  replayOptions(guestOptions(run)).action(async (prog: string, args: string[], o: RunOptions) => {
    const env = ctx.env;
    const modeVar = env.ALPACA_MODE;
    const mode: RunMode = modeVar === undefined || modeVar === "" ? "plain" : MODES[modeVar] ?? "plain";
    if (modeVar && !MODES[modeVar]) throw new UsageError(`ALPACA_MODE=${modeVar}: expected a (analyze), d (disable), c (control) or b (baseline)`);
    const opts: RunOptions = { ...o };
    if (mode !== "plain") {
      if (!env.ALPACA_FUNC) throw new UsageError(`ALPACA_MODE=${modeVar} needs ALPACA_FUNC, the function to ${mode}`);
      opts.func = env.ALPACA_FUNC;
      if (env.ALPACA_LOG) opts.log = env.ALPACA_LOG;
      if (env.ALPACA_STRATEGY) opts.strategy = env.ALPACA_STRATEGY;
    }
    await executeRun(ctx, await buildRequest(ctx, mode, prog, args, opts), o.stats ?? false);
  });
  program.addCommand(run);

  const analyze = new Command("analyze")
    .description("run PROGRAM normally and record the effects of function F in an effect log")
    .requiredOption("-f, --func <name>", "the function to analyze")
    .option("-l, --log <file>", "effect log to write (default: F.alog)")
    .addOption(new Option("--strategy <how>", "how changed memory is found: diff, marks (traced stores), host-marks (marks without the in-Wasm fast path) or adaptive").choices(["diff", "marks", "host-marks", "adaptive"]).default("adaptive"))
    .argument("<program>")
    .argument("[args...]")
    .passThroughOptions();
  guestOptions(analyze).action(async (prog: string, args: string[], o: RunOptions) => {
    await executeRun(ctx, await buildRequest(ctx, "analyze", prog, args, o), false);
  });
  program.addCommand(analyze);

  const disable = new Command("disable")
    .description("run PROGRAM with function F replaced by a replay of its logged effects")
    .requiredOption("-f, --func <name>", "the function to disable")
    .option("-l, --log <file>", "effect log to replay (default: F.alog)")
    .argument("<program>")
    .argument("[args...]")
    .passThroughOptions();
  replayOptions(guestOptions(disable)).action(async (prog: string, args: string[], o: RunOptions) => {
    await executeRun(ctx, await buildRequest(ctx, "disable", prog, args, o), o.stats ?? false);
  });
  program.addCommand(disable);
}
