/**
 * Reads RAPL zones and counters from powercap sysfs. All file access goes through a small
 * `PowercapFs` so tests can inject failures root cannot otherwise see (tests run as root, and
 * root reads `energy_uj` whatever its mode). Zone interpretation lives in powercap.ts.
 */
import * as fs from "node:fs";
import { EnvironmentError } from "../../errors/index.js";
import { buildZones, isControlTypeDir, parseMicro, parseZoneDirName, POWERCAP_ROOT, type FileRead, type RawZone, type Zone, type ZoneSet } from "./powercap.js";

export interface PowercapFs {
  /** Names in a directory; throws when it is missing or unreadable. */
  readdir(path: string): string[];
  readFile(path: string): string;
  realpath(path: string): string;
  isDirectory(path: string): boolean;
}

export const nodePowercapFs: PowercapFs = {
  readdir: (p) => fs.readdirSync(p),
  readFile: (p) => fs.readFileSync(p, "latin1"),
  realpath: (p) => fs.realpathSync(p),
  isDirectory: (p) => {
    try {
      return fs.statSync(p).isDirectory();
    } catch {
      return false;
    }
  },
};

export interface ZoneScan extends ZoneSet {
  root: string;
  /** False when the root directory itself is missing (no powercap: a VM, or no driver). */
  rootExists: boolean;
}

/** Describes a read error the way the user needs it: `permission denied (EACCES)`. */
export function describeReadError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const reasons: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    ENOENT: "missing",
    EISDIR: "is a directory, not a counter",
    EIO: "i/o error",
  };
  if (typeof code === "string") return `${reasons[code] ?? "unreadable"} (${code})`;
  return error instanceof Error ? error.message.toLowerCase() : String(error);
}

function readFileResult(io: PowercapFs, path: string): FileRead {
  try {
    return { ok: true, text: io.readFile(path) };
  } catch (error) {
    return { ok: false, error: describeReadError(error) };
  }
}

const POWER_FILE = /^(constraint_\d+_max_power_uw|constraint_\d+_power_limit_uw|max_power_range_uw)$/;

function readRawZone(io: PowercapFs, dir: string, path: string): RawZone {
  let entries: string[] = [];
  try {
    entries = io.readdir(path);
  } catch {
    // Reported through the unreadable files below.
  }
  const powerFiles: string[] = [];
  for (const e of entries) {
    if (!POWER_FILE.test(e)) continue;
    const r = readFileResult(io, `${path}/${e}`);
    if (r.ok) powerFiles.push(r.text);
  }
  let realPath = path;
  try {
    realPath = io.realpath(path);
  } catch {
    // Keep the path as found.
  }
  return {
    dir,
    path,
    realPath,
    name: readFileResult(io, `${path}/name`),
    maxEnergyRangeUj: readFileResult(io, `${path}/max_energy_range_uj`),
    energyUj: readFileResult(io, `${path}/energy_uj`),
    powerFiles,
  };
}

/**
 * Finds every RAPL zone under `root`: zone directories at the top (the /sys/class/powercap
 * layout), inside control-type directories, and nested in their parents (the /sys/devices
 * layout). Duplicates reached by several paths are removed by buildZones.
 */
export function readZones(root: string = POWERCAP_ROOT, io: PowercapFs = nodePowercapFs): ZoneScan {
  let top: string[];
  try {
    top = io.readdir(root);
  } catch {
    return { root, rootExists: false, zones: [], problems: [], duplicates: [] };
  }
  const raw: RawZone[] = [];
  const visit = (dirPath: string, names: string[], depth: number): void => {
    for (const name of [...names].sort()) {
      const path = `${dirPath}/${name}`;
      const isZone = parseZoneDirName(name) !== undefined;
      if (!isZone && !(depth === 0 && isControlTypeDir(name))) continue;
      if (!io.isDirectory(path)) continue;
      if (isZone) raw.push(readRawZone(io, name, path));
      if (depth < 4) {
        let children: string[] = [];
        try {
          children = io.readdir(path);
        } catch {
          continue;
        }
        visit(path, children, depth + 1);
      }
    }
  };
  visit(root, top, 0);
  return { root, rootExists: true, ...buildZones(raw) };
}

/** One zone's raw counter, µJ. Throws an EnvironmentError naming the file when it cannot be read or parsed. */
export function readEnergyUj(zone: Pick<Zone, "energyPath">, io: PowercapFs = nodePowercapFs): number {
  let text: string;
  try {
    text = io.readFile(zone.energyPath);
  } catch (error) {
    throw new EnvironmentError(`${zone.energyPath}: ${describeReadError(error)}`, { cause: error });
  }
  const v = parseMicro(text);
  if (v === undefined) throw new EnvironmentError(`${zone.energyPath}: malformed value ${JSON.stringify(text.trim())}`);
  return v;
}
