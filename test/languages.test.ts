/**
 * C++ and Rust programs as users build them (issue 17): test-suite/cxx/scene.cpp (virtual calls,
 * std::vector, std::string, std::map, an overloaded method) and test-suite/rust/words.rs (Vec
 * and String returns, a HashMap through &mut, println! inside F, a panic on the last call).
 * --func takes names as users type them, and analyze and disable give the plain run's output,
 * stderr and status, the panic's trap included. The programs are built by `make test-suite`
 * (scripts/build-guest.sh), which skips them, saying how to install the toolchain, when it cannot.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCliSync } from "./harness/cli.js";

const ROOT = join(import.meta.dirname, "..");
const SCENE = join(ROOT, "build/test-suite/cxx/scene.wasm");
const WORDS = join(ROOT, "build/test-suite/rust/words.wasm");

function alpaca(args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = runCliSync(args, { env: { ...process.env, ALPACA_LOG_LEVEL: "" } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** The raw symbol the log of `--func query` names (from `log dump --json`), or the one-line error. */
function resolved(program: string, query: string, dir: string): string {
  const log = join(dir, "f.alog");
  const a = alpaca(["analyze", "--func", query, "--log", log, program]);
  if (a.status === 125) return a.stderr.trim();
  const dump = JSON.parse(alpaca(["log", "dump", "--json", log]).stdout) as { function: { name: string; index: number } };
  return `#${dump.function.index} ${dump.function.name}`;
}

/** Plain, analyzed and disabled runs of F must agree in stdout, stderr and status. */
function sameRuns(program: string, func: string, args: string[], dir: string): { status: number | null; stderr: string } {
  const plain = alpaca(["run", program, ...args]);
  const log = join(dir, "same.alog");
  const analyzed = alpaca(["analyze", "--func", func, "--log", log, program, ...args]);
  const disabled = alpaca(["disable", "--strict", "--func", func, "--log", log, program, ...args]);
  for (const [name, r] of [["analyzed", analyzed], ["disabled", disabled]] as const) {
    assert.equal(r.stdout, plain.stdout, `${func}: ${name} stdout`);
    assert.equal(r.stderr, plain.stderr, `${func}: ${name} stderr`);
    assert.equal(r.status, plain.status, `${func}: ${name} status`);
  }
  return plain;
}

describe("C++ programs", { skip: existsSync(SCENE) ? false : "build/test-suite/cxx/scene.wasm was not built (see make test-suite's note)" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "alpaca-cxx-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  it("take C++ names as users type them", () => {
    assert.equal(resolved(SCENE, "Scene::step(float)", dir), "#6 Scene::step(float)");
    assert.equal(resolved(SCENE, "_ZN5Scene4stepEf", dir), "#6 Scene::step(float)");
    assert.equal(resolved(SCENE, "#6", dir), "#6 Scene::step(float)");
    assert.match(resolved(SCENE, "sorted_unique", dir), /^#\d+ sorted_unique\(std::__2::vector<int/);
    assert.match(resolved(SCENE, "Scene::step", dir), /^alpaca: --func Scene::step is ambiguous: 2 functions .*#6 Scene::step\(float\), #\d+ Scene::step\(int\)/);
    assert.match(resolved(SCENE, "Scene::stp", dir), /^alpaca: function Scene::stp not found in .*; did you mean Scene::step\?$/);
  });
  it("list demangled names, and symbols with --mangled; --grep filters", () => {
    const shown = alpaca(["functions", "--grep", "^Scene::step", SCENE]).stdout.trim().split("\n");
    assert.deepEqual(shown.map((l) => l.trim().split(/\s{2,}/)[1]), ["Scene::step(float)", "Scene::step(int)"]);
  });
  it("analyze and disable match the plain run: a method with virtual calls and a map, and a vector by value", () => {
    for (const f of ["Scene::step(float)", "sorted_unique"]) assert.equal(sameRuns(SCENE, f, [], dir).status, 0);
  });
});

describe("Rust programs", { skip: existsSync(WORDS) ? false : "build/test-suite/rust/words.wasm was not built (see make test-suite's note)" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "alpaca-rust-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  it("take Rust names without the hash, with their path or by the end of it", () => {
    for (const q of ["make_words", "words::make_words"]) assert.match(resolved(WORDS, q, dir), /^#\d+ _ZN5words10make_words17h[0-9a-f]{16}E$/);
    assert.match(alpaca(["functions", "--grep", "make_words", WORDS]).stdout, /\s words::make_words\s/);
    assert.match(alpaca(["functions", "--mangled", "--grep", "make_words", WORDS]).stdout, /\s_ZN5words10make_words17h[0-9a-f]{16}E\s/);
  });
  it("analyze and disable match the plain run: Vec<String> returns, a HashMap through &mut, println! inside F", () => {
    for (const f of ["make_words", "count_into"]) assert.equal(sameRuns(WORDS, f, [], dir).status, 0);
  });
  it("a panic is a Wasm trap, the same in every mode", () => {
    const plain = sameRuns(WORDS, "count_into", ["panic"], dir);
    assert.equal(plain.status, 134);
    assert.match(plain.stderr, /panicked at 'the last round panics, as asked'/);
    assert.match(plain.stderr, /^wasm trap: unreachable$/m);
  });
});

describe("a function that never runs", { skip: existsSync(join(ROOT, "build/test-suite/printf_inside.wasm")) ? false : "run make test-suite first" }, () => {
  it("gets a warning from analyze, and the program's output is untouched", () => {
    const dir = mkdtempSync(join(tmpdir(), "alpaca-never-"));
    try {
      const program = join(ROOT, "build/test-suite/printf_inside.wasm");
      const plain = alpaca(["run", program, "0"]);
      const r = alpaca(["analyze", "--func", "report", "--log", join(dir, "r.alog"), program, "0"]);
      assert.equal(r.stdout, plain.stdout);
      assert.equal(r.status, plain.status);
      assert.equal(r.stderr, "alpaca: warning: report was never called in this run: the log holds no invocation, and disabling it changes nothing (check the function, the arguments and the input)\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
