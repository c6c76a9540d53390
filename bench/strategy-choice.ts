/**
 * `make bench-strategy`: the adaptive strategy against the forced ones (issue 17), measured side
 * by side. For each shape, analyses with --strategy diff, marks and adaptive run interleaved,
 * three rounds; the medians are printed with adaptive / best forced. Shapes: bitcount-like
 * (millions of calls of an F that stores nothing, over an 8 MB heap), binarytrees-like (a
 * recursive F over small trees beside a long-lived tree of several MB), store-heavy (an F that
 * stores more than diffing costs), and an F that changes part way (test-suite/phase_change.c:
 * millions of stores a call in its first 12 calls then one over a 16 MiB heap, or the reverse
 * over 1 MiB). Forced diffing of the first two takes hours at these sizes:
 * runs are stopped at TIMEOUT_S and shown as "> TIMEOUT_S s". Targets: adaptive within 1.2x of
 * the best forced strategy on bitcount-like and binarytrees-like shapes, within 2x everywhere.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCliSync } from "../test/harness/cli.js";

const ROOT = join(import.meta.dirname, "..");
const TIMEOUT_S = 60;
const ROUNDS = 3;
const STRATEGIES = ["diff", "marks", "adaptive"] as const;

const SHAPES: Array<{ name: string; func: string; args: string[]; target: number; program?: string }> = [
  { name: "bitcount-like", func: "bits", args: ["3000000", "8"], target: 1.2 },
  { name: "binarytrees-like", func: "item_check", args: ["200000", "18"], target: 1.2 },
  { name: "store-heavy", func: "fill", args: ["3000"], target: 2, program: "build/test-suite/store_heavy.wasm" },
  { name: "phase heavy-first", func: "step", args: ["4000", "12", "16", "heavy-first"], target: 2, program: "build/test-suite/phase_change.wasm" },
  { name: "phase light-first", func: "step", args: ["120", "12", "1", "light-first"], target: 2, program: "build/test-suite/phase_change.wasm" },
];

function seconds(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = runCliSync(args, { env: process.env, stdio: "ignore", timeoutMs: TIMEOUT_S * 1000 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.signal) return Infinity;
  if (r.status !== 0) throw new Error(`alpaca ${args.join(" ")} exited ${r.status}`);
  return s;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const show = (s: number): string => (Number.isFinite(s) ? `${s.toFixed(2)} s` : `> ${TIMEOUT_S} s`);

const work = mkdtempSync(join(tmpdir(), "alpaca-bench-strategy-"));
let failed = 0;
try {
  console.log("shape               plain     diff      marks     adaptive  adaptive/best  target");
  for (const shape of SHAPES) {
    const program = join(ROOT, shape.program ?? join("build/bench", `${shape.name}.wasm`));
    const times: Record<string, number[]> = { plain: [], diff: [], marks: [], adaptive: [] };
    const slow = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      times.plain!.push(seconds(["run", program, ...shape.args]));
      for (const s of STRATEGIES) {
        if (slow.has(s)) continue;
        const t = seconds(["analyze", "--strategy", s, "--func", shape.func, "--log", join(work, `${s}.alog`), program, ...shape.args]);
        times[s]!.push(t);
        if (!Number.isFinite(t)) slow.add(s); // once is enough to know
      }
    }
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.some((x) => !Number.isFinite(x)) ? Infinity : median(v)]));
    const best = Math.min(m.diff!, m.marks!);
    const ratio = m.adaptive! / best;
    const ok = ratio <= shape.target;
    if (!ok) failed++;
    console.log(`${shape.name.padEnd(20)}${show(m.plain!).padEnd(10)}${show(m.diff!).padEnd(10)}${show(m.marks!).padEnd(10)}${show(m.adaptive!).padEnd(10)}${ratio.toFixed(2).padEnd(15)}≤ ${shape.target}x ${ok ? "met" : "NOT MET"}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed > 0 ? 1 : 0;
