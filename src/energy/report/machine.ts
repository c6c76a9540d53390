/**
 * The machine a report was measured on (systeminformation): CPU, cores, kernel, frequency
 * governor where readable, Node version. Failures give "unknown" fields, never an error: the
 * header is context, not a precondition.
 */
import * as fs from "node:fs";

export interface MachineInfo {
  cpu: string;
  cores: number | undefined;
  physicalCores: number | undefined;
  os: string;
  kernel: string;
  /** cpufreq scaling governor of cpu0, when the kernel exposes it (not in most VMs). */
  governor: string | undefined;
  node: string;
}

function readGovernor(path = "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"): string | undefined {
  try {
    return fs.readFileSync(path, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function describeMachine(): Promise<MachineInfo> {
  // Loaded here, not at the top: systeminformation takes tens of ms to load, and only reports need it.
  const si: typeof import("systeminformation") = (await import("systeminformation")).default;
  const [cpu, osInfo] = await Promise.all([si.cpu().catch(() => undefined), si.osInfo().catch(() => undefined)]);
  const brand = [cpu?.manufacturer, cpu?.brand].filter((s) => s && s.trim()).join(" ").trim();
  return {
    cpu: brand || "unknown CPU",
    cores: cpu?.cores,
    physicalCores: cpu?.physicalCores,
    os: osInfo ? `${osInfo.distro} ${osInfo.release}`.trim() : "unknown OS",
    kernel: osInfo?.kernel || "unknown kernel",
    governor: readGovernor() ?? (cpu?.governor || undefined),
    node: process.version,
  };
}
