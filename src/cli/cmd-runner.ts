/**
 * `alpaca runner` (internal; started by `alpaca energy` for WebAssembly programs): one process
 * that makes every measured run of an energy comparison, so that each run pays neither Node's
 * start-up nor building and compiling its module again (issue 15: work outside the measured
 * window). The program, its arguments and run options, F and the log come on the command line
 * and in ALPACA_* variables, as for `alpaca run`. Requests come one JSON line at a time on
 * stdin, `{id, mode: "b"|"c"|"d", runId, stdin?, stdout, stderr}`: the guest reads and writes
 * those files, never the runner's own streams. Each answer is one JSON line on stdout, `{id,
 * exitCode, alpacaLines, stats?, logChecked?, wallSeconds}`; alpaca's own lines (warnings, a
 * failure) are in `alpacaLines`, a trap's message is written to the guest's stderr as
 * `alpaca run` prints it. Garbage of the previous run is collected before each run (the runner
 * is started with --expose-gc), outside the measured window.
 */
import * as fs from "node:fs";
import { createInterface } from "node:readline";
import { Command } from "commander";
import { UsageError } from "../errors/index.js";
import type { RunMode } from "../backend/index.js";
import type { RunCache, WasmRunRequest } from "../runtime/index.js";
import type { RunnerAnswer, RunnerRequest } from "../energy/runs/runner-process.js";
import type { CliContext } from "./context.js";
import { describe } from "./describe-error.js";
import { buildRequest, collect, type RunOptions } from "./run-request.js";

const MODES: Record<string, RunMode> = { b: "baseline", c: "control", d: "disable" };

export function registerRunner(program: Command, ctx: CliContext): void {
  const cmd = new Command("runner")
    .description("internal: the energy command's run process (requests on stdin, answers on stdout)")
    .option("--dir <host[:guest]>", "preopen a host directory for the program (repeatable)", collect)
    .option("--env <key[=value]>", "set a variable in the program's environment (repeatable)", collect)
    .option("--trust-log", "replay a log that does not verify with your key")
    .argument("<program>")
    .argument("[args...]")
    .passThroughOptions()
    .action(async (prog: string, args: string[], o: RunOptions) => {
      const env = ctx.env;
      if (!env.ALPACA_FUNC) throw new UsageError("runner: needs ALPACA_FUNC");
      const { createRunNotifier } = await import("../energy/sampler/notify.js");
      const { runWasm } = await import("../runtime/index.js");
      let runId: string | undefined;
      const notify = createRunNotifier(env, () => runId);
      const cache: RunCache = { replay: new Map() };
      let logChecked = env.ALPACA_LOG_CHECKED;
      const gc = (globalThis as { gc?: () => void }).gc;
      const answer = (a: RunnerAnswer): void => {
        ctx.out(`${JSON.stringify(a)}\n`);
      };
      for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
        if (!line.trim()) continue;
        const r = JSON.parse(line) as RunnerRequest;
        const mode = MODES[r.mode];
        if (!mode) throw new UsageError(`runner: mode ${r.mode}: expected b, c or d`);
        gc?.();
        runId = r.runId;
        const fds = { stdin: fs.openSync(r.stdin ?? "/dev/null", "r"), stdout: fs.openSync(r.stdout, "w"), stderr: fs.openSync(r.stderr, "w") };
        const t0 = process.hrtime.bigint();
        let a: RunnerAnswer;
        try {
          const req: WasmRunRequest = await buildRequest({ ...ctx, env: { ...env, ALPACA_PPID: "" } }, mode, prog, args, { ...o, func: env.ALPACA_FUNC, ...(env.ALPACA_LOG ? { log: env.ALPACA_LOG } : {}) });
          req.stdio = fds;
          req.cache = cache;
          if (logChecked) req.logChecked = logChecked;
          if (notify) req.notify = notify;
          const outcome = await runWasm(req);
          if (outcome.trapMessage !== undefined) fs.writeSync(fds.stderr, `wasm trap: ${outcome.trapMessage}\n`);
          logChecked ??= outcome.logChecked;
          a = { id: r.id, exitCode: outcome.exitCode, alpacaLines: outcome.warnings.map((w) => `alpaca: warning: ${w}`), wallSeconds: 0 };
          if (outcome.stats) a.stats = outcome.stats;
          if (outcome.logChecked) a.logChecked = outcome.logChecked;
        } catch (error) {
          a = { id: r.id, exitCode: 125, alpacaLines: [describe(error, ctx.verbose)], wallSeconds: 0 };
        } finally {
          for (const fd of Object.values(fds)) fs.closeSync(fd);
        }
        a.wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
        answer(a);
      }
    });
  program.addCommand(cmd, { hidden: true });
}
