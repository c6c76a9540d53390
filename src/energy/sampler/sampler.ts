/**
 * The sampler: takes a snapshot (every zone's energy since the sampler started, and a
 * monotonic timestamp) each time it receives SIGUSR1, and serves the request/ack channel of
 * channel.ts so no snapshot is lost when signals merge. Between signals it is idle except for a
 * background read of the counters at an interval derived from each zone's wrap period
 * (powercap.ts `pollIntervalMs`), so several wraps between two snapshots are still counted.
 *
 * Sources: `rapl` reads powercap counters; `model` has one zone, `estimated-cpu`, whose energy
 * is the requesting run's CPU time × watts per core (only requests carry CPU time, so a plain
 * v2 signal gives a snapshot with unknown energy).
 *
 * Invariant: the signal listener is installed by start() before anything else happens, and
 * callers announce the sampler only after start() returned (Node would otherwise treat SIGUSR1
 * as "start the inspector").
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EnergyAccumulator } from "../source/accumulator.js";
import { ackFileName, CHANNEL_VERSION, decodeRequest, parseRequestFileName, type SnapshotAck, type SnapshotRequest } from "./channel.js";
import type { Snapshot } from "../types.js";
import { estimateEnergyJ, MODEL_ZONE } from "../source/model.js";
import { pollIntervalMs as derivePollIntervalMs, shortestWrapSeconds, type Zone } from "../source/powercap.js";
import { nodePowercapFs, readEnergyUj, type PowercapFs } from "../source/powercap-reader.js";

export type { Snapshot };

export type SamplerSource = { kind: "rapl"; zones: readonly Zone[]; io?: PowercapFs } | { kind: "model"; wattsPerCore: number };

export interface SamplerOptions {
  source: SamplerSource;
  /** Serve requests from this directory (see channel.ts); plain signals only when absent. */
  channelDir?: string;
  /** Called for each snapshot, before its request is acknowledged. */
  onSnapshot?: (snapshot: Snapshot) => void;
  /** Called when a background read or a request fails; the sampler keeps going. */
  onError?: (error: Error) => void;
  /** Overrides the derived background poll interval, ms (0 disables polling). */
  pollIntervalMs?: number;
  /** Monotonic clock, ns (tests override). */
  now?: () => bigint;
  /** Install a process signal listener (default true; tests drive handleSignal directly). */
  listen?: boolean;
}

export interface SamplerCounts {
  /** Signal deliveries handled. */
  signals: number;
  /** Channel requests served. */
  requests: number;
  /** Signals recognised as late duplicates of already-served requests. */
  absorbed: number;
  /** Background counter reads. */
  polls: number;
}

export class Sampler {
  readonly zoneLabels: readonly string[];
  readonly pollIntervalMs: number;
  private readonly taken: Snapshot[] = [];
  private readonly accumulator: EnergyAccumulator | undefined;
  private readonly now: () => bigint;
  private readonly counts: SamplerCounts = { signals: 0, requests: 0, absorbed: 0, polls: 0 };
  private credits = 0;
  private lastReadNs: bigint | undefined;
  private readonly shortestWrapNs: bigint;
  private timer: NodeJS.Timeout | undefined;
  private readonly listener = (): void => this.handleSignal();
  private listening = false;

  constructor(private readonly options: SamplerOptions) {
    const source = options.source;
    this.now = options.now ?? (() => process.hrtime.bigint());
    if (source.kind === "rapl") {
      this.zoneLabels = source.zones.map((z) => z.label);
      this.accumulator = new EnergyAccumulator(source.zones.map((z) => z.maxEnergyRangeUj));
      this.pollIntervalMs = options.pollIntervalMs ?? derivePollIntervalMs(source.zones);
      const wrapSeconds = shortestWrapSeconds(source.zones);
      this.shortestWrapNs = Number.isFinite(wrapSeconds) ? BigInt(Math.floor(wrapSeconds * 1e9)) : BigInt(Number.MAX_SAFE_INTEGER);
    } else {
      this.zoneLabels = [MODEL_ZONE];
      this.pollIntervalMs = 0;
      this.shortestWrapNs = 0n;
    }
  }

  /** Installs the SIGUSR1 listener, reads the counters' origin, and starts the background poll. */
  start(): void {
    if (this.options.listen ?? true) {
      process.on("SIGUSR1", this.listener);
      this.listening = true;
    }
    this.readCounters();
    if (this.pollIntervalMs > 0) {
      this.timer = setInterval(() => this.poll(), this.pollIntervalMs);
      this.timer.unref();
    }
  }

  /** The background read: keeps the accumulator ahead of counter wraps. */
  poll(): void {
    try {
      this.counts.polls++;
      this.readCounters();
    } catch (error) {
      this.options.onError?.(error as Error);
    }
  }

