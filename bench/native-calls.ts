/**
 * Per-call cost of native analysis and replay for a hot function: bump() in bench/native-hot.c,
 * about 40 ns natively, called N times (built by `make native-bench`; not part of make check).
 *
 * Each figure is a run's program window (from right before the program starts to right after it
 * ends, the window energy measurements use, so reading the log beforehand is not in it) minus the
 * plain run's window for the same N, divided by N. Every mode runs ROUNDS times, interleaved;
 * medians are printed side by side:
 * - analyze (page engine): a ptrace stop at F's entry and return, the page scans;
 * - disable, in process: the stub replays each call (src/native/stub.ts);
 * - disable, ptrace: a stop and a round trip to the CLI per call (ALPACA_NATIVE_REPLAY=ptrace);
 * - baseline, in process: F runs with no stop (the twin of the in-process disabled run).
 *
 * Usage: node --import tsx bench/native-calls.ts [N_REPLAY] [N_STOPS] [ROUNDS]
 *        (defaults 300000 calls in process, 10000 where each call stops, 3 rounds)
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { loadUserKey } from "../src/log/index.js";
import { runNative } from "../src/native/index.js";
import type { RunMode, RunRequest } from "../src/backend/index.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const PROGRAM = join(ROOT, "build", "bench", "native-hot");
const logKey = loadUserKey();

/** One run's program window, seconds. */
async function windowOf(mode: RunMode, calls: number, logPath: string, replay: "stub" | "ptrace" = "stub"): Promise<number> {
  let start = 0n;
  let end = 0n;
  const req: RunRequest = {
    mode, programPath: PROGRAM, args: [String(calls)], func: "bump", logPath,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, dirs: [], onExtraCalls: "error", strict: false, liveInputs: false, trustLog: false, logKey: () => logKey,
    logger: pino({ level: "warn" }, pino.destination(2)),
    notify: (phase) => {
      if (phase === "start") start = process.hrtime.bigint();
      else end = process.hrtime.bigint();
      return Promise.resolve();
    },
  };
  const saved = process.env.ALPACA_NATIVE_REPLAY;
  process.env.ALPACA_NATIVE_REPLAY = replay;
  try {
    const out = await runNative(req, mode === "analyze" ? { engine: "pages" } : {});
    if (out.exitCode !== 0) throw new Error(`${mode} run exited ${out.exitCode}: ${out.warnings.join("; ")}`);
  } finally {
    if (saved === undefined) delete process.env.ALPACA_NATIVE_REPLAY;
    else process.env.ALPACA_NATIVE_REPLAY = saved;
  }
  return Number(end - start) / 1e9;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const us = (s: number): string => `${(s * 1e6).toFixed(2)} µs`;

async function main(): Promise<number> {
  if (!existsSync(PROGRAM)) {
    console.error(`${PROGRAM} is not built: run make native-bench`);
    return 1;
  }
  const nReplay = Number(process.argv[2] ?? 300000);
  const nStops = Number(process.argv[3] ?? 10000);
  const rounds = Number(process.argv[4] ?? 3);
  const work = mkdtempSync(join(tmpdir(), "alpaca-native-calls-"));
  try {
    const big = join(work, "big.alog");
    const small = join(work, "small.alog");
    await windowOf("analyze", nReplay, big);
    const kinds = ["plainBig", "plainSmall", "analyze", "stub", "ptrace", "baseline"] as const;
    const w = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<(typeof kinds)[number], number[]>;
    for (let r = 0; r < rounds; r++) {
      w.plainSmall.push(await windowOf("plain", nStops, small));
      w.analyze.push(await windowOf("analyze", nStops, small));
      w.ptrace.push(await windowOf("disable", nStops, small, "ptrace"));
      w.plainBig.push(await windowOf("plain", nReplay, big));
      w.stub.push(await windowOf("disable", nReplay, big));
      w.baseline.push(await windowOf("baseline", nReplay, big));
    }
    const m = Object.fromEntries(kinds.map((k) => [k, median(w[k])])) as Record<(typeof kinds)[number], number>;
    const perCall = (s: number, plain: number, n: number): string => us((s - plain) / n);
    console.log(`bump(), medians of ${rounds} interleaved rounds; per call = (window - plain window) / calls`);
    console.log(`plain:                 ${nStops} calls ${m.plainSmall.toFixed(3)} s, ${nReplay} calls ${m.plainBig.toFixed(3)} s`);
    console.log(`analyze (pages):       ${perCall(m.analyze, m.plainSmall, nStops)} per call (${nStops} calls, ${m.analyze.toFixed(2)} s)`);
    console.log(`disable, ptrace:       ${perCall(m.ptrace, m.plainSmall, nStops)} per call (${nStops} calls, ${m.ptrace.toFixed(2)} s)`);
    console.log(`disable, in process:   ${perCall(m.stub, m.plainBig, nReplay)} per call (${nReplay} calls, ${m.stub.toFixed(3)} s)`);
    console.log(`baseline, in process:  ${perCall(m.baseline, m.plainBig, nReplay)} per call (${nReplay} calls, ${m.baseline.toFixed(3)} s)`);
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
