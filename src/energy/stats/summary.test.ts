// Summary, decision rule, verdict and reports over synthetic comparison results (no processes).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Zone } from "../source/powercap.js";
import { diffSnapshots, formatReport, formatSnapshotDiffs, toCsv, toJson } from "../report/report.js";
import { decide, MIN_RUNS_FOR_VERDICT } from "./decision.js";
import { ALL_PACKAGES, summarizeEnergy } from "./summary.js";
import type { CostMethod, EnergyResult, RunRecord, Snapshot, Variant } from "../types.js";

function zone(label: string, name: string, parentLabel?: string): Zone {
  return { id: label, name, label, parentLabel, energyPath: `/x/${label}/energy_uj`, maxEnergyRangeUj: 1e9, maxPowerUw: undefined };
}

const TWO_SOCKETS = [zone("package-0", "package-0"), zone("package-0/dram", "dram", "package-0"), zone("package-1", "package-1"), zone("package-1/dram", "dram", "package-1")];

/**
 * Runs with package energy = watts × duration. The baseline lasts base + extra seconds (F's
 * work), the control base + extra + replay, the disabled run base + replay; `variants` picks
 * which of them run (the control design, or baseline and disabled only).
 */
function makeRuns(n: number, baseSeconds: number, extraSeconds: number, jitter: number[], replaySeconds = 0, variants: readonly Variant[] = ["baseline", "control", "disabled"]): RunRecord[] {
  const runs: RunRecord[] = [];
  for (let i = 0; i < n; i++) {
    variants.forEach((variant, k) => {
      const d = baseSeconds + (variant === "disabled" ? 0 : extraSeconds) + (variant === "baseline" ? 0 : replaySeconds) + (jitter[(i * variants.length + k) % jitter.length] ?? 0);
      runs.push({
        variant,
        index: i + 1,
        warmup: false,
        order: runs.length + 1,
        durationSeconds: d,
        cpuSeconds: d,
        energyJ: { "package-0": 20 * d, "package-0/dram": 2 * d, "package-1": 10 * d, "package-1/dram": 1 * d },
        exitCode: 0,
        wallSeconds: d + 0.3,
        warnings: [],
        ...(variant === "disabled" ? { replay: { invocations: 4, bytesWritten: 64, callsReexecuted: 1, callsAnswered: 2, replayNs: 2_000_000 } } : {}),
      });
    });
  }
  return runs;
}

function result(runs: RunRecord[], zones: Zone[] = TWO_SOCKETS, method: CostMethod = "control-minus-disabled"): EnergyResult {
  return {
    func: "heavy",
    compile: "optimized",
    variants: method === "control-minus-disabled" ? ["baseline", "control", "disabled"] : ["baseline", "disabled"],
    method,
    aa: false,
    stopReason: "runs",
    program: "prog.wasm",
    args: ["a,b"],
    source: { kind: "rapl", root: "/x", zones },
    zones: zones.map((z) => z.label),
    reference: { kind: "analyze", exitCode: 0, stdoutBytes: 10 },
    logPath: "/tmp/heavy.alog",
    logReused: false,
    runs,
    warmupRuns: [],
    samplerErrors: [],
    totalSeconds: 12,
  };
}

const JITTER = [0.01, -0.02, 0.015, 0, -0.01, 0.02, -0.015, 0.005, 0.012, -0.004, 0.007];

void test("the decision rule: the sign of the CI, and too few runs", () => {
  const cases: Array<[readonly [number, number], number, string]> = [
    [[1, 2], 5, "cost"],
    [[-2, -1], 5, "negative"],
    [[-1, 2], 5, "no-difference"],
    [[0, 2], 5, "no-difference"],
    [[1, 2], MIN_RUNS_FOR_VERDICT - 1, "too-few-runs"],
    [[Number.NaN, Number.NaN], 5, "too-few-runs"],
  ];
  for (const [ci, n, want] of cases) assert.equal(decide(ci, n), want, `${JSON.stringify(ci)} n=${n}`);
});