  stop(): void {
    if (this.listening) process.off("SIGUSR1", this.listener);
    this.listening = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  snapshots(): readonly Snapshot[] {
    return this.taken;
  }

  stats(): SamplerCounts {
    return { ...this.counts };
  }

  /**
   * Reads every counter into the accumulator; returns the totals (µJ), or null for the model.
   * Reports when the previous read is older than the shortest wrap period at maximum power
   * (the process was stalled): a counter may then have wrapped twice unseen.
   */
  private readCounters(): number[] | null {
    const source = this.options.source;
    if (source.kind !== "rapl" || !this.accumulator) return null;
    const io = source.io ?? nodePowercapFs;
    const now = this.now();
    const readings = source.zones.map((z) => readEnergyUj(z, io));
    if (this.lastReadNs !== undefined && now - this.lastReadNs > this.shortestWrapNs) {
      const gapMs = Number(now - this.lastReadNs) / 1e6;
      this.options.onError?.(
        new Error(`sampler: no counter read for ${gapMs.toFixed(0)} ms, longer than the shortest wrap period (${(Number(this.shortestWrapNs) / 1e6).toFixed(0)} ms at maximum power): a wrap may have been missed`),
      );
    }
    this.lastReadNs = now;
    this.accumulator.update(readings);
    return this.accumulator.totalsUj();
  }

  private modelEnergy(request: SnapshotRequest | undefined): number[] | null {
    const source = this.options.source;
    if (source.kind !== "model" || !request) return null;
    // Whole µJ, like a RAPL counter.
    return [Math.round(estimateEnergyJ((request.cpuUserUs + request.cpuSystemUs) / 1e6, source.wattsPerCore) * 1e6)];
  }

  private record(timestampNs: bigint, energyUj: number[] | null, request: SnapshotRequest | undefined): Snapshot {
    const snapshot: Snapshot = { index: this.taken.length, timestampNs, energyUj: energyUj ?? this.modelEnergy(request) };
    if (request) snapshot.request = request;
    this.taken.push(snapshot);
    this.options.onSnapshot?.(snapshot);
    return snapshot;
  }

  /** Pending requests in the channel, oldest first per process; each file is removed once read. */
  private takeRequests(dir: string): SnapshotRequest[] {
    const found: { pid: number; seq: number; name: string }[] = [];
    for (const name of fs.readdirSync(dir)) {
      const id = parseRequestFileName(name);
      if (id) found.push({ ...id, name });
    }
    found.sort((a, b) => a.pid - b.pid || a.seq - b.seq);
    const requests: SnapshotRequest[] = [];
    for (const f of found) {
      const file = path.join(dir, f.name);
      try {
        requests.push(decodeRequest(fs.readFileSync(file, "utf8")));
      } catch (error) {
        this.options.onError?.(new Error(`sampler: bad request ${f.name}: ${(error as Error).message}`, { cause: error }));
      }
      fs.rmSync(file, { force: true });
    }
    return requests;
  }

  private acknowledge(dir: string, snapshot: Snapshot, request: SnapshotRequest): void {
    const ack: SnapshotAck = { v: CHANNEL_VERSION, snapshot: snapshot.index, timestampNs: snapshot.timestampNs.toString() };
    const name = ackFileName(request.pid, request.seq);
    const tmp = path.join(dir, `.${name}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify(ack));
    fs.renameSync(tmp, path.join(dir, name));
  }

  /** What SIGUSR1 does: one counter read, then one snapshot per pending request (or per plain signal). */
  handleSignal(): void {
    const timestampNs = this.now();
    this.counts.signals++;
    let energy: number[] | null = null;
    try {
      energy = this.readCounters();
    } catch (error) {
      // Still answer the requests (energy unknown) so no run waits for nothing; the error
      // reaches the orchestrator, which refuses runs without energy.
      this.options.onError?.(error as Error);
    }
    const dir = this.options.channelDir;
    const requests = dir ? this.takeRequests(dir) : [];
    if (requests.length === 0) {
      if (this.credits > 0) {
        this.credits--;
        this.counts.absorbed++;
        return;
      }
      this.record(timestampNs, energy, undefined);
      return;
    }
    // This signal accounts for one request; the others' signals merged into it or are still coming.
    this.credits += requests.length - 1;
    for (const request of requests) {
      this.counts.requests++;
      const snapshot = this.record(timestampNs, energy, request);
      try {
        if (dir) this.acknowledge(dir, snapshot, request);
      } catch (error) {
        this.options.onError?.(error as Error);
      }
    }
  }
}

/** Creates a private channel directory (mode 0700) for a sampler. */
export function createChannelDir(parent: string = os.tmpdir()): string {
  return fs.mkdtempSync(path.join(parent, "alpaca-sampler-"));
}
