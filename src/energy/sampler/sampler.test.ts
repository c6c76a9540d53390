// The sampler in-process (clock and signals driven by the test) and as a real child process
// signalled by the run notifier, over fake powercap trees advanced by the simulator.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { EnvironmentError } from "../../errors/index.js";
import { CHANNEL_VERSION, requestFileName, type SnapshotRequest } from "./channel.js";
import { createRunNotifier, requestSnapshot } from "./notify.js";
import { readZones } from "../source/powercap-reader.js";
import { SamplerProcess } from "./sampler-client.js";
import { standaloneSamplerCommand } from "./sampler-command.js";
import { createChannelDir, Sampler } from "./sampler.js";
import { FakePowercap, oneSocketZones, type FakeZoneSpec } from "../testing/fake-powercap.js";

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-sampler-test-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A clock the test moves together with the simulator. */
function simulatedClock(): { now: () => bigint; advance: (s: number) => void } {
  let ns = 1_000_000_000n;
  return { now: () => ns, advance: (s) => (ns += BigInt(Math.round(s * 1e9))) };
}

function request(pid: number, seq: number, phase: "start" | "end", extra: Partial<SnapshotRequest> = {}): SnapshotRequest {
  return { v: CHANNEL_VERSION, pid, seq, phase, cpuUserUs: 0, cpuSystemUs: 0, ...extra };
}

void test("in-process: energy between snapshots equals power × time, per zone", (t) => {
  const root = path.join(tempDir(t), "pc");
  const fake = FakePowercap.create(root, oneSocketZones(20));
  const clock = simulatedClock();
  const sampler = new Sampler({ source: { kind: "rapl", zones: readZones(root).zones }, now: clock.now, listen: false, pollIntervalMs: 0 });
  sampler.start();
  fake.advance(0.5);
  clock.advance(0.5);
  sampler.handleSignal();
  fake.advance(2);
  clock.advance(2);
  sampler.handleSignal();
  const [a, b] = sampler.snapshots();
  assert.ok(a && b);
  assert.equal(Number(b.timestampNs - a.timestampNs) / 1e9, 2);
  const joules = (b.energyUj ?? []).map((e, i) => (e - (a.energyUj?.[i] ?? 0)) / 1e6);
  // package 20 W, core 12 W, uncore 2 W, psys 30 W; counters have 1 µJ resolution.
  for (const [i, w] of [20, 12, 2, 30].entries()) assert.ok(Math.abs((joules[i] ?? 0) - 2 * w) < 2e-6, `zone ${i}: ${joules[i]}`);
  assert.deepEqual(sampler.zoneLabels, ["package-0", "package-0/core", "package-0/uncore", "psys"]);
});

void test("in-process: several wraps between snapshots are counted thanks to background reads", (t) => {
  const root = path.join(tempDir(t), "pc");
  // 1 J range at 30 W wraps every 33 ms; 1 s between snapshots is 30 wraps.
  const zones: FakeZoneSpec[] = [{ dir: "intel-rapl:0", name: "package-0", maxEnergyRangeUj: 1_000_000, powerW: 30, startUj: 999_000, maxPowerUw: 25_000_000 }];
  const fake = FakePowercap.create(root, zones);
  const scanned = readZones(root).zones;
  const sampler = new Sampler({ source: { kind: "rapl", zones: scanned }, listen: false });
  // 1 J / (2 × 25 W) = 20 ms per wrap at the assumed maximum → poll every 5 ms.
  assert.equal(sampler.pollIntervalMs, 5);
  sampler.start();
  sampler.stop(); // the test drives the polls itself, at the derived interval
  sampler.handleSignal();
  for (let i = 0; i < 200; i++) {
    fake.advance(0.005);
    sampler.poll();
  }
  sampler.handleSignal();
  const [a, b] = sampler.snapshots();
  const j = ((b?.energyUj?.[0] ?? 0) - (a?.energyUj?.[0] ?? 0)) / 1e6;
  assert.ok(Math.abs(j - 30) < 1e-5, `measured ${j} J`);
  // Without the polls only the last partial wrap would be seen.
  const naive = new Sampler({ source: { kind: "rapl", zones: scanned }, listen: false, pollIntervalMs: 0 });
  naive.start();
  naive.handleSignal();
  fake.advance(1);
  naive.handleSignal();
  const [c, d] = naive.snapshots();
  assert.ok(((d?.energyUj?.[0] ?? 0) - (c?.energyUj?.[0] ?? 0)) / 1e6 < 1);
});

