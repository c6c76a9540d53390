/**
 * Sampler latency and lost signals (issue 5). Starts the serving sampler on a fake powercap
 * tree (4 zones) and sends it 10,000 snapshot requests three ways:
 *   acked     one at a time, as `alpaca run` does: latency from just before the request to the
 *             snapshot's timestamp (signal → snapshot) and to the acknowledgement (round trip);
 *   in-flight 16 requests outstanding at all times, so signals merge: every request must still
 *             get its own snapshot;
 *   plain v2  bare SIGUSR1s back to back without the channel, as Alpaca v2 sent them: how many
 *             merge and are lost.
 * Prints p50/p99/max in ms and lost counts. Not part of `make check`:
 *   node --import tsx bench/sampler-latency.ts [COUNT]
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CHANNEL_VERSION, type SnapshotRequest } from "../src/energy/sampler/channel.js";
import { requestSnapshot } from "../src/energy/sampler/notify.js";
import { SamplerProcess } from "../src/energy/sampler/sampler-client.js";
import { standaloneSamplerCommand } from "../src/energy/sampler/sampler-command.js";
import { quantileSorted } from "../src/energy/stats/stats.js";
import { FakePowercap, oneSocketZones } from "../src/energy/testing/fake-powercap.js";

const COUNT = Number(process.argv[2] ?? 10_000);
const IN_FLIGHT = 16;

function request(pid: number, seq: number, runId: string): SnapshotRequest {
  return { v: CHANNEL_VERSION, pid, seq, phase: "start", runId, cpuUserUs: 0, cpuSystemUs: 0 };
}

function describe(label: string, ns: number[]): string {
  const ms = ns.map((x) => x / 1e6).sort((a, b) => a - b);
  const q = (p: number): string => quantileSorted(ms, p).toFixed(3);
  return `${label.padEnd(28)} p50 ${q(0.5)} ms   p99 ${q(0.99)} ms   max ${(ms[ms.length - 1] ?? Number.NaN).toFixed(3)} ms`;
}

async function withSampler<T>(root: string, body: (s: SamplerProcess) => Promise<T>): Promise<T> {
  const sampler = await SamplerProcess.spawn(standaloneSamplerCommand({ source: "rapl", powercapRoot: root, wattsPerCore: 10 }));
  try {
    return await body(sampler);
  } finally {
    await sampler.stop();
  }
}

async function settle(sampler: SamplerProcess, expected: number): Promise<void> {
  let last = -1;
  while (sampler.snapshots.length < expected && sampler.snapshots.length !== last) {
    last = sampler.snapshots.length;
    await sleep(300);
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-sampler-bench-"));
const root = path.join(tmp, "powercap");
FakePowercap.create(root, oneSocketZones(20));
console.log(`sampler latency: ${COUNT} requests per mode, fake powercap tree with 4 zones, node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg()[0]?.toFixed(2)}`);

// 1. One request at a time (how runs use it).
await withSampler(root, async (sampler) => {
  const toSnapshot: number[] = [];
  const roundTrip: number[] = [];
  for (let i = 0; i < COUNT; i++) {
    const t0 = process.hrtime.bigint();
    const ack = await requestSnapshot(sampler.channelDir, sampler.pid, request(process.pid, i, `a${i}`));
    const t1 = process.hrtime.bigint();
    toSnapshot.push(Number(BigInt(ack.timestampNs) - t0));
    roundTrip.push(Number(t1 - t0));
  }
  await settle(sampler, COUNT);
  const answered = new Set(sampler.snapshots.map((s) => s.request?.runId)).size;
  console.log(describe("acked: signal → snapshot", toSnapshot));
  console.log(describe("acked: request → ack", roundTrip));
  console.log(`acked: ${COUNT} requests, ${answered} snapshots, lost ${COUNT - answered}`);
});

// 2. Many requests outstanding: signals merge, requests must not.
await withSampler(root, async (sampler) => {
  let next = 0;
  const t0 = Date.now();
  const worker = async (w: number): Promise<void> => {
    for (let i = next++; i < COUNT; i = next++) await requestSnapshot(sampler.channelDir, sampler.pid, request(2_000_000 + w, i, `b${i}`));
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, (_, w) => worker(w)));
  const seconds = (Date.now() - t0) / 1000;
  await settle(sampler, COUNT);
  const answered = new Set(sampler.snapshots.filter((s) => s.request).map((s) => s.request?.runId)).size;
  await sampler.stop();
  const c = sampler.counts;
  console.log(
    `in-flight ${IN_FLIGHT}: ${COUNT} requests in ${seconds.toFixed(1)} s, ${answered} answered, lost ${COUNT - answered}` +
      (c ? `; ${c.signals} signal deliveries for ${c.requests} requests (${COUNT - c.signals} signals merged by the kernel, ${c.absorbed} late deliveries absorbed)` : ""),
  );
});

// 3. Plain v2 signals back to back.
await withSampler(root, async (sampler) => {
  for (let i = 0; i < COUNT; i++) {
    process.kill(sampler.pid, "SIGUSR1");
    if (i % 100 === 99) await sleep(0);
  }
  await settle(sampler, COUNT);
  console.log(`plain v2 burst: ${COUNT} signals, ${sampler.snapshots.length} snapshots, lost ${COUNT - sampler.snapshots.length} (merged by the kernel; the channel exists for this)`);
});

fs.rmSync(tmp, { recursive: true, force: true });
