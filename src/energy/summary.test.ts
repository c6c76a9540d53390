// Summary, verdict and reports over synthetic comparison results (no processes).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Zone } from "./powercap.js";
import { diffSnapshots, formatReport, formatSnapshotDiffs, toCsv, toJson } from "./report.js";
import { ALL_PACKAGES, summarizeEnergy } from "./summary.js";
import type { EnergyResult, RunRecord, Snapshot } from "./types.js";

function zone(label: string, name: string, parentLabel?: string): Zone {
  return { id: label, name, label, parentLabel, energyPath: `/x/${label}/energy_uj`, maxEnergyRangeUj: 1e9, maxPowerUw: undefined };
}

const TWO_SOCKETS = [zone("package-0", "package-0"), zone("package-0/dram", "dram", "package-0"), zone("package-1", "package-1"), zone("package-1/dram", "dram", "package-1")];

/** Runs with package energy = watts × duration, baseline longer by `extraSeconds`. */
function makeRuns(n: number, baseSeconds: number, extraSeconds: number, jitter: number[]): RunRecord[] {
  const runs: RunRecord[] = [];
  for (let i = 0; i < n; i++) {
    for (const variant of ["baseline", "disabled"] as const) {
      const d = baseSeconds + (variant === "baseline" ? extraSeconds : 0) + (jitter[(i * 2 + (variant === "baseline" ? 0 : 1)) % jitter.length] ?? 0);
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
    }
  }
  return runs;
}

function result(runs: RunRecord[], zones: Zone[] = TWO_SOCKETS): EnergyResult {
  return {
    func: "heavy",
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

const JITTER = [0.01, -0.02, 0.015, 0, -0.01, 0.02, -0.015, 0.005, 0.012, -0.004];

void test("two sockets: packages add up into one metric, dram is never added to its package", () => {
  const s = summarizeEnergy(result(makeRuns(10, 1, 0.5, JITTER)));
  assert.deepEqual(
    s.metrics.map((m) => m.metric),
    ["package-0", "package-0/dram", "package-1", "package-1/dram", ALL_PACKAGES, "time"],
  );
  assert.equal(s.primary, ALL_PACKAGES);
  const all = s.metrics.find((m) => m.metric === ALL_PACKAGES);
  // (20 + 10) W × 0.5 s = 15 J, of 30 W × 1.5 s = 45 J.
  assert.ok(all && Math.abs(all.diff - 15) < 0.2, String(all?.diff));
  assert.ok(Math.abs((all?.diffFraction ?? 0) - 1 / 3) < 0.01);
  assert.ok(all?.significant);
  assert.match(s.verdict, /^heavy costs 1\d\.\d J ± 0\.\d J per run, 33% of package \(all sockets\) energy \(3\.\d+ J per call on average over 4 calls\); 50\d ms ± \d+ ms, 33% of run time \(Welch p /);
  assert.ok(s.replay);
  assert.equal(s.replay.invocations, 4);
  assert.ok(Math.abs(s.replay.shareOfDisabledTime - 0.002) < 1e-4);
  assert.deepEqual(s.warnings, []);
});

void test("no difference: the verdict says so and gives the interval", () => {
  const s = summarizeEnergy(result(makeRuns(8, 1, 0, JITTER)));
  assert.match(s.verdict, /^no significant difference: heavy's cost is between -?\d.* and \d.* per run \(95% CI\)/);
});

void test("disabled costing more is said plainly", () => {
  const s = summarizeEnergy(result(makeRuns(8, 1, -0.3, JITTER)));
  assert.match(s.verdict, /^disabling heavy costs more than running it/);
});

void test("short runs, few runs and flagged runs give warnings; too few valid runs give no statistics", () => {
  const runs = makeRuns(3, 0.02, 0.01, [0.001, -0.001, 0.0005, 0]);
  const s = summarizeEnergy(result(runs));
  assert.ok(s.warnings.some((w) => /^runs last 2\d\.\d ms \(median\): RAPL updates its counters about every 1\.00 ms/.test(w)), s.warnings.join("\n"));
  assert.ok(s.warnings.some((w) => /^only 3 measured runs per variant/.test(w)));
  const flagged = runs.map((r) => (r.variant === "disabled" && r.index > 1 ? { ...r, flagged: "exit status 1 instead of status 0" } : r));
  const bad = summarizeEnergy(result(flagged));
  assert.equal(bad.insufficient, true);
  assert.deepEqual(bad.metrics, []);
  assert.equal(bad.flagged, 2);
  assert.match(bad.verdict, /^no verdict/);
  assert.ok(bad.warnings.some((w) => /2 run\(s\) did something else .*disabled run 2: exit status 1/.test(w)));
});

void test("model source: estimated everywhere", () => {
  const runs = makeRuns(6, 1, 0.5, JITTER).map((r) => ({ ...r, energyJ: { "estimated-cpu": 10 * r.cpuSeconds } }));
  const r: EnergyResult = { ...result(runs), source: { kind: "model", wattsPerCore: 10 }, zones: ["estimated-cpu"] };
  const s = summarizeEnergy(r);
  assert.equal(s.primary, "estimated-cpu");
  assert.ok(s.metrics.every((m) => m.metric === "time" || m.estimated));
  assert.match(s.verdict, /^heavy costs an estimated 5\.\d+ J/);
  const text = formatReport(r, s, { cpu: "Test CPU", cores: 4, physicalCores: 2, os: "Debian 12", kernel: "6.1.0", governor: undefined, node: "v20.0.0" });
  assert.match(text, /^ {2}machine +Test CPU, 4 cores \(2 physical\), Debian 12, Linux 6\.1\.0, governor not exposed$/m);
  assert.match(text, /^estimated-cpu \(J, ESTIMATED\)$/m);
  assert.match(text, /≈ .*J estimated in proportion/);
  const json = toJson(r, s, undefined) as { source: { estimated: boolean; watts_per_core: number } };
  assert.deepEqual(json.source, { kind: "model", estimated: true, watts_per_core: 10, zone: "estimated-cpu" });
});

void test("JSON has every run's raw numbers; CSV one row per run, quoted where needed", () => {
  const r = result(makeRuns(2, 1, 0.5, [0.1, 0.2]));
  r.runs[1] = { ...r.runs[1]!, flagged: 'stdout differs, "badly"' };
  const s = summarizeEnergy(r);
  const json = JSON.parse(JSON.stringify(toJson(r, s, undefined))) as { runs: Record<string, unknown>[]; summary: { metrics: unknown[] } };
  assert.deepEqual(Object.keys(json.runs[0] ?? {}).slice(0, 6), ["variant", "index", "order", "duration_s", "cpu_s", "energy_j"]);
  assert.deepEqual(json.runs[0]?.energy_j, { "package-0": 32, "package-0/dram": 3.2, "package-1": 16, "package-1/dram": 1.6 });
  const csv = toCsv(r).trim().split("\n");
  assert.equal(csv[0], "variant,index,order,duration_s,cpu_s,package-0_j,package-0/dram_j,package-1_j,package-1/dram_j,exit_code,flagged,replay_ns");
  assert.equal(csv[1], "baseline,1,1,1.6,1.6,32,3.2,16,1.6,0,,");
  assert.equal(csv[2], 'disabled,1,2,1.2,1.2,24,2.4,12,1.2,0,"stdout differs, ""badly""",2000000');
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
