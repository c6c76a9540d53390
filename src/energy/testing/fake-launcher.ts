/**
 * A stand-in for the `alpaca` launcher in orchestration tests: it speaks the same command
 * lines and environment as `alpaca analyze` / `alpaca run` and calls the real run notifier, but
 * instead of a Wasm program it burns a known amount of CPU time, so tests do not depend on the
 * analyzer. PROGRAM is ignored; ARGS are `HEAVY_MS LIGHT_MS`: the baseline burns both, the
 * disabled run LIGHT_MS and the replay's REPLAY_MS, the control all three. Knobs (environment):
 *   FAKE_REPLAY_MS=<ms>        what the replay burns in disabled and control runs (default 0)
 *   FAKE_ANALYZE_FAIL=1        analyze fails like alpaca does (status 125, `alpaca: ...`)
 *   FAKE_DIFFER_RUN=<run id>   that run prints something else (e.g. `disabled-2`)
 *   FAKE_NO_NOTIFY=1           runs never signal the sampler
 *   FAKE_ECHO_DIR=<dir>        each invocation writes {mode, argv, stdin} there as JSON
 * Options before PROGRAM (--dir, --env, --strategy, as alpaca takes them) are skipped.
 */
import * as fs from "node:fs";
import { createRunNotifier } from "../sampler/notify.js";

function burnCpuMs(ms: number): void {
  const target = process.cpuUsage().user + process.cpuUsage().system + ms * 1000;
  let x = 0;
  while (process.cpuUsage().user + process.cpuUsage().system < target) {
    for (let i = 0; i < 10_000; i++) x = (x * 1103515245 + 12345) % 2147483648;
  }
  if (x === -1) process.stdout.write("");
}

/** What follows alpaca's options (each takes a value) and PROGRAM: the program's arguments. */
function programArgs(rest: string[]): string[] {
  let i = 0;
  while (i < rest.length && rest[i]!.startsWith("-")) i += 2;
  return rest.slice(i + 1);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const env = process.env;
  if (env.FAKE_ECHO_DIR) {
    const stdin = fs.readFileSync(0, "utf8");
    fs.writeFileSync(`${env.FAKE_ECHO_DIR}/${process.pid}.json`, JSON.stringify({ mode: command === "analyze" ? "a" : env.ALPACA_MODE, argv, stdin }));
  }
  if (command === "analyze") {
    const log = rest[rest.indexOf("--log") + 1];
    if (env.FAKE_ANALYZE_FAIL) {
      process.stderr.write("alpaca: function nope is not in the program\n");
      return 125;
    }
    if (!log) return 2;
    fs.writeFileSync(log, "fake effect log\n");
    process.stdout.write("result 42\n");
    return 0;
  }
  if (command === "run") {
    const [heavy = "0", light = "0"] = programArgs(rest);
    const mode = env.ALPACA_MODE;
    const notify = env.FAKE_NO_NOTIFY ? undefined : createRunNotifier(env);
    await notify?.("start");
    const replay = mode === "d" || mode === "c" ? Number(env.FAKE_REPLAY_MS ?? 0) : 0;
    burnCpuMs(Number(light) + (mode === "d" ? 0 : Number(heavy)) + replay);
    process.stdout.write(env.FAKE_DIFFER_RUN && env.FAKE_DIFFER_RUN === env.ALPACA_RUN_ID ? "result 43\n" : "result 42\n");
    await notify?.("end");
    if ((mode === "d" || mode === "c") && env.ALPACA_STATS_FILE) {
      fs.writeFileSync(env.ALPACA_STATS_FILE, JSON.stringify({ invocations: 2, bytesWritten: 16, callsReexecuted: 0, callsAnswered: 1, replayNs: 50_000 }));
    }
    return 0;
  }
  process.stderr.write(`alpaca: fake launcher: unknown command ${command ?? ""}\n`);
  return 125;
}

process.exitCode = await main(process.argv.slice(2));
