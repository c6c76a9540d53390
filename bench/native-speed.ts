/**
 * Instructions per second of native (x86-64) analysis, for both engines, on spin() in
 * bench/native-spin.c (built by `make native-bench`; not part of `make check`).
 *
 * - single-step engine: instructions stepped inside F / wall time inside F (ENTRY to RETURN as
 *   the CLI sees it: ptrace stops, decode round trips, the log).
 * - page engine: F runs natively, so it cannot count instructions; spin(n) executes exactly
 *   a*n + b instructions, and a and b come from two single-step runs. Its figure is that count
 *   for a large n over the wall time inside F (write-protect scans, snapshot, diff included).
 *
 * - whole runs through the CLI, side by side: `alpaca run` and `alpaca analyze` (default engine)
 *   of the program with spin(PAGE_ITERATIONS), interleaved, median of 5 each, and their ratio
 *   (issue 19's target for a compute-heavy F: analysis at most 1.5x the plain run).
 *
 * Usage: node --import tsx bench/native-speed.ts [STEP_ITERATIONS] [PAGE_ITERATIONS]
 *        (defaults 30000 and 30000000; about 7 instructions per iteration)
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { runNative, type AnalyzeStats, type NativeEngine } from "../src/native/index.js";
import type { RunRequest } from "../src/backend/index.js";
import { loadUserKey } from "../src/log/index.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const PROGRAM = join(ROOT, "build", "bench", "native-spin");

const logKey = loadUserKey();

async function analyze(work: string, iterations: number, engine: NativeEngine): Promise<AnalyzeStats> {
  const req: RunRequest = {
    mode: "analyze", programPath: PROGRAM, args: [String(iterations)], func: "spin", logPath: join(work, `spin-${engine}.alog`),
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, dirs: [], onExtraCalls: "error", strict: false, liveInputs: false, trustLog: false, logKey: () => logKey,
    logger: pino({ level: "warn" }, pino.destination(2)),
  };
  let stats: AnalyzeStats | undefined;
  await runNative(req, { engine, onAnalyzeStats: (s) => (stats = s) });
  if (!stats) throw new Error("no analysis statistics");
  return stats;
}

function secondsOf(file: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  execFileSync(file, args, { stdio: "ignore" });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function plainSeconds(iterations: number): number {
  return secondsOf(PROGRAM, [String(iterations)]);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** `alpaca run` and `alpaca analyze --func spin` of the same program, interleaved: medians and ratio. */
function cliRatio(work: string, iterations: number, rounds = 5): void {
  const cli = join(ROOT, "bin", "alpaca.js");
  const plain: number[] = [];
  const analyzed: number[] = [];
  for (let i = 0; i < rounds; i++) {
    plain.push(secondsOf(process.execPath, [cli, "run", PROGRAM, String(iterations)]));
    analyzed.push(secondsOf(process.execPath, [cli, "analyze", "--func", "spin", "--log", join(work, "cli.alog"), PROGRAM, String(iterations)]));
  }
  const p = median(plain);
  const a = median(analyzed);
  console.log(`whole runs (CLI):   alpaca run ${p.toFixed(3)} s, alpaca analyze ${a.toFixed(3)} s (medians of ${rounds}, interleaved): analyze/run = ${(a / p).toFixed(2)}x`);
}

const fmt = (x: number): string => Math.round(x).toLocaleString("en-US");

async function main(): Promise<number> {
  if (!existsSync(PROGRAM)) {
    console.error(`${PROGRAM} is not built: run make native-bench`);
    return 1;
  }
  const stepN = Number(process.argv[2] ?? 30000);
  const pageN = Number(process.argv[3] ?? 30000000);
  const work = mkdtempSync(join(tmpdir(), "alpaca-native-bench-"));
  try {
    // Instruction count of spin(n) = a*n + b, from two single-step runs.
    const small = await analyze(work, 1000, "step");
    const step = await analyze(work, stepN, "step");
    const a = Number(step.instructions - small.instructions) / (stepN - 1000);
    const b = Number(small.instructions) - a * 1000;
    const stepSeconds = Number(step.tracedNs) / 1e9;
    console.log(`single-step engine: ${fmt(Number(step.instructions))} instructions in ${stepSeconds.toFixed(2)} s inside spin(): ${fmt(Number(step.instructions) / stepSeconds)} instructions/second (${step.decoded} addresses decoded with capstone)`);

    const pages = await analyze(work, pageN, "pages");
    const pageInstructions = a * pageN + b;
    const pageSeconds = Number(pages.tracedNs) / 1e9;
    console.log(`page engine:        ${fmt(pageInstructions)} instructions (${a.toFixed(2)}/iteration) in ${pageSeconds.toFixed(3)} s inside spin(): ${fmt(pageInstructions / pageSeconds)} instructions/second`);
    const plain = plainSeconds(pageN);
    console.log(`plain run:          the whole program with spin(${pageN}) takes ${plain.toFixed(3)} s: ${fmt(pageInstructions / plain)} instructions/second`);
    cliRatio(work, pageN * 10);
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
