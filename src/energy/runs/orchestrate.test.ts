// The energy comparison end to end with a fake launcher (testing/fake-launcher.ts) that burns a
// known CPU time per variant, real sampler processes, and either the model source or a fake
// powercap tree advanced at a known power.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { AlpacaError, EnvironmentError, UsageError } from "../../errors/index.js";
import { baseRunEnv, MIN_ROUNDS_FOR_PRECISION, runEnergy, type EnergyOptions } from "./orchestrate.js";
import { schedule } from "./schedule.js";
import { readZones } from "../source/powercap-reader.js";
import { formatReport, toCsv, toJson } from "../report/report.js";
import { standaloneSamplerCommand } from "../sampler/sampler-command.js";
import { summarizeEnergy } from "../stats/summary.js";
import { FakePowercap, oneSocketZones } from "../testing/fake-powercap.js";

const FAKE_LAUNCHER = fileURLToPath(new URL("../testing/fake-launcher.ts", import.meta.url));

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-energy-test-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function options(overrides: Partial<EnergyOptions> & Pick<EnergyOptions, "source" | "samplerCommand">): EnergyOptions {
  return {
    func: "heavy",
    program: "fake.wasm",
    args: ["120", "20"],
    runs: 4,
    warmup: 0,
    control: true,
    // The fake launcher stands for `alpaca run`, one process per run; the runner process is tested end to end (energy-e2e).
    persistentRunner: false,
    launcher: { execPath: process.execPath, engineArgs: ["--import", "tsx"], launcherPath: FAKE_LAUNCHER },
    env: { ...process.env, ALPACA_MODE: "a", ALPACA_FUNC: "stale" },
    ...overrides,
  };
}

void test("schedule: warm-up rounds first, then balanced rounds (ABBA for two variants)", () => {
  assert.deepEqual(
    schedule(["baseline", "disabled"], 1, 2).map((s) => `${s.warmup ? "w" : ""}${s.variant[0]}${s.index}`),
    ["wb1", "wd1", "d1", "b1", "b2", "d2"],
  );
  // Three variants: over six rounds each takes each position twice.
  const plan = schedule(["baseline", "control", "disabled"], 0, 6);
  for (const v of ["baseline", "control", "disabled"]) {
    const positions = plan.map((s, i) => (s.variant === v ? i % 3 : -1)).filter((p) => p >= 0);
    assert.deepEqual([0, 1, 2].map((p) => positions.filter((x) => x === p).length), [2, 2, 2], v);
  }
});

void test("baseRunEnv drops the caller's ALPACA_* variables but the log level", () => {
  assert.deepEqual(baseRunEnv({ PATH: "/bin", ALPACA_MODE: "d", ALPACA_LOG_LEVEL: "info" }), { PATH: "/bin", ALPACA_LOG_LEVEL: "info" });
});

