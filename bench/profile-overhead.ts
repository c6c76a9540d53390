/**
 * The cost of `alpaca profile`'s first phase (issue 18: at most about 1.5x a plain run),
 * measured side by side: each program is run plain and with the phase's instruments (call
 * counters in every function, V8's sampling profiler), interleaved one repetition of each at a
 * time so load on this shared machine falls on both alike. Both are compiled as measured runs
 * are (COMPILE_FLAGS.optimized). Prints the median wall time of each and their ratio.
 *
 * Usage: node --import tsx bench/profile-overhead.ts [--reps N]   (needs `make bench-build examples`)
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { COMPILE_FLAGS } from "../src/energy/options.js";
import { runCliSync } from "../test/harness/cli.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const PROGRAMS = [
  { name: "known_costs (kernel, 1.5M small calls, printing)", path: "build/examples/known_costs.wasm", args: ["1500000", "1", "1", "60"] },
  { name: "tiny-calls (20M calls of a tiny function)", path: "build/bench/tiny-calls.wasm", args: [] },
  { name: "blur (one heavy function)", path: "build/examples/blur.wasm", args: ["300"] },
];

function timeOnce(path: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = runCliSync(["run", join(ROOT, path), ...args], { nodeArgs: COMPILE_FLAGS.optimized, stdio: ["ignore", "ignore", "pipe"], env });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${path}: exit ${r.status}: ${r.stderr.toString()}`);
  return seconds;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const { values } = parseArgs({ options: { reps: { type: "string", default: "7" } } });
const reps = Number(values.reps);
const dir = mkdtempSync(join(tmpdir(), "alpaca-bench-profile-"));
const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ALPACA_")));
try {
  console.log(`first phase of alpaca profile against a plain run, median of ${reps} interleaved runs each (target: about 1.5x or less)`);
  for (const p of PROGRAMS) {
    if (!existsSync(join(ROOT, p.path))) {
      console.log(`  ${p.name}: ${p.path} missing (make bench-build examples)`);
      continue;
    }
    const plain: number[] = [];
    const profiled: number[] = [];
    for (let i = 0; i < reps; i++) {
      plain.push(timeOnce(p.path, p.args, clean));
      profiled.push(timeOnce(p.path, p.args, { ...clean, ALPACA_PROFILE_FILE: join(dir, "profile.json") }));
    }
    const a = median(plain);
    const b = median(profiled);
    console.log(`  ${p.name.padEnd(52)} plain ${a.toFixed(3)} s   profiled ${b.toFixed(3)} s   ${(b / a).toFixed(2)}x`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
