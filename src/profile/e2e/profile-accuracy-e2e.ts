/**
 * Accuracy of `alpaca profile` against ground truth (issue 18). examples/known_costs.wasm has
 * functions of known marginal cost: a stencil kernel called once (big_kernel), a ~50 ns function
 * called 1.5 million times (tiny_mix) and a printing function (print_report, 60 calls of 200
 * formatted lines), about 45%, 25% and 12% of the program: each about twice the next, so that
 * their order is not a matter of noise. Each one's cost is measured directly by plain runs with its calls and
 * without them (truth.ts), half before the profile and half after. `alpaca profile` on the run
 * with every call must measure all three, rank them in the order of their marginal costs, and
 * give each a cost within TOLERANCE of its marginal cost, compared as shares of the program's
 * energy in the same measurement (as accuracy-e2e.ts does, so that the VM's drifting speed
 * between the truth and the profile cancels). Model source and a fake RAPL tree advanced at a
 * known power by the simulator in this process.
 *
 * print_report's disabled runs still make its write system calls (a replay re-executes them: the
 * output must appear), so its measured cost lacks their share of its marginal cost. The program
 * writes its output in 64 KiB blocks, which makes that share about 1% (with musl's default 1 KiB
 * blocks for a pipe it was 37% of print_report's time: docs/profile.md).
 *
 * A source whose profile misses is measured again, truth included, up to three times in all. Unlike
 * accuracy-e2e.ts, a miss with a narrow CI is retried too: a profile is four comparisons in a
 * row, minutes apart from half the truth, and a burst of load on a shared VM shifts one of them
 * while its own CI stays narrow (seen in a clean-clone CI run: big_kernel +27% with a CI of ±4%,
 * then -0.0% in the next measurement; with the fake RAPL tree, whose energy is the runs' wall
 * time, one attempt's tiny_mix CI was [-2.2, 3.2] J). A real error shows in every measurement. Prints one line per source and function and `N passed, N
 * failed`. Run with `make profile-accuracy-e2e`, on a quiet machine: it is not part of `make
 * check` (mk/profile.mk says why).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { alpaca, ROOT } from "../../energy/e2e/cli.js";
import { accuracySources, truthPairs, type AccuracySource } from "../../energy/e2e/truth.js";
import { median } from "../../energy/stats/stats.js";

const PROGRAM = path.join(ROOT, "build/examples/known_costs.wasm");
const TOLERANCE = 0.25;
const TRUTH_PAIRS = 10;
const MAX_ATTEMPTS = 3;
const WITH = ["1500000", "1", "1", "60"];
const FUNCTIONS = [
  { func: "big_kernel", what: "a stencil kernel called once", without: ["1500000", "1", "0", "60"] },
  { func: "tiny_mix", what: "a ~50 ns function called 1.5M times", without: ["1500000", "0", "1", "60"] },
  { func: "print_report", what: "a printing function (60 calls of 200 lines)", without: ["1500000", "1", "1", "0"] },
];

interface ProfileJson {
  functions: Array<{ name: string; status: string; energy_share: number | null; cost: { metric: string; estimate: number; ci95: [number, number] } | null; verdict: string | null }>;
}

interface Measured {
  name: string;
  truthShare: number;
  truthJ: number;
  share: number;
  estimate: number;
  ci95: [number, number];
  rank: number;
}

async function attempt(s: AccuracySource): Promise<{ lines: string[]; failures: string[]; imprecise: boolean }> {
  const withCalls = FUNCTIONS.map(() => [] as number[]);
  const withoutCalls = FUNCTIONS.map(() => [] as number[]);
  const truth = async (): Promise<void> => {
    for (const [i, f] of FUNCTIONS.entries()) await truthPairs(PROGRAM, TRUTH_PAIRS / 2, s.flags, s.zone, WITH, f.without, withCalls[i]!, withoutCalls[i]!);
  };
  await truth();
  const o = await alpaca(["profile", ...s.flags, "--top", "5", "--precision", "0.02", "--max-runs", "8", "--json", "-q", PROGRAM, ...WITH]);
  await truth();
  if (o.status !== 0) throw new Error(`profile failed (${o.status}): ${o.stderr.trim()}`);
  const doc = JSON.parse(o.stdout) as ProfileJson;
  const measured: Measured[] = FUNCTIONS.map((f, i) => {
    const rank = doc.functions.findIndex((x) => x.name === f.func);
    const row = doc.functions[rank];
    if (!row || row.status !== "measured" || !row.cost || row.energy_share === null) throw new Error(`${f.func} was not measured: ${JSON.stringify(row ?? null)}`);
    const truthJ = median(withCalls[i]!) - median(withoutCalls[i]!);
    return { name: f.func, truthJ, truthShare: truthJ / median(withCalls[i]!), share: row.energy_share, estimate: row.cost.estimate, ci95: row.cost.ci95, rank };
  });
  const lines: string[] = [];
  const failures: string[] = [];
  let imprecise = false;
  for (const m of measured) {
    const error = m.share / m.truthShare - 1;
    const line = `${m.name}: marginal ${m.truthJ.toFixed(3)} J (${(m.truthShare * 100).toFixed(1)}% of the program), profiled ${m.estimate.toFixed(3)} J [${m.ci95[0].toFixed(3)}, ${m.ci95[1].toFixed(3)}] (${(m.share * 100).toFixed(1)}%), rank ${m.rank + 1}: ${(error * 100).toFixed(1)}%`;
    lines.push(line);
    if (Math.abs(error) > TOLERANCE) {
      failures.push(`${line}: more than ${TOLERANCE * 100}% off`);
      if ((m.ci95[1] - m.ci95[0]) / 2 > TOLERANCE * Math.abs(m.estimate)) imprecise = true;
    }
  }
  const byTruth = [...measured].sort((a, b) => b.truthJ - a.truthJ).map((m) => m.name);
  const byProfile = [...measured].sort((a, b) => a.rank - b.rank).map((m) => m.name);
  if (byTruth.join() !== byProfile.join()) failures.push(`ranked ${byProfile.join(" > ")}, marginal costs say ${byTruth.join(" > ")}`);
  return { lines, failures, imprecise };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-profile-accuracy-"));
const { fake, sources: SOURCES } = accuracySources(tmp);

let passed = 0;
let failed = 0;
try {
  for (const s of SOURCES) {
    if (s.rapl) fake.start(2);
    const name = `profile accuracy, ${s.name}`;
    const t0 = Date.now();
    try {
      let outcome = await attempt(s);
      for (let n = 2; outcome.failures.length && n <= MAX_ATTEMPTS; n++) {
        console.log(`     ${name}: ${outcome.failures.join("; ")}${outcome.imprecise ? `; a CI was wider than ±${TOLERANCE * 100}%` : ""}: measuring again`);
        outcome = await attempt(s);
      }
      if (outcome.failures.length) throw new Error(outcome.failures.join("; "));
      passed++;
      console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      for (const l of outcome.lines) console.log(`       ${l}`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${name}: ${(error as Error).message}`);
    }
    fake.stop();
  }
} finally {
  fake.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
