/**
 * `alpaca profile`'s first phase through the real CLI: a plain run with ALPACA_PROFILE_FILE set
 * uses the call-counting module and V8's sampler. The program cannot tell: its stdout, stderr
 * and exit status are those of a plain run, memory layout included (test-suite/slurp.c prints
 * the distance between two heap blocks, many_calls a checksum of every call). The calls are
 * counted exactly; the program's time is found in the function that spends it.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallProfile } from "../src/runtime/call-profile.js";
import { runCliSync } from "./harness/cli.js";

const ROOT = join(import.meta.dirname, "..");
const build = (p: string): string => join(ROOT, "build", p);

function run(program: string, args: string[], env: NodeJS.ProcessEnv = {}, input = ""): { status: number | null; stdout: string; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ALPACA_")));
  const r = runCliSync(["run", program, ...args], { env: { ...clean, ...env }, input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function functionNamed(profile: CallProfile, program: string, name: string): CallProfile["functions"][number] | undefined {
  const r = runCliSync(["functions", "--grep", `^${name}$`, program], { env: process.env });
  const index = Number(/^\s*(\d+)\s/m.exec(r.stdout)?.[1]);
  return profile.functions.find((f) => f.index === index);
}

describe("profile, first phase", { skip: existsSync(build("test-suite/many_calls.wasm")) ? false : "run make test-suite first" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "alpaca-profile-"));
  const cases: Array<{ program: string; args: string[]; func: string; calls: number; input?: string }> = [
    { program: build("test-suite/many_calls.wasm"), args: ["20000"], func: "bump", calls: 20000 },
    { program: build("test-suite/slurp.wasm"), args: [], func: "slurp", calls: 1, input: "abc\n".repeat(5000) },
  ];
  for (const c of cases) {
    it(`${c.func}: the program's output is a plain run's, and its ${c.calls} calls are counted`, () => {
      const file = join(dir, `${c.func}.json`);
      const plain = run(c.program, c.args, {}, c.input);
      const profiled = run(c.program, c.args, { ALPACA_PROFILE_FILE: file }, c.input);
      assert.deepEqual(profiled, plain);
      const profile = JSON.parse(readFileSync(file, "utf8")) as CallProfile;
      const f = functionNamed(profile, c.program, c.func);
      assert.ok(f, `${c.func} is not in the profile`);
      assert.equal(f.calls, c.calls);
    });
  }
  it("finds the time where it is spent: big_kernel has most of known_costs' time, tiny_mix its calls", { skip: existsSync(build("examples/known_costs.wasm")) ? false : "run make examples first" }, () => {
    const program = build("examples/known_costs.wasm");
    const file = join(dir, "known.json");
    const r = run(program, ["200000", "1", "1", "1"], { ALPACA_PROFILE_FILE: file });
    assert.equal(r.status, 0);
    const profile = JSON.parse(readFileSync(file, "utf8")) as CallProfile;
    const big = functionNamed(profile, program, "big_kernel")!;
    const tiny = functionNamed(profile, program, "tiny_mix")!;
    assert.equal(tiny.calls, 200000);
    assert.equal(big.calls, 1);
    assert.ok(big.inclusiveSeconds > 0.5 * profile.guestSeconds, `big_kernel: ${big.inclusiveSeconds} s of ${profile.guestSeconds} s`);
    assert.ok(big.selfSeconds > 0.9 * big.inclusiveSeconds, "big_kernel calls nothing: its time is its own");
    const top = [...profile.functions].sort((a, b) => b.selfSeconds - a.selfSeconds)[0]!;
    assert.equal(top.index, big.index);
  });
  it("refuses a native program in one line", { skip: existsSync("/bin/true") ? false : "no /bin/true" }, () => {
    const r = run("/bin/true", [], { ALPACA_PROFILE_FILE: join(dir, "native.json") });
    assert.equal(r.status, 125);
    assert.match(r.stderr, /^alpaca: profile: native programs have no first phase yet/);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
});