void test("in-process channel: merged signals lose no request; late signals are absorbed; plain signals still count", (t) => {
  const root = path.join(tempDir(t), "pc");
  const fake = FakePowercap.create(root, oneSocketZones(10));
  const channel = createChannelDir(tempDir(t));
  const acked: string[] = [];
  const sampler = new Sampler({ source: { kind: "rapl", zones: readZones(root).zones }, channelDir: channel, listen: false, pollIntervalMs: 0 });
  sampler.start();
  // Two runs wrote their requests; their two signals merged into one delivery.
  fs.writeFileSync(path.join(channel, requestFileName(101, 0)), JSON.stringify(request(101, 0, "start", { runId: "a" })));
  fs.writeFileSync(path.join(channel, requestFileName(102, 0)), JSON.stringify(request(102, 0, "start", { runId: "b" })));
  fake.advance(0.1);
  sampler.handleSignal();
  assert.equal(sampler.snapshots().length, 2);
  assert.deepEqual(sampler.snapshots().map((s) => s.request?.runId), ["a", "b"]);
  for (const f of fs.readdirSync(channel)) acked.push(f);
  assert.deepEqual(acked.sort(), ["ack-101-0.json", "ack-102-0.json"]);
  // Run b's signal was only late, not merged: it arrives now and finds nothing to serve.
  sampler.handleSignal();
  assert.equal(sampler.snapshots().length, 2);
  // A plain v2 signal afterwards is a snapshot of its own.
  sampler.handleSignal();
  assert.equal(sampler.snapshots().length, 3);
  assert.equal(sampler.snapshots()[2]?.request, undefined);
  assert.deepEqual(sampler.stats(), { signals: 3, requests: 2, absorbed: 1, polls: 0 });
});

void test("model source: energy from the request's CPU time × watts per core", () => {
  const sampler = new Sampler({ source: { kind: "model", wattsPerCore: 8 }, listen: false });
  sampler.start();
  assert.deepEqual(sampler.zoneLabels, ["estimated-cpu"]);
  assert.equal(sampler.pollIntervalMs, 0);
  sampler.handleSignal(); // plain signal: no CPU time, unknown energy
  assert.equal(sampler.snapshots()[0]?.energyUj, null);
});

void test("notifier: no ALPACA_PPID, junk, or a dead pid give no notifier", async () => {
  assert.equal(createRunNotifier({}), undefined);
  assert.equal(createRunNotifier({ ALPACA_PPID: "abc" }), undefined);
  assert.equal(createRunNotifier({ ALPACA_PPID: "0" }), undefined);
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((r) => child.on("exit", r));
  assert.equal(createRunNotifier({ ALPACA_PPID: String(child.pid) }), undefined);
});

void test("notifier: a process that does not answer makes the run fail, it does not hang", async (t) => {
  const dir = tempDir(t);
  // Ignores SIGUSR1 and never acknowledges.
  const mute = spawn(process.execPath, ["-e", "process.on('SIGUSR1', () => {}); console.log('up'); setTimeout(() => {}, 20000)"], { stdio: ["ignore", "pipe", "ignore"] });
  t.after(() => mute.kill());
  await new Promise((r) => mute.stdout.once("data", r));
  const notify = createRunNotifier({ ALPACA_PPID: String(mute.pid), ALPACA_SAMPLER_CHANNEL: dir, ALPACA_SAMPLER_TIMEOUT_MS: "300" });
  assert.ok(notify);
  await assert.rejects(notify("start"), (e) => e instanceof EnvironmentError && /did not acknowledge the start snapshot request req-\d+-0\.json \(pid \d+\) within 300 ms/.test(e.message));
  // A process without a listener dies of SIGUSR1: the notifier notices instead of waiting.
  const sleeper = spawn("sleep", ["20"]);
  t.after(() => sleeper.kill());
  const notify2 = createRunNotifier({ ALPACA_PPID: String(sleeper.pid), ALPACA_SAMPLER_CHANNEL: dir });
  assert.ok(notify2);
  await assert.rejects(notify2("start"), /sampler exited before acknowledging/);
});

