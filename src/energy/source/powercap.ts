/**
 * RAPL zones from powercap sysfs, as pure functions of what the files contain (the reader in
 * powercap-reader.ts does the I/O). Layout (Documentation/power/powercap/powercap.rst):
 * `/sys/class/powercap/intel-rapl:S` is socket S's package zone (or `psys`), its subzones
 * `intel-rapl:S:K` are core, uncore or dram; `intel-rapl-mmio:S` exposes the same package
 * counter through MMIO on some client chips. Each zone has `name`, `energy_uj` (a counter that
 * wraps at `max_energy_range_uj`) and optional power constraints.
 *
 * Invariants: zone identity comes from directory names and contents, never from fixed
 * indices; a zone reached twice (symlinks, control-type directories) appears once; an MMIO
 * zone duplicating an MSR zone of the same label is dropped; nested zones are reported side by
 * side and never summed into one another (a package already contains its core).
 */

export const POWERCAP_ROOT = "/sys/class/powercap";

/** Power assumed for a zone that publishes no limit, for the wraparound poll interval. */
export const DEFAULT_MAX_POWER_UW = 1_000_000_000; // 1 kW: above any package's real draw
/** Polls per shortest wrap period: several, so a late timer still sees each wrap. */
export const POLLS_PER_WRAP = 4;
export const MIN_POLL_INTERVAL_MS = 1;
export const MAX_POLL_INTERVAL_MS = 60_000;

const ZONE_DIR = /^(intel-rapl(?:-mmio)?)((?::\d+)+)$/;
const FAMILY_ORDER = { "intel-rapl": 0, "intel-rapl-mmio": 1 } as const;
export type ZoneFamily = keyof typeof FAMILY_ORDER;

export interface ZoneDirName {
  family: ZoneFamily;
  /** Indices after the family, e.g. [0, 1] for `intel-rapl:0:1`. */
  indices: number[];
}

/** Parses `intel-rapl:0:1` / `intel-rapl-mmio:0`; undefined for anything else. */
export function parseZoneDirName(dir: string): ZoneDirName | undefined {
  const m = ZONE_DIR.exec(dir);
  if (!m) return undefined;
  return { family: m[1] as ZoneFamily, indices: (m[2] ?? "").slice(1).split(":").map(Number) };
}

/** True for control-type directories (`intel-rapl`, `intel-rapl-mmio`) that hold zones. */
export function isControlTypeDir(dir: string): boolean {
  return dir === "intel-rapl" || dir === "intel-rapl-mmio";
}

/** What the reader found in one zone directory: file contents, or the error reading them. */
export interface RawZone {
  /** Directory name, e.g. `intel-rapl:0:1`. */
  dir: string;
  /** Path of the directory as found. */
  path: string;
  /** The directory's resolved path (duplicates share it). */
  realPath: string;
  name: FileRead;
  maxEnergyRangeUj: FileRead;
  energyUj: FileRead;
  /** Contents of `constraint_*_max_power_uw`, `constraint_*_power_limit_uw`, `max_power_range_uw`. */
  powerFiles: string[];
}

export type FileRead = { ok: true; text: string } | { ok: false; error: string };

export interface Zone {
  /** Directory name, e.g. `intel-rapl:1:0`. */
  id: string;
  /** The zone's `name`: package-N, core, uncore, dram, psys. */
  name: string;
  /** Unique display name: `package-1`, `package-1/dram`, `psys`. */
  label: string;
  /** Label of the zone this one is nested in. */
  parentLabel: string | undefined;
  energyPath: string;
  maxEnergyRangeUj: number;
  /** Highest power the zone can draw, from its constraints (with margin), if it publishes any. */
  maxPowerUw: number | undefined;
}

export interface ZoneProblem {
  path: string;
  /** Lowercase reason, e.g. `permission denied (EACCES)`. */
  reason: string;
}

export interface ZoneSet {
  zones: Zone[];
  problems: ZoneProblem[];
  /** Paths skipped as duplicates of a kept zone. */
  duplicates: string[];
}

/** Parses a sysfs counter: decimal digits and a newline. Undefined when malformed or unsafe. */
export function parseMicro(text: string): number | undefined {
  const m = /^\s*(\d+)\s*$/.exec(text);
  if (!m) return undefined;
  const v = Number(m[1]);
  return Number.isSafeInteger(v) ? v : undefined;
}

