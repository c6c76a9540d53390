/**
 * Every recording strategy must record the same effects: each deterministic end-to-end case is
 * analyzed by memory diffing, by marks (traced stores; the in-Wasm recorder core where F's
 * extent makes no WASI call) and by host-marks (marks through host hooks only), and the three
 * logs must be byte-identical. Where marks cannot follow F's extent the analyzer falls back to diffing; the
 * test checks that marks really ran for most cases, so it cannot pass by comparing diff to diff.
 * The adaptive strategy chooses from counts, not times (issue 17): the same analysis run five
 * times gives one byte-identical log, the forced strategies' log, whether it settles on marks
 * (many small calls; a pure F, whose records repeat across the switch to the recorder core) or
 * stops marking in its trial (many stores a call, test-suite/store_heavy.c), and when F changes
 * part way (test-suite/phase_change.c): marks tried again and kept once F's stores become few,
 * diffing taken up again once they become many.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeSync, existsSync, mkdtempSync, openSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CASES, type Case } from "../test-suite/cases.js";
import { spawnCli } from "./harness/cli.js";

const ROOT = join(import.meta.dirname, "..");

function analyze(c: Case, strategy: string, work: string, tag = ""): Promise<{ log: Buffer; stderr: string }> {
  const dirArgs: string[] = [];
  for (const d of c.dirs ?? []) {
    const host = mkdtempSync(join(work, "dir-"));
    for (const [name, text] of Object.entries(d.files)) {
      mkdirSync(join(host, name, ".."), { recursive: true });
      writeFileSync(join(host, name), text);
    }
    dirArgs.push("--dir", `${host}:${d.guest}`);
  }
  const envArgs = Object.entries(c.env ?? {}).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
  const log = join(work, `${c.name}-${strategy}${tag}.alog`);
  const args = ["analyze", "--strategy", strategy, "--func", c.func, "--log", log, ...dirArgs, ...envArgs, join(ROOT, "build/test-suite", `${c.program}.wasm`), ...c.args];
  // Stdin comes from a file: a pipe's reads return chunks as the writer's timing makes them, so
  // F's fd_read calls (and the log) would differ run to run.
  const stdinPath = join(work, `${c.name}-${strategy}${tag}.stdin`);
  writeFileSync(stdinPath, c.stdin ?? "");
  const stdin = openSync(stdinPath, "r");
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, { cwd: work, env: { ...process.env, ALPACA_LOG_LEVEL: "debug" }, stdio: [stdin, "ignore", "pipe"] });
    closeSync(stdin);
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", () => {
      if (!existsSync(log)) reject(new Error(`${c.name} (${strategy}) wrote no log: ${stderr}`));
      else resolve({ log: readFileSync(log), stderr });
    });
  });
}

// Cases whose arguments name their temporary directory (samePath) differ run to run by design.
const deterministic = CASES.filter((c) => !c.nondeterministic && !(c.dirs ?? []).some((d) => "samePath" in d && d.samePath));

/** The three strategies' logs of a case, analyzed once whichever test asks first (tests may run in any order or alone). */
const analyses = new Map<string, Promise<{ diff: Buffer; marks: Buffer; host: Buffer; marked: boolean; fast: boolean }>>();
function analyzeAll(c: Case): Promise<{ diff: Buffer; marks: Buffer; host: Buffer; marked: boolean; fast: boolean }> {
  let p = analyses.get(c.name);
  if (!p) {
    p = (async () => {
      const work = mkdtempSync(join(tmpdir(), "alpaca-strategy-"));
      try {
        const [diff, marks] = await Promise.all([analyze(c, "diff", work), analyze(c, "marks", work)]);
        const host = await analyze(c, "host-marks", work);
        return { diff: diff.log, marks: marks.log, host: host.log, marked: /"strategy":"marks"/.test(marks.stderr), fast: /"fastPath":true/.test(marks.stderr) };
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    })();
    analyses.set(c.name, p);
  }
  return p;
}

describe("recording strategies", { skip: existsSync(join(ROOT, "build/test-suite")) ? false : "run make test-suite first" }, () => {
  for (const c of deterministic) {
    it(`${c.name}: diff and marks record identical logs`, async () => {
      const r = await analyzeAll(c);
      assert.ok(r.diff.equals(r.marks), `${c.name}: diff and marks logs differ (${r.diff.length} vs ${r.marks.length} bytes)`);
      assert.ok(r.diff.equals(r.host), `${c.name}: diff and host-marks logs differ (${r.diff.length} vs ${r.host.length} bytes)`);
    });
  }
  it("used marks for most cases, and the in-Wasm fast path for some", async () => {
    const all = [];
    for (const c of deterministic) all.push(await analyzeAll(c)); // one case at a time: two cores
    const marked = all.filter((r) => r.marked).length;
    const fast = all.filter((r) => r.fast).length;
    assert.ok(marked >= deterministic.length * 0.6, `marks ran in ${marked} of ${deterministic.length} cases`);
    assert.ok(fast >= 5, `the fast path ran in ${fast} of ${deterministic.length} cases`);
  });
  const phaseChange = (order: string, args: string[]) => ({ name: `phase_change_${order}`, program: "phase_change", func: "step", args: [...args, order] }) as unknown as Case;
  /** A case, the strategy adaptive settles on, how its last trial ended, and (where it says something) how many invocations it marked on trial. */
  const repeatable: Array<[Case, string, string, number?]> = [
    [CASES.find((c) => c.name === "many_calls")!, "marks", "marks cheaper", 1],
    [{ name: "store_heavy", program: "store_heavy", func: "fill", args: [] } as unknown as Case, "diff", "marking stopped"],
    // A pure F: every record has the same (empty) shape, so the first record the recorder core
    // writes after the switch repeats the host's last one, as forced diffing writes it.
    [{ name: "ret_i32_pure", program: "ret_i32", func: "collatz_delta", args: Array.from({ length: 30 }, (_, i) => String(i + 1)) } as unknown as Case, "marks", "marks cheaper", 1],
    // F's first 12 calls store 2M bytes each, then it bumps a counter over an 8 MiB heap: the
    // first trial stops marking, the second (at 16 invocations) keeps marks.
    [phaseChange("heavy-first", ["600", "12", "8"]), "marks", "marks cheaper", 2],
    // The other way round: marks chosen at the first trial, the first heavy call goes over
    // their limit and diffing takes over; trials at 26 and 52 invocations stop marking.
    [phaseChange("light-first", ["60", "12", "1"]), "diff", "marking stopped", 3],
  ];
  for (const [c, settles, trial, trials] of repeatable) {
    it(`${c.name}: adaptive settles on ${settles}, and five analyses write one log, the forced strategies' log`, async () => {
      const work = mkdtempSync(join(tmpdir(), "alpaca-strategy-"));
      try {
        const forced = await analyze(c, "diff", work);
        for (let i = 0; i < 5; i++) {
          const a = await analyze(c, "adaptive", work, `-${i}`);
          assert.match(a.stderr, new RegExp(`"strategy":"${settles}","trial":"${trial}"${trials === undefined ? "" : `,"trials":${trials},`}`));
          assert.ok(a.log.equals(forced.log), `${c.name}: adaptive run ${i} wrote ${a.log.length} bytes, forced diff ${forced.log.length}`);
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  }
});