void test("child sampler: notifier waits for snapshots; energy matches the simulated power across wraps", async (t) => {
  const root = path.join(tempDir(t), "pc");
  // 10 J range at 20 W wraps every 500 ms; the published 20 W limit (40 W assumed peak) gives
  // a 62 ms poll, so only a stall of half a second could hide a wrap.
  const fake = FakePowercap.create(root, [
    { dir: "intel-rapl:0", name: "package-0", maxEnergyRangeUj: 10_000_000, powerW: 20, maxPowerUw: 20_000_000 },
    { dir: "intel-rapl:0:0", name: "dram", maxEnergyRangeUj: 262_143_328_850, powerW: 3 },
  ]);
  fake.start(1);
  t.after(() => fake.stop());
  const sampler = await SamplerProcess.spawn(standaloneSamplerCommand({ source: "rapl", powercapRoot: root, wattsPerCore: 10 }));
  t.after(() => sampler.stop());
  assert.deepEqual(sampler.zoneLabels, ["package-0", "package-0/dram"]);
  assert.equal(sampler.pollIntervalMs, 62);
  const env = { ALPACA_PPID: String(sampler.pid), ALPACA_SAMPLER_CHANNEL: sampler.channelDir, ALPACA_RUN_ID: "run-1" };
  const notify = createRunNotifier(env);
  assert.ok(notify);
  await notify("start");
  // The start snapshot exists as soon as notify resolved.
  const started = await sampler.waitForRun("run-1", 1, 2000);
  assert.equal(started[0]?.request?.phase, "start");
  await sleep(1200);
  await notify("end");
  const [a, b] = await sampler.waitForRun("run-1", 2, 2000);
  assert.ok(a && b && a.energyUj && b.energyUj);
  const seconds = Number(b.timestampNs - a.timestampNs) / 1e9;
  assert.ok(seconds >= 1.2 && seconds < 10, `duration ${seconds}`);
  // Stated tolerance: the simulator's counters lag real time by at most its longest tick gap
  // (1 ms, more when the machine is loaded), at each end: |E − P·t| ≤ P × (2 × gap + 1 ms).
  const slack = 2 * fake.maxTickGapSeconds + 0.001;
  for (const [i, w] of [20, 3].entries()) {
    const joules = ((b.energyUj[i] ?? 0) - (a.energyUj[i] ?? 0)) / 1e6;
    assert.ok(Math.abs(joules - w * seconds) <= w * slack, `zone ${i}: ${joules} J over ${seconds} s at ${w} W (slack ${slack} s)`);
  }
  // The counter wrapped at least twice in between (10 J range, 24+ J), which only the polls can see.
  assert.ok(((b.energyUj[0] ?? 0) - (a.energyUj[0] ?? 0)) / 1e6 > 10 * 2);
  // Stall warnings (a poll later than 250 ms) are possible on a loaded machine; nothing else is.
  assert.deepEqual(sampler.errors.filter((e) => !/a wrap may have been missed/.test(e)), []);
});

void test("child sampler: 40 requests in flight at once, every one answered by its own snapshot", async (t) => {
  const root = path.join(tempDir(t), "pc");
  FakePowercap.create(root, oneSocketZones(5));
  const sampler = await SamplerProcess.spawn(standaloneSamplerCommand({ source: "rapl", powercapRoot: root, wattsPerCore: 10 }));
  t.after(() => sampler.stop());
  // Distinct fake pids stand for distinct runs signalling together.
  const acks = await Promise.all(
    Array.from({ length: 40 }, (_, i) => requestSnapshot(sampler.channelDir, sampler.pid, request(1_000_000 + i, 0, "start", { runId: `r${i}` }))),
  );
  assert.equal(new Set(acks.map((a) => a.snapshot)).size, 40);
  for (let i = 0; i < 40; i++) assert.equal((await sampler.waitForRun(`r${i}`, 1, 2000)).length, 1);
  assert.deepEqual(fs.readdirSync(sampler.channelDir), []);
});

