/**
 * Arguments after PROGRAM belong to the program (issue 14): `-v --verbose --help` there reach
 * the guest's argv and change nothing of Alpaca's (no debug logging, no help text, the same
 * exit status), in plain, analyzed and disabled runs. Before PROGRAM, -v/--verbose are Alpaca's.
 * Also `alpaca --version`. Spawns the compiled CLI (bin/alpaca.js) on test-suite/ret_i64.c,
 * which prints every argument with its FNV-1a hash.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCliSync } from "./harness/cli.js";

const ROOT = join(import.meta.dirname, "..");
const PROGRAM = join(ROOT, "build/test-suite/ret_i64.wasm");
const GUEST_ARGS = ["x", "-v", "--verbose", "--help"];

function alpaca(args: string[], cwd: string): { stdout: string; stderr: string; status: number | null } {
  const r = runCliSync(args, { cwd, env: { ...process.env, ALPACA_LOG_LEVEL: "" } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** The lines ret_i64 prints for its arguments, computed here from the C source's hash. */
function fnvLines(args: string[]): string[] {
  return args.map((a) => {
    let h = 0xcbf29ce484222325n;
    for (const b of Buffer.from(a)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
    return `fnv1a64("${a}") = ${h.toString(16).padStart(16, "0")} (${BigInt.asIntN(64, h)})`;
  });
}

describe("arguments after PROGRAM", { skip: existsSync(PROGRAM) ? false : "run make test-suite first" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "alpaca-args-"));
  const log = join(dir, "f.alog");
  const plain = alpaca(["run", PROGRAM, ...GUEST_ARGS], dir);

  it("reach the program in a plain run, and nothing of alpaca's prints", () => {
    assert.deepEqual(plain.stdout.split("\n").slice(0, GUEST_ARGS.length), fnvLines(GUEST_ARGS));
    assert.equal(plain.stderr, "");
    assert.notEqual(plain.status, 125);
  });

  const modes: Array<[string, string[]]> = [
    ["analyze", ["analyze", "--func", "fnv1a64", "--log", log, PROGRAM, ...GUEST_ARGS]],
    ["disable", ["disable", "--func", "fnv1a64", "--log", log, PROGRAM, ...GUEST_ARGS]],
  ];
  for (const [name, args] of modes) {
    it(`give the plain run's output, stderr and status: ${name}`, () => {
      const r = alpaca(args, dir);
      assert.equal(r.stdout, plain.stdout);
      assert.equal(r.stderr, plain.stderr);
      assert.equal(r.status, plain.status);
    });
  }

  it("the log records the arguments as the program got them", () => {
    const dump = JSON.parse(alpaca(["log", "dump", "--json", log], dir).stdout) as { args: string[] };
    assert.deepEqual(dump.args, GUEST_ARGS);
  });

  it("-v before PROGRAM is alpaca's: debug lines on stderr, the program's output unchanged", () => {
    for (const args of [["-v", "run", PROGRAM, ...GUEST_ARGS], ["run", "-v", PROGRAM, ...GUEST_ARGS]]) {
      const r = alpaca(args, dir);
      assert.equal(r.stdout, plain.stdout);
      assert.match(r.stderr, /"level":20/);
      assert.equal(r.status, plain.status);
    }
  });

  it("cleans up", () => rmSync(dir, { recursive: true, force: true }));
});

describe("alpaca --version", () => {
  it("prints package.json's version", () => {
    const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
    for (const flag of ["--version", "-V"]) {
      const r = alpaca([flag], ROOT);
      assert.equal(r.stdout, `${version}\n`);
      assert.equal(r.status, 0);
    }
  });
});
