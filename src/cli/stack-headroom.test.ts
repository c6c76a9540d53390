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
  assert.equal(wantsAnalysisStack(argv("/proc/self/exe"), {}, []), false);
  assert.equal(wantsAnalysisStack(["run", "/proc/self/exe"], { ALPACA_MODE: "a" }, []), false);
  assert.equal(wantsAnalysisStack(["disable", "--func", "f", "x.wasm"], {}, []), false);
});
