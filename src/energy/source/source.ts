/**
 * Chooses the energy source: RAPL when powercap is there and readable, otherwise (with
 * `--source auto`) the model, after one line saying why and how to fix it. `--source rapl`
 * fails instead with the same explanation. Reads sysfs through powercap-reader.ts.
 */
import { EnvironmentError } from "../../errors/index.js";
import { DEFAULT_WATTS_PER_CORE } from "./model.js";
import { nodePowercapFs, readZones, type PowercapFs, type ZoneScan } from "./powercap-reader.js";
import type { ResolvedSource, SourceChoice } from "../types.js";

export type { ResolvedSource, SourceChoice };


export interface SourceResolution {
  source: ResolvedSource;
  /** One line for the user when auto fell back to the model. */
  notice?: string;
}

/** Why RAPL cannot be used from `scan`, with the fix; undefined when it can. */
export function diagnoseRapl(scan: ZoneScan): { message: string; hint: string } | undefined {
  const noDriver = "RAPL is exposed on bare-metal Intel and AMD Linux machines, not in most VMs; on such a machine load the driver: sudo modprobe intel_rapl_msr";
  if (!scan.rootExists) return { message: `no RAPL: ${scan.root} does not exist`, hint: noDriver };
  const problem = scan.problems[0];
  if (problem) {
    return {
      message: `RAPL is not readable: ${problem.path}: ${problem.reason}`,
      hint: `sudo chmod a+r ${scan.root}/intel-rapl:*/energy_uj ${scan.root}/intel-rapl:*:*/energy_uj (until reboot; docs/energy.md has a udev rule that makes it permanent), or run as root`,
    };
  }
  if (scan.zones.length === 0) return { message: `no RAPL zones in ${scan.root}`, hint: noDriver };
  return undefined;
}

export function resolveSource(
  choice: SourceChoice,
  options: { powercapRoot: string; wattsPerCore?: number; io?: PowercapFs },
): SourceResolution {
  const wattsPerCore = options.wattsPerCore ?? DEFAULT_WATTS_PER_CORE;
  if (choice === "model") return { source: { kind: "model", wattsPerCore } };
  const scan = readZones(options.powercapRoot, options.io ?? nodePowercapFs);
  const problem = diagnoseRapl(scan);
  if (!problem) return { source: { kind: "rapl", root: options.powercapRoot, zones: scan.zones } };
  if (choice === "rapl") throw new EnvironmentError(problem.message, { hint: problem.hint });
  return {
    source: { kind: "model", wattsPerCore },
    notice: `${problem.message}; using the model source: energy ESTIMATED from CPU time at ${wattsPerCore} W per core (fix: ${problem.hint})`,
  };
}
