import assert from "node:assert/strict";
import { test } from "node:test";
import { programArgument, wantsAnalysisStack } from "./stack-headroom.js";

test("programArgument skips options and their values", () => {
  assert.equal(programArgument(["analyze", "--func", "f", "-l", "x.alog", "prog.wasm", "a"]), "prog.wasm");
  assert.equal(programArgument(["--verbose", "run", "--dir", "d:/d", "--live-inputs", "p", "--func"]), "p");
  assert.equal(programArgument(["analyze", "-f", "main", "--", "-odd-name"]), "-odd-name");
  assert.equal(programArgument(["analyze", "--func=f", "prog"]), "prog");
  assert.equal(programArgument(["analyze", "--func", "f"]), undefined);
});

test("a native program's analysis keeps the default stack; a Wasm one gets the larger", () => {
  const argv = (p: string): string[] => ["analyze", "--func", "f", p];
  // /proc/self/exe is this Node: an ELF file.
  assert.equal(wantsAnalysisStack(argv("/proc/self/exe"), {}, []), undefined);
  assert.equal(wantsAnalysisStack(["run", "/proc/self/exe"], { ALPACA_MODE: "a" }, []), undefined);
  assert.equal(wantsAnalysisStack(["disable", "--func", "f", "x.wasm"], {}, []), undefined);
  assert.equal(wantsAnalysisStack(argv("x.wasm"), {}, []), 3 * 984);
});

test("the analysis stack is three times the plain run's, --stack-size included, and a relaunched analysis does not relaunch", () => {
  const argv = ["analyze", "--func", "f", "x.wasm"];
  assert.equal(wantsAnalysisStack(argv, {}, ["--stack-size=500"]), 1500);
  assert.equal(wantsAnalysisStack(argv, {}, ["--stack_size=100", "--stack-size=600"]), 1800);
  assert.equal(wantsAnalysisStack(argv, { ALPACA_ANALYSIS_STACK: "2952" }, ["--stack-size=2952"]), undefined);
});
