/**
 * End-to-end checks of the energy utility through the real CLI (`bin/alpaca.js`) on real
 * programs: a test-suite program and the demo example with a heavy F must show a significant
 * saving; the RAPL path runs against a fake powercap tree advanced by the simulator in this
 * process; bad input ends with one `alpaca: ...` line and status 125; `alpaca sampler` takes
 * snapshots for v3 runs and for plain v2 signals; native programs get control runs where the
 * replay is in process. Needs `make test-suite examples native-test-suite`.
 * Prints one line per case and a closing `N passed, N failed`; exits 1 on any failure.
 * Run with `make energy-e2e` (part of `make check`).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FakePowercap } from "../testing/fake-powercap.js";
import { runCliInterrupted } from "../../../test/harness/cli.js";
import { alpaca, ROOT, runCases, type Outcome } from "./cli.js";

const PRIMES = path.join(ROOT, "build/test-suite/primes.wasm");
const NATIVE = path.join(ROOT, "build/test-suite/native");
const BLUR = path.join(ROOT, "build/examples/blur.wasm");


function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

interface ReportJson {
  source: { kind: string; estimated: boolean };
  variants: string[];
  runs: { variant: string; index: number; duration_s: number; energy_j: Record<string, number> | null; flagged: string | null }[];
  summary: {
    primary: string;
    verdict: string;
    decision: string;
    cost: { metric: string; unit: string; estimate: number; ci95: [number, number]; method: string }[];
    metrics: { metric: string; cost: { estimate: number; fraction: number; significant: boolean } }[];
  };
}

function expectSaving(json: ReportJson, runs: number, minFraction: number): void {
  check(json.runs.length === json.variants.length * runs, `expected ${json.variants.length * runs} runs, got ${json.runs.length}`);
  for (const r of json.runs) {
    check(json.variants.includes(r.variant), `variant ${r.variant}`);
    check(r.duration_s > 0 && r.energy_j !== null && Object.keys(r.energy_j).length > 0, `run ${r.variant} ${r.index} has no energy`);
    check(r.flagged === null, `run ${r.variant} ${r.index} flagged: ${r.flagged}`);
  }
  const primary = json.summary.metrics.find((m) => m.metric === json.summary.primary);
  check(primary !== undefined, "no primary metric");
  check(json.summary.decision === "cost" && primary?.cost.significant === true, `not significant: ${json.summary.verdict}`);
  check((primary?.cost.fraction ?? 0) >= minFraction, `saving ${primary?.cost.fraction} < ${minFraction}: ${json.summary.verdict}`);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-energy-e2e-"));
const onOneLine = (o: Outcome, pattern: RegExp): void => {
  check(o.status === 125, `status ${o.status}, expected 125 (stderr: ${o.stderr.trim()})`);
  const lines = o.stderr.trim().split("\n");
  check(lines.length === 1 && pattern.test(lines[0] ?? ""), `stderr ${JSON.stringify(o.stderr)} does not match ${pattern}`);
};

const cases: { name: string; run: () => Promise<void> }[] = [
  {
    name: "energy: test-suite primes, count_primes disabled saves significantly (JSON, CSV)",
    run: async () => {
      const csv = path.join(tmp, "primes.csv");
      const o = await alpaca(["energy", "--func", "count_primes", "--runs", "6", "--warmup", "1", "--json", "--csv", csv, PRIMES, "1000", "1000000"]);
      check(o.status === 0, `status ${o.status}: ${o.stderr}`);
      check(/^alpaca: energy: round 6\/6: /m.test(o.stderr), "no progress lines on stderr");
      check(!o.stdout.includes("primes below"), "the program's output leaked into the report");
      expectSaving(JSON.parse(o.stdout) as ReportJson, 6, 0.3);
      check(fs.readFileSync(csv, "utf8").trim().split("\n").length === 19, "CSV does not have 18 rows and a header");
    },
  },
  {
    name: "energy: demo example, blur with a reused log, text report with verdict",
    run: async () => {
      const log = path.join(tmp, "blur.alog");
      const analyzed = await alpaca(["analyze", "--func", "blur", "--log", log, BLUR, "120"]);
      check(analyzed.status === 0 && fs.existsSync(log), `analyze failed: ${analyzed.stderr}`);
      const o = await alpaca(["energy", "--func", "blur", "--runs", "5", "--warmup", "0", "--quiet", "--log", log, BLUR, "120"]);
      check(o.status === 0, `status ${o.status}: ${o.stderr}`);
      check(!/alpaca: energy: run/.test(o.stderr), "--quiet still printed progress");
      check(/\(reused\)/.test(o.stdout), "log not reused");
      check(/^verdict: blur costs /m.test(o.stdout), `verdict: ${o.stdout}`);
      check(/^replay: +1 call replayed, 131072 bytes written/m.test(o.stdout), `replay cost line: ${o.stdout}`);
    },
  },
  {
    name: "energy: native programs: control runs where the replay is in process (spin), a note and baseline − disabled where not (print_lines)",
    run: async () => {
      // spin(200M) is about 0.25 s, most of a run: a cost this VM's noise bursts do not hide.
      const o = await alpaca(["energy", "--func", "spin", "--runs", "6", "--warmup", "1", "--json", path.join(NATIVE, "spin"), "200000000"]);
      check(o.status === 0, `status ${o.status}: ${o.stderr}`);
      const json = JSON.parse(o.stdout) as ReportJson;
      check(json.variants.join(",") === "baseline,control,disabled", `variants ${json.variants.join(",")}`);
      check(json.summary.cost.every((c) => c.method === "control-minus-disabled"), `method ${json.summary.cost.map((c) => c.method).join(",")}`);
      expectSaving(json, 6, 0.3);
      const p = await alpaca(["energy", "--func", "print_lines", "--runs", "3", "--warmup", "0", "--json", path.join(NATIVE, "printf_loop")]);
      check(p.status === 0, `status ${p.status}: ${p.stderr}`);
      check(/^alpaca: note: no control runs \(invocation 0 makes a syscall\): F's cost is baseline − disabled/m.test(p.stderr), `no note: ${p.stderr}`);
      const pj = JSON.parse(p.stdout) as ReportJson;
      check(pj.variants.join(",") === "baseline,disabled", `variants ${pj.variants.join(",")}`);
    },
  },
  {
    name: "energy: RAPL source on a fake powercap tree (simulated 25 W package)",
    run: async () => {
      const root = path.join(tmp, "powercap");
      const fake = FakePowercap.create(root, [
        { dir: "intel-rapl:0", name: "package-0", maxEnergyRangeUj: 20_000_000, powerW: 25, maxPowerUw: 50_000_000 },
        { dir: "intel-rapl:0:0", name: "core", maxEnergyRangeUj: 262_143_328_850, powerW: 15 },
      ]);
      fake.start(2);
      try {
        const o = await alpaca(["energy", "--func", "count_primes", "--runs", "5", "--warmup", "0", "--source", "rapl", "--powercap-root", root, "--json", "-q", PRIMES, "1000", "1000000"]);
        check(o.status === 0, `status ${o.status}: ${o.stderr}`);
        const json = JSON.parse(o.stdout) as ReportJson;
        check(json.source.kind === "rapl" && !json.source.estimated, "source is not rapl");
        expectSaving(json, 5, 0.2);
        const slack = 2 * fake.maxTickGapSeconds + 0.002;
        for (const r of json.runs) {
          const pkg = r.energy_j?.["package-0"] ?? 0;
          check(Math.abs(pkg - 25 * r.duration_s) <= 25 * slack, `package-0 ${pkg} J in ${r.duration_s} s (slack ${slack} s)`);
        }
      } finally {
        fake.stop();
      }
    },
  },
  {
    name: "energy: Ctrl-C stops after the current run, reports the completed runs as interrupted (exit 130), leaves no temp folder",
    run: async () => {
      const before = new Set(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("alpaca-")));
      // In the fourth round: three complete rounds, then the current run finishes.
      const o = await runCliInterrupted(["energy", "--func", "count_primes", "--source", "model", "--runs", "20", "--warmup", "0", PRIMES, "1000", "300000"], /round 4\/20: /);
      check(o.status === 130, `status ${o.status}, expected 130: ${o.stderr.slice(-400)}`);
      check(/stopped INTERRUPTED: the report covers the runs completed before it/.test(o.stdout), `no interrupted report: ${o.stdout.slice(0, 600)}`);
      check(/^verdict: count_primes costs /m.test(o.stdout), `no verdict over the completed runs: ${o.stdout}`);
      const runs = /runs +(\d+) baseline \+ (\d+) control \+ (\d+) disabled valid/.exec(o.stdout);
      check(runs !== null && Number(runs[1]) >= 3 && Number(runs[1]) <= 4, `runs line: ${runs?.[0] ?? "missing"}`);
      const left = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("alpaca-") && !before.has(f));
      check(left.length === 0, `left behind: ${left.join(", ")}`);
    },
  },
  {
    name: "energy: the runner process gives every run the same inputs: stdin read inside F, a --dir file rewritten, a program that traps; --process-per-run agrees",
    run: async () => {
      const suite = (p: string): string => path.join(ROOT, "build/test-suite", `${p}.wasm`);
      const input = path.join(tmp, "numbers.txt");
      fs.writeFileSync(input, "1 2 3 4 5 6 7 8 9 10 11\n");
      const out = path.join(tmp, "out-dir");
      fs.mkdirSync(out, { recursive: true });
      fs.writeFileSync(path.join(out, "report.csv"), "stale\n");
      const kept = path.join(tmp, "program-output");
      const cases: Array<{ func: string; args: string[]; flags: string[]; stdout: RegExp; stderr?: RegExp }> = [
        { func: "read_numbers", args: [suite("stdin_sum")], flags: ["--stdin", input], stdout: /^11 numbers$/m },
        { func: "save_report", args: [suite("write_file"), "/out", "8"], flags: ["--dir", `${out}:/out`], stdout: /./ },
        { func: "ratio", args: [suite("trap_last"), "10", "2", "-9", "4", "7", "0", "1", "1"], flags: [], stdout: /./, stderr: /^wasm trap: /m },
      ];
      for (const c of cases) {
        for (const mode of [[], ["--process-per-run"]]) {
          fs.rmSync(kept, { recursive: true, force: true });
          const o = await alpaca(["energy", "--func", c.func, "--source", "model", "--runs", "3", "--warmup", "0", "--json", "-q", "--program-output", kept, ...mode, ...c.flags, ...c.args]);
          const what = `${c.func}${mode.length ? " (process per run)" : ""}`;
          check(o.status === 0, `${what}: status ${o.status}: ${o.stderr}`);
          const json = JSON.parse(o.stdout) as ReportJson;
          check(json.runs.length === 9 && json.runs.every((r) => r.flagged === null), `${what}: ${json.runs.filter((r) => r.flagged).map((r) => r.flagged).join("; ")}`);
          const outputs = fs.readdirSync(kept).filter((f) => f.endsWith(".stdout") && !f.startsWith("analyze"));
          check(outputs.length === 9, `${what}: ${outputs.length} kept outputs`);
          const analyzed = fs.readFileSync(path.join(kept, "analyze.stdout"), "utf8");
          check(c.stdout.test(analyzed), `${what}: analyzed output ${JSON.stringify(analyzed.slice(0, 200))}`);
          for (const f of outputs) check(fs.readFileSync(path.join(kept, f), "utf8") === analyzed, `${what}: ${f} differs from the analyzed run's stdout`);
          if (c.stderr) for (const f of outputs) check(c.stderr.test(fs.readFileSync(path.join(kept, f.replace(/stdout$/, "stderr")), "utf8")), `${what}: ${f}: no trap message on stderr`);
        }
      }
    },
  },
  {
    name: "energy: bad input is one alpaca: line and status 125",
    run: async () => {
      const empty = path.join(tmp, "empty-powercap");
      fs.mkdirSync(empty, { recursive: true });
      onOneLine(await alpaca(["energy", "--func", "count_primes", "--source", "rapl", "--powercap-root", empty, PRIMES, "10"]), /^alpaca: no RAPL zones in .*empty-powercap \(.*modprobe intel_rapl_msr\)$/);
      onOneLine(await alpaca(["energy", "--func", "count_primes", "--runs", "1", PRIMES]), /^alpaca: --runs 1: expected a whole number ≥ 2$/);
      onOneLine(await alpaca(["energy", "--func", "count_primes", path.join(tmp, "missing.wasm")]), /^alpaca: energy: .*missing\.wasm: no such file$/);
      onOneLine(await alpaca(["energy", "--func", "count_primes", "--dir", `${path.join(tmp, "no-such-dir")}:/data`, PRIMES]), /^alpaca: --dir .*no-such-dir: no such directory$/);
      const noFunc = await alpaca(["energy", "--func", "no_such_function", "--runs", "2", "--source", "model", "-q", PRIMES, "10"]);
      onOneLine(noFunc, /^alpaca: energy: analysis of no_such_function failed: /);
      if (!fs.existsSync("/sys/class/powercap")) {
        onOneLine(await alpaca(["energy", "--func", "count_primes", "--source", "rapl", PRIMES]), /^alpaca: no RAPL: \/sys\/class\/powercap does not exist \(/);
      }
    },
  },
  {
    name: "sampler: snapshots of a baseline run and of plain v2 signals",
    run: async () => {
      const log = path.join(tmp, "primes.alog");
      const analyzed = await alpaca(["analyze", "--func", "count_primes", "--log", log, PRIMES, "1000", "200000"]);
      check(analyzed.status === 0, `analyze failed: ${analyzed.stderr}`);
      const o = await alpaca(["sampler", "--source", "model", PRIMES, "1000", "200000"], { ALPACA_MODE: "b", ALPACA_FUNC: "count_primes", ALPACA_LOG: log });
      check(o.status === 0, `status ${o.status}: ${o.stderr}`);
      check(/^primes below 200000: 17984$/m.test(o.stdout), "program output missing");
      check(/^alpaca sampler: 2 snapshots \(energy ESTIMATED from CPU time\)$/m.test(o.stdout), o.stdout);
      check(/^ {2}1 → 2 +\S+ m?s +\S+ m?J +pid \d+ start → pid \d+ end$/m.test(o.stdout), o.stdout);
      const root = path.join(tmp, "powercap-v2");
      FakePowercap.create(root, [{ dir: "intel-rapl:0", name: "package-0", maxEnergyRangeUj: 262_143_328_850, powerW: 10 }]);
      const v2 = await alpaca(["sampler", "--source", "rapl", "--powercap-root", root, "--json", "sh", "-c", "kill -USR1 $PPID; sleep 0.2; kill -USR1 $PPID; sleep 0.2; kill -USR1 $PPID; exit 3"]);
      check(v2.status === 3, `status ${v2.status}, expected the program's 3: ${v2.stderr}`);
      const doc = JSON.parse(v2.stdout) as { snapshots: unknown[]; diffs: { seconds: number }[] };
      check(doc.snapshots.length === 3 && doc.diffs.length === 2, `${doc.snapshots.length} snapshots`);
      check(doc.diffs.every((d) => d.seconds > 0.15), "snapshot spacing");
    },
  },
];

const { passed, failed } = await runCases(cases);
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