void test("model source: a heavy F shows a significant estimated saving", async () => {
  const watts = 10;
  const result = await runEnergy(
    options({ source: { kind: "model", wattsPerCore: watts }, samplerCommand: standaloneSamplerCommand({ source: "model", powercapRoot: "/nonexistent", wattsPerCore: watts }) }),
  );
  assert.equal(result.runs.length, 12);
  assert.deepEqual(result.zones, ["estimated-cpu"]);
  assert.equal(result.reference.kind, "analyze");
  assert.ok(result.runs.every((r) => r.flagged === undefined), JSON.stringify(result.runs.map((r) => r.flagged)));
  for (const r of result.runs) {
    // Energy is CPU time × watts; CPU time is at least what the fake burned.
    assert.ok(Math.abs((r.energyJ?.["estimated-cpu"] ?? 0) - r.cpuSeconds * watts) < 1e-6);
    assert.ok(r.cpuSeconds >= (r.variant === "disabled" ? 0.02 : 0.14), `${r.variant} ${r.cpuSeconds}`);
  }
  assert.ok(result.runs.filter((r) => r.variant !== "baseline").every((r) => r.replay?.invocations === 2));
  const summary = summarizeEnergy(result);
  const cpu = summary.metrics.find((m) => m.metric === "estimated-cpu");
  assert.equal(cpu?.cost.decision, "cost", summary.verdict);
  // 120 ms of CPU at 10 W = 1.2 J; allow for the runtime's own background threads.
  assert.ok(cpu.cost.estimate > 1.0 && cpu.cost.estimate < 1.6, `cost ${cpu.cost.estimate}`);
  assert.match(summary.verdict, /^heavy costs an estimated 1\.\d+ J ± \d.* per run \(95% CI .*\), \d+% of the baseline's estimated CPU energy/);
  const text = formatReport(result, summary, undefined);
  assert.match(text, /source +model: ESTIMATED energy/);
  assert.match(text, /estimated-cpu \(J, ESTIMATED\)/);
  assert.match(text, /^replay: +2 calls replayed, 16 bytes written/m);
  const json = toJson(result, summary, undefined) as { runs: { variant: string; index: number; duration_s: number; energy_j: Record<string, number> }[]; source: { estimated: boolean } };
  assert.equal(json.source.estimated, true);
  assert.deepEqual(Object.keys(json.runs[0]?.energy_j ?? {}), ["estimated-cpu"]);
  assert.ok(json.runs.every((r) => r.duration_s > 0 && ["baseline", "control", "disabled"].includes(r.variant)));
  const csv = toCsv(result).trim().split("\n");
  assert.equal(csv.length, 13);
  assert.equal(csv[0], "variant,index,order,duration_s,cpu_s,estimated-cpu_j,exit_code,flagged,replay_ns");
});

void test("rapl source (fake tree at known power): energy follows time; a differing run is flagged; output kept", async (t) => {
  const dir = tempDir(t);
  const root = path.join(dir, "powercap");
  const fake = FakePowercap.create(root, oneSocketZones(30).slice(0, 2));
  fake.start(2);
  t.after(() => fake.stop());
  const outDir = path.join(dir, "out");
  const logPath = path.join(dir, "heavy.alog");
  const result = await runEnergy(
    options({
      warmup: 1,
      runs: 3,
      logPath,
      programOutputDir: outDir,
      env: { ...process.env, FAKE_DIFFER_RUN: "disabled-3" },
      source: { kind: "rapl", root, zones: readZones(root).zones },
      samplerCommand: standaloneSamplerCommand({ source: "rapl", powercapRoot: root, wattsPerCore: 10 }),
    }),
  );
  assert.deepEqual(result.zones, ["package-0", "package-0/core"]);
  assert.equal(result.warmupRuns.length, 3);
  assert.ok(fs.existsSync(logPath), "a named log is kept");
  assert.equal(fs.readFileSync(path.join(outDir, "disabled-3.stdout"), "utf8"), "result 43\n");
  assert.equal(fs.readFileSync(path.join(outDir, "analyze.stdout"), "utf8"), "result 42\n");
  const flagged = result.runs.filter((r) => r.flagged);
  assert.deepEqual(flagged.map((r) => `${r.variant}-${r.index}`), ["disabled-3"]);
  assert.match(flagged[0]?.flagged ?? "", /stdout differs/);
  // 30 W simulated; the counters lag real time by at most the simulator's longest tick gap at each end.
  const slack = 2 * fake.maxTickGapSeconds + 0.002;
  for (const r of result.runs) {
    const pkg = r.energyJ?.["package-0"] ?? 0;
    assert.ok(Math.abs(pkg - 30 * r.durationSeconds) <= 30 * slack, `${pkg} J in ${r.durationSeconds} s (slack ${slack} s)`);
  }
  const summary = summarizeEnergy(result);
  assert.equal(summary.flagged, 1);
  assert.deepEqual(summary.valid, { baseline: 3, control: 3, disabled: 2 });
  assert.equal(summary.primary, "package-0");
  // Too few valid runs for a conclusion (2 disabled), but the baseline burns 6× the CPU time.
  assert.ok((summary.metrics.find((m) => m.metric === "package-0")?.cost.estimate ?? 0) > 0);
  assert.equal(summary.decision, "too-few-runs");
  assert.ok(summary.warnings.some((w) => /1 run\(s\) did something else/.test(w)));
  const text = formatReport(result, summary, undefined);
  assert.match(text, /^flagged: disabled run 3: stdout differs/m);
  assert.match(text, /^verdict: too few runs for a conclusion: 2 valid run\(s\) of a variant/m);

  // The named log is reused the second time: no analysis, the first run is the reference.
  const again = await runEnergy(
    options({
      runs: 2,
      logPath,
      env: { ...process.env, FAKE_ANALYZE_FAIL: "1" },
      source: { kind: "rapl", root, zones: readZones(root).zones },
      samplerCommand: standaloneSamplerCommand({ source: "rapl", powercapRoot: root, wattsPerCore: 10 }),
    }),
  );
  assert.equal(again.logReused, true);
  assert.equal(again.reference.kind, "first-run");
});

void test("failures: bad counts, a failing analysis, runs that never signal", async () => {
  const model = { source: { kind: "model" as const, wattsPerCore: 10 }, samplerCommand: standaloneSamplerCommand({ source: "model", powercapRoot: "/x", wattsPerCore: 10 }) };
  await assert.rejects(runEnergy(options({ ...model, runs: 1 })), (e) => e instanceof UsageError && /--runs 1: need at least 2/.test(e.message));
  await assert.rejects(runEnergy(options({ ...model, warmup: -1 })), UsageError);
  await assert.rejects(
    runEnergy(options({ ...model, env: { ...process.env, FAKE_ANALYZE_FAIL: "1" } })),
    (e) => e instanceof AlpacaError && e.message === "energy: analysis of heavy failed: function nope is not in the program",
  );
  await assert.rejects(
    runEnergy(options({ ...model, runs: 2, snapshotWaitMs: 300, env: { ...process.env, FAKE_NO_NOTIFY: "1" } })),
    (e) => e instanceof EnvironmentError && /baseline run 1 took 0 of its 2 snapshots/.test(e.message),
  );
});

void test("--runs auto stops once the cost's CI is within --precision, and at --max-runs otherwise", async () => {
  const model = { source: { kind: "model" as const, wattsPerCore: 10 }, samplerCommand: standaloneSamplerCommand({ source: "model", powercapRoot: "/x", wattsPerCore: 10 }) };
  // F burns 200 ms of 220: its cost is resolved to ±50% of the baseline within the first rounds.
  const loose = await runEnergy(options({ ...model, runs: "auto", precision: 0.5, maxRuns: 8, args: ["200", "20"] }));
  assert.equal(loose.stopReason, "precision");
  assert.equal(loose.runs.length / 3, MIN_ROUNDS_FOR_PRECISION, `stops at the first check, after ${MIN_ROUNDS_FOR_PRECISION} rounds`);
  // An impossible precision: stops at --max-runs.
  const tight = await runEnergy(options({ ...model, runs: "auto", precision: 1e-9, maxRuns: 4, args: ["20", "10"] }));
  assert.equal(tight.stopReason, "max-runs");
  assert.equal(tight.runs.length, 12);
  assert.ok(summarizeEnergy(tight).warnings.some((w) => /^stopped at --max-runs/.test(w)));
});

void test("a stop request ends after the current run; the temp folder is removed", async () => {
  const model = { source: { kind: "model" as const, wattsPerCore: 10 }, samplerCommand: standaloneSamplerCommand({ source: "model", powercapRoot: "/x", wattsPerCore: 10 }) };
  const stop = new AbortController();
  const before = new Set(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("alpaca-energy-")));
  let runsSeen = 0;
  const result = await runEnergy(
    options({
      ...model,
      runs: 10,
      stop: stop.signal,
      onProgress: (e) => {
        if (e.kind === "run" && ++runsSeen === 5) stop.abort();
      },
    }),
  );
  assert.equal(result.stopReason, "interrupted");
  // The fifth run had started when the stop came: it completes and counts.
  assert.equal(result.runs.length, 5);
  const after = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("alpaca-energy-") && !before.has(f));
  assert.deepEqual(after, []);
});