function compareDirs(a: ZoneDirName, b: ZoneDirName): number {
  const f = FAMILY_ORDER[a.family] - FAMILY_ORDER[b.family];
  if (f !== 0) return f;
  for (let i = 0; i < Math.max(a.indices.length, b.indices.length); i++) {
    const d = (a.indices[i] ?? -1) - (b.indices[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/** Turns raw directory reads into the zones to measure, deduplicated and labelled. */
export function buildZones(raw: readonly RawZone[]): ZoneSet {
  const problems: ZoneProblem[] = [];
  const duplicates: string[] = [];
  const parsed = raw
    .map((r) => ({ r, d: parseZoneDirName(r.dir) }))
    .filter((x): x is { r: RawZone; d: ZoneDirName } => x.d !== undefined)
    .sort((x, y) => compareDirs(x.d, y.d) || x.r.path.localeCompare(y.r.path));

  const seenReal = new Set<string>();
  const unique: { r: RawZone; d: ZoneDirName }[] = [];
  for (const x of parsed) {
    if (seenReal.has(x.r.realPath)) {
      duplicates.push(x.r.path);
      continue;
    }
    seenReal.add(x.r.realPath);
    unique.push(x);
  }

  // Labels: parents come first in sorted order, so a child finds its parent's label.
  const labelByDir = new Map<string, string>();
  const usedLabels = new Set<string>();
  const zones: Zone[] = [];
  const mmioDropped = new Set<string>();
  for (const { r, d } of unique) {
    const parentDir = d.indices.length > 1 ? `${d.family}:${d.indices.slice(0, -1).join(":")}` : undefined;
    if (parentDir !== undefined && mmioDropped.has(parentDir)) {
      mmioDropped.add(r.dir);
      duplicates.push(r.path);
      continue;
    }
    if (!r.name.ok) {
      problems.push({ path: `${r.path}/name`, reason: r.name.error });
      continue;
    }
    const name = r.name.text.trim();
    const parentLabel = parentDir === undefined ? undefined : labelByDir.get(parentDir);
    let label = parentLabel === undefined ? name : `${parentLabel}/${name}`;
    if (usedLabels.has(label)) {
      if (d.family === "intel-rapl-mmio") {
        // The same counter through MMIO: keep the MSR zone only.
        mmioDropped.add(r.dir);
        duplicates.push(r.path);
        continue;
      }
      label = `${label} (${r.dir})`;
    }
    labelByDir.set(r.dir, label);

    if (!r.maxEnergyRangeUj.ok) {
      problems.push({ path: `${r.path}/max_energy_range_uj`, reason: r.maxEnergyRangeUj.error });
      continue;
    }
    const range = parseMicro(r.maxEnergyRangeUj.text);
    if (range === undefined || range === 0) {
      problems.push({ path: `${r.path}/max_energy_range_uj`, reason: `malformed value ${JSON.stringify(r.maxEnergyRangeUj.text.trim())}` });
      continue;
    }
    if (!r.energyUj.ok) {
      problems.push({ path: `${r.path}/energy_uj`, reason: r.energyUj.error });
      continue;
    }
    if (parseMicro(r.energyUj.text) === undefined) {
      problems.push({ path: `${r.path}/energy_uj`, reason: `malformed value ${JSON.stringify(r.energyUj.text.trim())}` });
      continue;
    }
    const powers = r.powerFiles.map(parseMicro).filter((p): p is number => p !== undefined && p > 0);
    usedLabels.add(label);
    zones.push({
      id: r.dir,
      name,
      label,
      parentLabel,
      energyPath: `${r.path}/energy_uj`,
      maxEnergyRangeUj: range,
      // Limits are averages over a window; instantaneous draw can exceed them, hence the margin.
      maxPowerUw: powers.length ? 2 * Math.max(...powers) : undefined,
    });
  }
  return { zones, problems, duplicates };
}

/** Energy between two counter readings, allowing for one wrap at `rangeUj`. */
export function wrapDeltaUj(previousUj: number, currentUj: number, rangeUj: number): number {
  return currentUj >= previousUj ? currentUj - previousUj : rangeUj - previousUj + currentUj;
}

/** The shortest time any zone takes to wrap at its maximum power, range / power (∞ for no zones). */
export function shortestWrapSeconds(zones: readonly Pick<Zone, "maxEnergyRangeUj" | "maxPowerUw">[]): number {
  let shortest = Number.POSITIVE_INFINITY;
  for (const z of zones) shortest = Math.min(shortest, z.maxEnergyRangeUj / (z.maxPowerUw ?? DEFAULT_MAX_POWER_UW));
  return shortest;
}

/**
 * How often to read the counters in the background so no zone wraps twice between two reads:
 * a fraction of the shortest wrap period, range / maximum power.
 */
export function pollIntervalMs(zones: readonly Pick<Zone, "maxEnergyRangeUj" | "maxPowerUw">[]): number {
  const interval = (shortestWrapSeconds(zones) * 1000) / POLLS_PER_WRAP;
  return Math.min(MAX_POLL_INTERVAL_MS, Math.max(MIN_POLL_INTERVAL_MS, Math.floor(interval)));
}

/** Labels of the top-level package zones (package-0, package-1, ...): summable, one per socket. */
export function packageLabels(zones: readonly Pick<Zone, "name" | "label" | "parentLabel">[]): string[] {
  return zones.filter((z) => z.parentLabel === undefined && /^package-\d+$/.test(z.name)).map((z) => z.label);
}
