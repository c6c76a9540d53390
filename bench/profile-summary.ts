/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function, heaviest first,
 * with the file and line, so a benchmark's hot spots can be named without DevTools.
 * Usage: node --import tsx bench/profile-summary.ts FILE.cpuprofile [TOP]
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const path = process.argv[2];
if (!path) throw new RangeError("usage: profile-summary FILE.cpuprofile [TOP]");
const top = Number(process.argv[3] ?? 25);
const profile = JSON.parse(readFileSync(path, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<string, number>();
profile.samples.forEach((id, i) => {
  const n = byId.get(id);
  if (!n) return;
  const f = n.callFrame;
  const file = f.url.replace(/^.*\/work\/main\//, "").replace(/^file:\/\//, "");
  const key = `${f.functionName || "(anonymous)"}  ${file}${file ? `:${f.lineNumber + 1}` : ""}`;
  selfUs.set(key, (selfUs.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const totalUs = profile.endTime - profile.startTime;
const rows = [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, top);
process.stdout.write(`total ${(totalUs / 1000).toFixed(0)} ms\n`);
for (const [key, us] of rows) process.stdout.write(`${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${key}\n`);
