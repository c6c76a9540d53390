/**
 * Rewriter: every rewritten module validates, the analyzer rewrite works for every function of a
 * real program (which exercises the instruction walker over all of its code), and the disabled
 * and baseline modules differ only in F's body: every other body is byte-identical to the
 * original's (the fairness property energy comparisons rely on); the disabled module's additions
 * (F's original body, the write applier the replay calls) come after all of them.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { buildAnalyzerModule, buildReplayModule, readModule, type WasmModule } from "./index.js";
import { forEachInstruction, retargetCalls, skipLocals } from "./instructions.js";
import { ByteReader } from "../binary/index.js";

/** Whether `body` calls function `f` directly. */
function calls(body: Uint8Array, f: number): boolean {
  let found = false;
  forEachInstruction(body, skipLocals(body), (ins) => {
    if (ins.op === 0x10 && new ByteReader(body, ins.immStart).varU32() === f) found = true;
  });
  return found;
}

const SUITE = join(import.meta.dirname, "../../build/test-suite");
const programs = existsSync(SUITE) ? readdirSync(SUITE).filter((f) => f.endsWith(".wasm")).sort() : [];

function load(name: string): WasmModule {
  return readModule(new Uint8Array(readFileSync(join(SUITE, name))));
}

function definedNamed(m: WasmModule): number[] {
  return [...m.funcNames.keys()].filter((i) => i >= m.importedFuncCount && !m.funcNames.get(i)!.startsWith("_"));
}

describe("rewriter", { skip: programs.length === 0 ? "run `make test-suite` first" : false }, () => {
  for (const prog of programs) {
    it(`${prog}: disabled, control and baseline differ from the original only in F`, () => {
      const m = load(prog);
      for (const funcIdx of definedNamed(m).slice(0, 12)) {
        const def = funcIdx - m.importedFuncCount;
        const disabled = buildReplayModule(m, funcIdx, "disable");
        const baseline = buildReplayModule(m, funcIdx, "baseline");
        const control = buildReplayModule(m, funcIdx, "control");
        new WebAssembly.Module(disabled.bytes);
        new WebAssembly.Module(baseline.bytes);
        new WebAssembly.Module(control.bytes);
        const d = readModule(disabled.bytes);
        const b = readModule(baseline.bytes);
        const c = readModule(control.bytes);
        // The disabled module adds F's original body, the write applier (apply-writes.ts) and, with
        // the replay core (F has at most one numeric result), its three stores and memory.size;
        // the baseline F's body only.
        const core = disabled.layout.replayCore === true;
        assert.equal(core, m.types[m.funcTypeIdx[def]!]!.results.length <= 1 && m.types[m.funcTypeIdx[def]!]!.results.every((t) => t !== "v128"));
        assert.equal(d.bodies.length, m.bodies.length + 2 + (core ? 4 : 0));
        assert.equal(b.bodies.length, m.bodies.length + 1);
        assert.equal(c.bodies.length, d.bodies.length);
        m.bodies.forEach((orig, i) => {
          assert.deepEqual(b.bodies[i]!.bytes, orig.bytes, `baseline body ${i}`);
          if (i !== def) assert.deepEqual(d.bodies[i]!.bytes, orig.bytes, `disabled body ${i}`);
          if (i !== def) assert.deepEqual(c.bodies[i]!.bytes, orig.bytes, `control body ${i}`);
        });
        // Control and disabled add the same functions: F's copy and the write applier.
        assert.deepEqual(c.bodies.slice(m.bodies.length).map((b) => b.bytes), d.bodies.slice(m.bodies.length).map((b) => b.bytes));
        assert.notDeepEqual(d.bodies[def]!.bytes, m.bodies[def]!.bytes);
        // The appended copy of F is F's original body, byte for byte, but for its recursive calls,
        // which call the copy itself; a recursive F shows the difference.
        const copyIdx = m.importedFuncCount + m.bodies.length;
        assert.deepEqual(d.bodies[m.bodies.length]!.bytes, retargetCalls(m.bodies[def]!.bytes, funcIdx, copyIdx));
        if (calls(m.bodies[def]!.bytes, funcIdx)) assert.ok(calls(d.bodies[m.bodies.length]!.bytes, copyIdx) && !calls(d.bodies[m.bodies.length]!.bytes, funcIdx));
        assert.deepEqual(b.types.slice(0, m.types.length), m.types);
      }
    });
  }

  it("builds a valid analyzer module for every function of a program", () => {
    const m = load(programs.includes("printf_inside.wasm") ? "printf_inside.wasm" : programs[0]!);
    let count = 0;
    for (let i = 0; i < m.bodies.length; i++) {
      const funcIdx = m.importedFuncCount + i;
      const results = m.types[m.funcTypeIdx[i]!]!.results;
      if (results.some((t) => t === "v128" || t === "funcref" || t === "externref")) continue;
      new WebAssembly.Module(buildAnalyzerModule(m, funcIdx).bytes);
      count++;
    }
    assert.ok(count > 50, `only ${count} functions`);
  });

  it("does not move any index: imports, types, tables and exports keep their positions", () => {
    const m = load(programs[0]!);
    const funcIdx = definedNamed(m)[0]!;
    const a = readModule(buildAnalyzerModule(m, funcIdx).bytes);
    assert.deepEqual(a.imports, m.imports);
    assert.deepEqual(a.exports.slice(0, m.exports.length), m.exports);
    assert.deepEqual(a.globals.slice(0, m.globals.length).map((g) => g.init), m.globals.map((g) => g.init));
  });
});