void test("two sockets: packages add up into one metric, dram is never added to its package", () => {
  const s = summarizeEnergy(result(makeRuns(10, 1, 0.5, JITTER)));
  assert.deepEqual(
    s.metrics.map((m) => m.metric),
    ["package-0", "package-0/dram", "package-1", "package-1/dram", ALL_PACKAGES, "cpu-time", "time"],
  );
  assert.equal(s.primary, ALL_PACKAGES);
  const all = s.metrics.find((m) => m.metric === ALL_PACKAGES);
  // (20 + 10) W × 0.5 s = 15 J, of 30 W × 1.5 s = 45 J.
  assert.ok(all && Math.abs(all.cost.estimate - 15) < 0.3, String(all?.cost.estimate));
  assert.ok(Math.abs((all?.cost.fraction ?? 0) - 1 / 3) < 0.01);
  assert.equal(all?.cost.decision, "cost");
  assert.equal(s.decision, "cost");
  assert.match(s.verdict, /^heavy costs 1\d\.\d J ± 0\.\d J per run \(95% CI \[1\d\.\d J, 1\d\.\d J\]; control − disabled, the replay's cost cancelled\), 33% of the baseline's package \(all sockets\) energy, 3\.\d+ J per call over 4 calls$/);
  assert.ok(s.replay);
  assert.equal(s.replay.invocations, 4);
  assert.deepEqual(s.warnings, []);
});

void test("control − disabled cancels a replay that costs far more than F; baseline − disabled charges it", () => {
  // F costs 0.1 s at 30 W = 3 J; replaying it costs 2 s.
  const withControl = summarizeEnergy(result(makeRuns(8, 1, 0.1, JITTER, 2)));
  const all = withControl.metrics.find((m) => m.metric === ALL_PACKAGES)!;
  assert.ok(Math.abs(all.cost.estimate - 3) < 0.4, String(all.cost.estimate));
  assert.equal(withControl.decision, "cost");
  assert.ok(all.replayCost && Math.abs(all.replayCost.estimate - 60) < 1, String(all.replayCost?.estimate));
  const twoVariant = summarizeEnergy(result(makeRuns(8, 1, 0.1, JITTER, 2, ["baseline", "disabled"]), TWO_SOCKETS, "baseline-minus-disabled"));
  assert.equal(twoVariant.decision, "negative");
  assert.match(twoVariant.verdict, /^not a cost: the program used 5\d\.\d J ± \d\.\d J MORE package \(all sockets\) energy per run with heavy disabled .*baseline − disabled.*replaying heavy's effects costs more than running heavy$/);
});

void test("no difference: the verdict says so and gives the interval that includes 0", () => {
  const s = summarizeEnergy(result(makeRuns(8, 1, 0, JITTER)));
  assert.equal(s.decision, "no-difference");
  assert.match(s.verdict, /^no significant difference: heavy's cost lies between -\d.* and \d.* per run \(95% CI .* includes 0;/);
});

void test("a negative cost in the control design is never called a cost, and says why", () => {
  const s = summarizeEnergy(result(makeRuns(8, 1, -0.3, JITTER)));
  assert.equal(s.decision, "negative");
  assert.match(s.verdict, /^not a cost: the program used .* MORE .* with heavy disabled .*the replay's cost is cancelled in this design, so the cause lies elsewhere/);
});

void test("three tight runs of each: the CI decides, even where Mann-Whitney cannot reach p < 0.05", () => {
  const s = summarizeEnergy(result(makeRuns(3, 1, 0.03, [0.001, -0.001, 0.0005, 0, 0.0008, -0.0006, 0.0002, 0.0004, -0.0003])));
  const all = s.metrics.find((m) => m.metric === ALL_PACKAGES)!;
  assert.ok(all.cost.mannWhitney.p >= 0.05, String(all.cost.mannWhitney.p));
  assert.ok(all.cost.ci95[0] > 0);
  assert.equal(s.decision, "cost");
});

void test("short runs and flagged runs give warnings; too few valid runs give no conclusion", () => {
  const runs = makeRuns(3, 0.02, 0.01, [0.001, -0.001, 0.0005, 0]);
  const s = summarizeEnergy(result(runs));
  assert.ok(s.warnings.some((w) => /^runs last 2\d\.\d ms \(median\): RAPL updates its counters about every 1\.00 ms/.test(w)), s.warnings.join("\n"));
  const oneFlagged = runs.map((r) => (r.variant === "disabled" && r.index === 3 ? { ...r, flagged: "exit status 1 instead of status 0" } : r));
  const few = summarizeEnergy(result(oneFlagged));
  assert.equal(few.insufficient, false);
  assert.equal(few.decision, "too-few-runs");
  assert.match(few.verdict, /^too few runs for a conclusion: 2 valid run\(s\) of a variant, at least 3 of each are needed/);
  const flagged = runs.map((r) => (r.variant === "disabled" && r.index > 1 ? { ...r, flagged: "exit status 1 instead of status 0" } : r));
  const bad = summarizeEnergy(result(flagged));
  assert.equal(bad.insufficient, true);
  assert.deepEqual(bad.metrics, []);
  assert.equal(bad.flagged, 2);
  assert.match(bad.verdict, /^too few runs for a conclusion: 3 baseline, 3 control, 1 disabled/);
  assert.ok(bad.warnings.some((w) => /2 run\(s\) did something else .*disabled run 2: exit status 1/.test(w)));
});

void test("A/A: no difference on the same program, with the noise floor and the rule's false-positive rate", () => {
  const r: EnergyResult = { ...result(makeRuns(10, 1, 0, JITTER)), aa: true };
  const s = summarizeEnergy(r);
  assert.equal(s.decision, "no-difference");
  assert.ok(s.aaFalsePositiveRate !== undefined && s.aaFalsePositiveRate >= 0 && s.aaFalsePositiveRate <= 0.15, String(s.aaFalsePositiveRate));
  assert.match(s.verdict, /^A\/A: every slot ran the baseline, so any difference is noise: .*the rule finds no difference, as it should\. Noise floor: a cost below about .* per run .* cannot be told from noise with 10 runs; the rule's false-positive rate/);
});

void test("interrupted and stopped-early runs are said in the warnings and the report", () => {
  const r: EnergyResult = { ...result(makeRuns(4, 1, 0.5, JITTER)), stopReason: "interrupted" };
  const s = summarizeEnergy(r);
  assert.ok(s.warnings.some((w) => /^interrupted: the statistics cover only the runs completed/.test(w)));
  assert.match(formatReport(r, s, undefined), /stopped INTERRUPTED: the report covers the runs completed before it/);
  const capped: EnergyResult = { ...result(makeRuns(4, 1, 0.5, JITTER)), stopReason: "max-time", precision: 0.01 };
  assert.ok(summarizeEnergy(capped).warnings.some((w) => /^stopped at --max-time before the cost's 95% CI reached ±1\.0% of the baseline/.test(w)));
});

void test("model source: estimated everywhere", () => {
  const runs = makeRuns(6, 1, 0.5, JITTER).map((r) => ({ ...r, energyJ: { "estimated-cpu": 10 * r.cpuSeconds } }));
  const r: EnergyResult = { ...result(runs), source: { kind: "model", wattsPerCore: 10 }, zones: ["estimated-cpu"] };
  const s = summarizeEnergy(r);
  assert.equal(s.primary, "estimated-cpu");
  assert.ok(s.metrics.every((m) => m.unit === "s" || m.estimated));
  assert.match(s.verdict, /^heavy costs an estimated (4\.9|5\.0)\d J/);
  const text = formatReport(r, s, { cpu: "Test CPU", cores: 4, physicalCores: 2, os: "Debian 12", kernel: "6.1.0", governor: undefined, node: "v20.0.0" });
  assert.match(text, /^ {2}machine +Test CPU, 4 cores \(2 physical\), Debian 12, Linux 6\.1\.0, governor not exposed$/m);
  assert.match(text, /^estimated-cpu \(J, ESTIMATED\)$/m);
  assert.match(text, /^ {2}rule +significant when the 95% CI of the cost \(Welch's t interval\) excludes 0/m);
  assert.match(text, /^ {2}replay +control − baseline \d/m);
  const json = toJson(r, s, undefined) as { source: { estimated: boolean; watts_per_core: number } };
  assert.deepEqual(json.source, { kind: "model", estimated: true, watts_per_core: 10, zone: "estimated-cpu" });
});

void test("JSON has every run's raw numbers and the cost list; CSV one row per run, quoted where needed", () => {
  const r = result(makeRuns(2, 1, 0.5, [0.1, 0.2, 0.3]));
  r.runs[1] = { ...r.runs[1]!, flagged: 'stdout differs, "badly"' };
  const s = summarizeEnergy(r);
  const json = JSON.parse(JSON.stringify(toJson(r, s, undefined))) as { runs: Record<string, unknown>[]; summary: { cost: Array<Record<string, unknown>> } };
  assert.deepEqual(Object.keys(json.runs[0] ?? {}).slice(0, 6), ["variant", "index", "order", "duration_s", "cpu_s", "energy_j"]);
  assert.deepEqual(json.runs[0]?.energy_j, { "package-0": 32, "package-0/dram": 3.2, "package-1": 16, "package-1/dram": 1.6 });
  assert.deepEqual(json.summary.cost, []);
  const full = summarizeEnergy(result(makeRuns(5, 1, 0.5, JITTER)));
  const costs = (JSON.parse(JSON.stringify(toJson(result(makeRuns(5, 1, 0.5, JITTER)), full, undefined))) as { summary: { cost: Array<{ metric: string; unit: string; estimate: number; ci95: number[]; method: string }> } }).summary.cost;
  assert.deepEqual(costs.map((c) => [c.metric, c.unit, c.method]), [
    ["package-0", "J", "control-minus-disabled"],
    ["package-0/dram", "J", "control-minus-disabled"],
    ["package-1", "J", "control-minus-disabled"],
    ["package-1/dram", "J", "control-minus-disabled"],
    [ALL_PACKAGES, "J", "control-minus-disabled"],
    ["cpu-time", "s", "control-minus-disabled"],
    ["time", "s", "control-minus-disabled"],
  ]);
  for (const c of costs) assert.ok(c.ci95.length === 2 && c.ci95[0]! <= c.estimate && c.estimate <= c.ci95[1]!);
  const csv = toCsv(r).trim().split("\n");
  assert.equal(csv[0], "variant,index,order,duration_s,cpu_s,package-0_j,package-0/dram_j,package-1_j,package-1/dram_j,exit_code,flagged,replay_ns");
  assert.equal(csv[1], "baseline,1,1,1.6,1.6,32,3.2,16,1.6,0,,");
  assert.equal(csv[2], 'control,1,2,1.7,1.7,34,3.4,17,1.7,0,"stdout differs, ""badly""",');
});

void test("sampler differences: per zone between consecutive snapshots; model only within one process", () => {
  const snap = (index: number, s: number, e: number[] | null, pid?: number, phase: "start" | "end" = "start"): Snapshot => ({
    index,
    timestampNs: BigInt(s * 1e9),
    energyUj: e,
    ...(pid !== undefined ? { request: { v: 1, pid, seq: index, phase, cpuUserUs: 0, cpuSystemUs: 0 } } : {}),
  });
  const rapl = diffSnapshots(["package-0", "psys"], [snap(0, 1, [0, 0]), snap(1, 3, [40e6, 60e6]), snap(2, 4, [50e6, 75e6])]);
  assert.deepEqual(rapl.map((d) => [d.from, d.to, d.seconds, d.energyJ]), [
    [1, 2, 2, [40, 60]],
    [2, 3, 1, [10, 15]],
  ]);
  const model = diffSnapshots(["estimated-cpu"], [snap(0, 1, [0], 7), snap(1, 2, [5e6], 7, "end"), snap(2, 3, [1e6], 8)]);
  assert.deepEqual(model.map((d) => d.energyJ), [[5], [null]]);
  assert.equal(model[0]?.note, "pid 7 start → pid 7 end");
  const text = formatSnapshotDiffs(["estimated-cpu"], model, 3);
  assert.match(text, /^alpaca sampler: 3 snapshots \(energy ESTIMATED from CPU time\)$/m);
  assert.match(text, /^ {2}2 → 3 +1\.00 s +n\/a +pid 7 end → pid 8 start$/m);
});
