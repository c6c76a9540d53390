/**
 * Fake powercap sysfs trees for tests and benchmarks, and a simulator that advances their
 * counters at a known power. The tree mimics the kernel's layout: real zone directories nested
 * under a devices directory, and symlinks to every zone (and to the control type) at the top,
 * so readers meet the same duplicates they meet on a real machine. Counters are rewritten by
 * rename, so a reader never sees a half-written value. An unreadable counter is a directory in
 * place of `energy_uj`: tests run as root, and root reads any file whatever its mode.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseZoneDirName } from "../source/powercap.js";

export interface FakeZoneSpec {
  /** Directory name: `intel-rapl:0`, `intel-rapl:0:1`, `intel-rapl-mmio:0`. */
  dir: string;
  /** Contents of `name`: package-0, core, uncore, dram, psys. */
  name: string;
  maxEnergyRangeUj: number;
  /** Simulated constant power, watts. */
  powerW: number;
  /** Counter value at the start (default 0). */
  startUj?: number;
  /** Written as `constraint_0_max_power_uw` when given. */
  maxPowerUw?: number;
  /** Make `energy_uj` unreadable (a directory). */
  unreadable?: boolean;
}

const DEVICES = ".devices";

export class FakePowercap {
  /** Exact simulated energy per zone since creation, µJ (not wrapped). */
  private readonly consumedUj: number[];
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  /**
   * Longest time between two real-time ticks so far, seconds. A reader sees counters that lag
   * real time by up to this much, so tests state their tolerance in terms of it.
   */
  maxTickGapSeconds = 0;

  private constructor(
    readonly root: string,
    readonly zones: readonly FakeZoneSpec[],
    private readonly zoneDirs: readonly string[],
  ) {
    this.consumedUj = zones.map(() => 0);
  }

  /** Creates the tree under `root` (which must be empty or missing). */
  static create(root: string, zones: readonly FakeZoneSpec[]): FakePowercap {
    fs.mkdirSync(root, { recursive: true });
    const dirs: string[] = [];
    for (const z of zones) {
      const parsed = parseZoneDirName(z.dir);
      if (!parsed) throw new Error(`fake powercap: bad zone dir ${z.dir}`);
      // intel-rapl:0:1 lives in .devices/intel-rapl/intel-rapl:0/intel-rapl:0:1
      const chain = parsed.indices.map((_, i) => `${parsed.family}:${parsed.indices.slice(0, i + 1).join(":")}`);
      const real = path.join(root, DEVICES, parsed.family, ...chain);
      fs.mkdirSync(real, { recursive: true });
      fs.writeFileSync(path.join(real, "name"), `${z.name}\n`);
      fs.writeFileSync(path.join(real, "max_energy_range_uj"), `${z.maxEnergyRangeUj}\n`);
      fs.writeFileSync(path.join(real, "enabled"), "1\n");
      if (z.maxPowerUw !== undefined) {
        fs.writeFileSync(path.join(real, "constraint_0_name"), "long_term\n");
        fs.writeFileSync(path.join(real, "constraint_0_max_power_uw"), `${z.maxPowerUw}\n`);
      }
      if (z.unreadable) fs.mkdirSync(path.join(real, "energy_uj"));
      else fs.writeFileSync(path.join(real, "energy_uj"), `${z.startUj ?? 0}\n`);
      const link = path.join(root, z.dir);
      if (!fs.existsSync(link)) fs.symlinkSync(path.relative(root, real), link);
      const control = path.join(root, parsed.family);
      if (!fs.existsSync(control)) fs.symlinkSync(path.join(DEVICES, parsed.family), control);
      dirs.push(real);
    }
    return new FakePowercap(root, zones, dirs);
  }

  /** The counter value of zone i after `consumedUj` of energy. */
  private counterUj(i: number): number {
    const z = this.zones[i];
    if (!z) return 0;
    return Math.floor((z.startUj ?? 0) + (this.consumedUj[i] ?? 0)) % z.maxEnergyRangeUj;
  }

  private writeCounters(): void {
    for (let i = 0; i < this.zones.length; i++) {
      if (this.zones[i]?.unreadable) continue;
      const dir = this.zoneDirs[i] ?? "";
      const tmp = path.join(dir, `.energy_uj.${process.pid}.${this.seq++}`);
      fs.writeFileSync(tmp, `${this.counterUj(i)}\n`);
      fs.renameSync(tmp, path.join(dir, "energy_uj"));
    }
  }

  /** Advances simulated time by `seconds` at each zone's power and rewrites the counters. */
  advance(seconds: number): void {
    for (let i = 0; i < this.zones.length; i++) {
      this.consumedUj[i] = (this.consumedUj[i] ?? 0) + (this.zones[i]?.powerW ?? 0) * seconds * 1e6;
    }
    this.writeCounters();
  }

  /** Exact energy consumed by zone i so far, joules. */
  consumedJ(i: number): number {
    return (this.consumedUj[i] ?? 0) / 1e6;
  }

  /**
   * Advances the counters in real time (monotonic clock) every `intervalMs`, like RAPL's ~1 ms
   * update. Each tick sets the counters to power × elapsed time since start().
   */
  start(intervalMs = 1): void {
    this.stop();
    let last = process.hrtime.bigint();
    this.maxTickGapSeconds = intervalMs / 1000;
    this.timer = setInterval(() => {
      const now = process.hrtime.bigint();
      const gap = Number(now - last) / 1e9;
      this.maxTickGapSeconds = Math.max(this.maxTickGapSeconds, gap);
      this.advance(gap);
      last = now;
    }, intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** A typical one-socket client machine: package, core, uncore, psys (no dram). */
export function oneSocketZones(powerW = 20, rangeUj = 262_143_328_850): FakeZoneSpec[] {
  return [
    { dir: "intel-rapl:0", name: "package-0", maxEnergyRangeUj: rangeUj, powerW, maxPowerUw: 65_000_000 },
    { dir: "intel-rapl:0:0", name: "core", maxEnergyRangeUj: rangeUj, powerW: powerW * 0.6 },
    { dir: "intel-rapl:0:1", name: "uncore", maxEnergyRangeUj: rangeUj, powerW: powerW * 0.1 },
    { dir: "intel-rapl:1", name: "psys", maxEnergyRangeUj: rangeUj, powerW: powerW * 1.5 },
  ];
}
