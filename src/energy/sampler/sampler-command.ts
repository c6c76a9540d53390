/**
 * How to start a serving sampler: through the `alpaca` launcher (production) or through the
 * stand-alone entry sampler-main.ts (tests, benchmarks). Both take the same flags.
 */
import { fileURLToPath } from "node:url";
import type { SamplerCommand } from "./sampler-client.js";

export interface SamplerFlags {
  source: "rapl" | "model";
  powercapRoot: string;
  wattsPerCore: number;
}

export function samplerFlags(flags: SamplerFlags): string[] {
  return ["--serve", "--source", flags.source, "--powercap-root", flags.powercapRoot, "--watts", String(flags.wattsPerCore)];
}

/** `node [engine flags] bin/alpaca.js sampler --serve ...` */
export function launcherSamplerCommand(launcher: { execPath: string; engineArgs: readonly string[]; launcherPath: string }, flags: SamplerFlags): SamplerCommand {
  return { command: launcher.execPath, args: [...launcher.engineArgs, launcher.launcherPath, "sampler", ...samplerFlags(flags)] };
}

export const SAMPLER_MAIN_PATH = fileURLToPath(new URL("./sampler-main.ts", import.meta.url));

/** `node --import tsx src/energy/sampler-main.ts --serve ...` */
export function standaloneSamplerCommand(flags: SamplerFlags, execPath: string = process.execPath): SamplerCommand {
  return { command: execPath, args: ["--import", "tsx", SAMPLER_MAIN_PATH, ...samplerFlags(flags)] };
}
