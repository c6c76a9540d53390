/**
 * Ground truth for the accuracy end-to-end tests: a function's marginal cost measured directly,
 * by plain runs of a program with the function's calls and without them (the program takes how
 * many on its command line), each measured by the sampler exactly as energy runs are.
 */
import * as path from "node:path";
import { COMPILE_FLAGS } from "../options.js";
import { FakePowercap } from "../testing/fake-powercap.js";
import { alpaca } from "./cli.js";

/** A source the accuracy tests measure with: its flags, the zone that holds the energy, and whether it is the fake tree. */
export interface AccuracySource {
  name: string;
  flags: string[];
  zone: string;
  rapl: boolean;
}

/**
 * The two sources of the accuracy tests: the model, and a fake RAPL tree in `dir` advanced at
 * 20 W by a simulator in this process (start it only while that source is measured, so it adds
 * no load to the model's runs).
 */
export function accuracySources(dir: string): { fake: FakePowercap; sources: AccuracySource[] } {
  const root = path.join(dir, "powercap");
  const fake = FakePowercap.create(root, [{ dir: "intel-rapl:0", name: "package-0", maxEnergyRangeUj: 262_143_328_850, powerW: 20 }]);
  return {
    fake,
    sources: [
      { name: "model", flags: ["--source", "model"], zone: "estimated-cpu", rapl: false },
      { name: "fake RAPL at 20 W", flags: ["--source", "rapl", "--powercap-root", root], zone: "package-0", rapl: true },
    ],
  };
}

/** Energy of one plain run between its start and end snapshots, through `alpaca sampler --json`. */
export async function plainRunEnergy(program: string, source: string[], zone: string, args: string[]): Promise<number> {
  const o = await alpaca(["sampler", ...source, "--json", program, ...args], {}, COMPILE_FLAGS.optimized);
  if (o.status !== 0) throw new Error(`sampler run failed (${o.status}): ${o.stderr.trim()}`);
  // The program's output comes first on stdout, the sampler's JSON document last.
  const doc = JSON.parse(o.stdout.slice(o.stdout.lastIndexOf('{\n  "source"'))) as { zones: string[]; diffs: { energy_j: Record<string, number | null> }[] };
  const e = doc.diffs.map((d) => d.energy_j[zone]).find((x): x is number => typeof x === "number");
  if (e === undefined) throw new Error(`no ${zone} energy between the run's snapshots`);
  return e;
}

export const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Energy of `pairs` alternated runs with the function's calls and without them, appended to `a` and `b`. */
export async function truthPairs(program: string, pairs: number, source: string[], zone: string, withCalls: string[], withoutCalls: string[], a: number[], b: number[]): Promise<void> {
  for (let i = 0; i < pairs; i++) {
    a.push(await plainRunEnergy(program, source, zone, withCalls));
    b.push(await plainRunEnergy(program, source, zone, withoutCalls));
  }
}

