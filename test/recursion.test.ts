/**
 * Recursion as deep as plain (issue 17): for a C program (test-suite/deep_recursion.c) and a
 * Rust one (test-suite/rust/words.rs `depth`), the deepest recursion a plain `alpaca run`
 * survives is found by bisection; at 90% of it, analyses by every strategy, the disabled run,
 * the baseline and the control run all finish with the plain run's output and status.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCliSync } from "./harness/cli.js";

const ROOT = join(import.meta.dirname, "..");

function alpaca(args: string[], env: NodeJS.ProcessEnv = {}): { stdout: string; status: number | null } {
  const r = runCliSync(args, { env: { ...process.env, ALPACA_LOG_LEVEL: "", ...env } });
  return { stdout: r.stdout, status: r.status };
}

/** The deepest n (within 1%) for which a plain run of `program prefix n` exits 0. */
function plainLimit(program: string, prefix: string[]): number {
  let lo = 100;
  let hi = 400_000;
  while (hi - lo > lo / 100) {
    const mid = Math.floor((lo + hi) / 2);
    if (alpaca(["run", program, ...prefix, String(mid)]).status === 0) lo = mid;
    else hi = mid;
  }
  return lo;
}

const PROGRAMS = [
  { lang: "C", program: join(ROOT, "build/test-suite/deep_recursion.wasm"), func: "walk", prefix: [] as string[] },
  { lang: "Rust", program: join(ROOT, "build/test-suite/rust/words.wasm"), func: "depth", prefix: ["depth"] },
];

describe("recursion as deep as a plain run", () => {
  const dir = mkdtempSync(join(tmpdir(), "alpaca-recursion-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  for (const p of PROGRAMS) {
    it(`${p.lang}: every mode survives 90% of the plain run's deepest recursion`, { skip: existsSync(p.program) ? false : `${p.program} was not built` }, (t) => {
      const limit = plainLimit(p.program, p.prefix);
      const n = String(Math.floor(limit * 0.9));
      t.diagnostic(`plain run's deepest: ${limit}; testing ${n}`);
      const args = [p.program, ...p.prefix, n];
      const plain = alpaca(["run", ...args]);
      assert.equal(plain.status, 0);
      const log = join(dir, `${p.func}.alog`);
      const runs: Array<[string, { stdout: string; status: number | null }]> = [];
      for (const strategy of ["diff", "marks", "adaptive"]) runs.push([`analyze --strategy ${strategy}`, alpaca(["analyze", "--strategy", strategy, "--func", p.func, "--log", log, ...args])]);
      runs.push(["disable", alpaca(["disable", "--func", p.func, "--log", log, ...args])]);
      for (const [mode, letter] of [["baseline", "b"], ["control", "c"]] as const) {
        runs.push([mode, alpaca(["run", ...args], { ALPACA_MODE: letter, ALPACA_FUNC: p.func, ALPACA_LOG: log })]);
      }
      for (const [name, r] of runs) {
        assert.equal(r.status, 0, `${name} at depth ${n}`);
        assert.equal(r.stdout, plain.stdout, `${name} at depth ${n}`);
      }
    });
  }
});