void test("child sampler: plain v2 signals (no channel) give one snapshot each when spaced", async (t) => {
  const root = path.join(tempDir(t), "pc");
  FakePowercap.create(root, oneSocketZones(5));
  const sampler = await SamplerProcess.spawn(standaloneSamplerCommand({ source: "rapl", powercapRoot: root, wattsPerCore: 10 }));
  t.after(() => sampler.stop());
  const notify = createRunNotifier({ ALPACA_PPID: String(sampler.pid) });
  assert.ok(notify);
  for (let i = 0; i < 3; i++) {
    await notify("start");
    await sleep(60);
  }
  const deadline = Date.now() + 2000;
  while (sampler.snapshots.length < 3 && Date.now() < deadline) await sleep(20);
  assert.equal(sampler.snapshots.length, 3);
  assert.ok(sampler.snapshots.every((s) => s.request === undefined && s.energyUj?.length === 4));
});

void test("child sampler: --source rapl on an empty powercap directory fails with the reason", async (t) => {
  const root = path.join(tempDir(t), "pc");
  fs.mkdirSync(root);
  await assert.rejects(
    SamplerProcess.spawn(standaloneSamplerCommand({ source: "rapl", powercapRoot: root, wattsPerCore: 10 })),
    (e) => e instanceof EnvironmentError && /sampler exited .*no RAPL zones in/.test(e.message),
  );
});

void test("in-process: a counter that becomes unreadable still gets the request answered, with the error reported", (t) => {
  const root = path.join(tempDir(t), "pc");
  FakePowercap.create(root, oneSocketZones(10));
  const channel = createChannelDir(tempDir(t));
  const errors: string[] = [];
  const sampler = new Sampler({ source: { kind: "rapl", zones: readZones(root).zones }, channelDir: channel, listen: false, pollIntervalMs: 0, onError: (e) => errors.push(e.message) });
  sampler.start();
  const counter = path.join(root, "intel-rapl:0:1", "energy_uj");
  fs.rmSync(counter);
  fs.mkdirSync(counter);
  fs.writeFileSync(path.join(channel, requestFileName(7, 0)), JSON.stringify(request(7, 0, "end")));
  sampler.handleSignal();
  assert.deepEqual(fs.readdirSync(channel), ["ack-7-0.json"]);
  assert.equal(sampler.snapshots()[0]?.energyUj, null);
  assert.equal(errors.length, 1);
  assert.match(errors[0] ?? "", /intel-rapl:0:1\/energy_uj: is a directory, not a counter \(EISDIR\)$/);
});

void test("in-process: a read later than the shortest wrap period is reported", (t) => {
  const root = path.join(tempDir(t), "pc");
  // 1 J at (2 × 50 W) wraps in 10 ms at the most.
  FakePowercap.create(root, [{ dir: "intel-rapl:0", name: "package-0", maxEnergyRangeUj: 1_000_000, powerW: 1, maxPowerUw: 50_000_000 }]);
  const clock = simulatedClock();
  const errors: string[] = [];
  const sampler = new Sampler({ source: { kind: "rapl", zones: readZones(root).zones }, now: clock.now, listen: false, pollIntervalMs: 0, onError: (e) => errors.push(e.message) });
  sampler.start();
  clock.advance(0.009);
  sampler.poll();
  assert.deepEqual(errors, []);
  clock.advance(0.025);
  sampler.poll();
  assert.deepEqual(errors, ["sampler: no counter read for 25 ms, longer than the shortest wrap period (10 ms at maximum power): a wrap may have been missed"]);
});