void test("every run and the analysis get the same run options and stdin; baseline, control and disabled modes in turn", async (t) => {
  const dir = tempDir(t);
  const stdin = path.join(dir, "in.txt");
  fs.writeFileSync(stdin, "the input\n");
  const echoDir = path.join(dir, "echo");
  fs.mkdirSync(echoDir);
  const result = await runEnergy(
    options({
      source: { kind: "model", wattsPerCore: 10 },
      samplerCommand: standaloneSamplerCommand({ source: "model", powercapRoot: "/x", wattsPerCore: 10 }),
      runs: 2,
      args: ["10", "10"],
      runOptions: ["--dir", "/data:/data", "--env", "K=V"],
      analyzeOptions: ["--strategy", "diff"],
      stdinPath: stdin,
      env: { ...process.env, FAKE_ECHO_DIR: echoDir },
    }),
  );
  assert.ok(result.runs.every((r) => r.flagged === undefined), JSON.stringify(result.runs.map((r) => r.flagged)));
  const seen = fs.readdirSync(echoDir).sort().map((f) => JSON.parse(fs.readFileSync(path.join(echoDir, f), "utf8")) as { argv: string[]; stdin: string; mode: string });
  assert.equal(seen.length, 1 + 6);
  for (const s of seen) {
    assert.equal(s.stdin, "the input\n");
    assert.deepEqual(s.argv.slice(s.argv.indexOf("--dir"), s.argv.indexOf("--env") + 2), ["--dir", "/data:/data", "--env", "K=V"]);
  }
  assert.deepEqual(seen.map((s) => s.mode).sort(), ["a", "b", "b", "c", "c", "d", "d"]);
  assert.ok(seen.find((s) => s.mode === "a")?.argv.includes("--strategy"));
  assert.ok(seen.filter((s) => s.mode !== "a").every((s) => !s.argv.includes("--strategy")));
});
