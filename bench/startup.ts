/**
 * Start-up of the compiled CLI, measured side by side (issue 14): `alpaca --help` against
 * `node -e 0`, and `alpaca run` of an empty WASI program against running the same module with
 * node:wasi directly. The four commands are run interleaved, one repetition of each before the
 * next, so load on this shared machine falls on all of them alike; medians and their ratios are
 * printed with the targets.
 *
 * Usage: node --import tsx bench/startup.ts [--reps N]   (needs `make bench-build` and `npm run build`)
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cliArgv } from "../test/harness/cli.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const EMPTY_WASM = join(ROOT, "build", "bench", "empty.wasm");

/** The least a WASI runner on Node does: read, compile, instantiate, start. */
const DIRECT_WASI = `import { WASI } from "node:wasi";
import { readFileSync } from "node:fs";
process.removeAllListeners("warning");
const wasi = new WASI({ version: "preview1", args: [process.argv[2]], env: {} });
const { instance } = await WebAssembly.instantiate(readFileSync(process.argv[2]), wasi.getImportObject());
process.exitCode = wasi.start(instance);
`;

interface Case {
  name: string;
  args: string[];
}

function timeOnce(c: Case): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, c.args, { stdio: ["ignore", "ignore", "pipe"] });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${c.name}: exit ${r.status}: ${r.stderr.toString()}`);
  return seconds;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function main(): number {
  const { values } = parseArgs({ options: { reps: { type: "string", default: "15" } } });
  const reps = Number(values.reps);
  if (!existsSync(EMPTY_WASM)) {
    process.stderr.write(`startup: ${EMPTY_WASM} is missing: run make bench-build\n`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), "alpaca-startup-"));
  try {
    const direct = join(dir, "direct-wasi.mjs");
    writeFileSync(direct, DIRECT_WASI);
    const cases: Case[] = [
      { name: "node -e 0", args: ["-e", "0"] },
      { name: "alpaca --help", args: cliArgv(["--help"]).slice(1) },
      { name: "node:wasi empty.wasm", args: [direct, EMPTY_WASM] },
      { name: "alpaca run empty.wasm", args: cliArgv(["run", EMPTY_WASM]).slice(1) },
    ];
    const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    for (const c of cases) timeOnce(c); // warm the page cache
    for (let i = 0; i < reps; i++) for (const c of cases) times.get(c.name)!.push(timeOnce(c));
    const med = (name: string): number => median(times.get(name)!);
    for (const c of cases) process.stdout.write(`${c.name.padEnd(24)} median ${(med(c.name) * 1000).toFixed(1)} ms over ${reps}\n`);
    const checks = [
      { what: "alpaca --help / node -e 0", ratio: med("alpaca --help") / med("node -e 0"), limit: 2.5 },
      { what: "alpaca run / node:wasi, empty program", ratio: med("alpaca run empty.wasm") / med("node:wasi empty.wasm"), limit: 2 },
    ];
    let failed = 0;
    for (const c of checks) {
      const ok = c.ratio <= c.limit;
      if (!ok) failed++;
      process.stdout.write(`  ${ok ? "PASS" : "FAIL"}  ${c.what} ≤ ${c.limit}x: ${c.ratio.toFixed(2)}x\n`);
    }
    return failed ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = main();
