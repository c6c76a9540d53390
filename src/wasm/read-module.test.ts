/**
 * readModule on a module built byte by byte here: every field the rewriter relies on (types,
 * imports of each kind, function types, tables and their minimums, memory, globals with their
 * init expressions, exports, element segments, bodies and their offsets, the name section's
 * function and global names), and the decode errors of malformed input, with their offsets.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ByteWriter } from "../binary/index.js";
import { DecodeError, TruncatedError } from "../errors/index.js";
import { funcName, funcType, isWasm, readModule } from "./read-module.js";

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** A module: its sections appended in order, each as id, size, payload. */
function moduleOf(sections: Array<[number, ByteWriter]>): Uint8Array {
  const w = new ByteWriter().bytes(new Uint8Array(HEADER));
  for (const [id, body] of sections) w.u8(id).varUint(body.length).bytes(body.written());
  return w.toBytes();
}

/** A custom section's payload: its name, then `body`. */
const custom = (name: string, body: ByteWriter) => new ByteWriter().string(name).bytes(body.written());

/** Two types, one imported function, global and table; two defined functions; memory; an element segment; names. */
function sampleModule(): { bytes: Uint8Array; bodies: Uint8Array[] } {
  const bodies = [
    new Uint8Array([0x00, 0x41, 0x07, 0x0b]), // no locals; i32.const 7; end
    new Uint8Array([0x01, 0x02, 0x7e, 0x20, 0x00, 0x1a, 0x0b]), // 2 x i64 locals; local.get 0; drop; end
  ];
  const code = new ByteWriter().varUint(bodies.length);
  for (const b of bodies) code.varUint(b.length).bytes(b);
  const names = new ByteWriter();
  const fnames = new ByteWriter().varUint(2).varUint(1).string("seven").varUint(2).string("drop_it");
  names.u8(1).varUint(fnames.length).bytes(fnames.written());
  const gnames = new ByteWriter().varUint(1).varUint(1).string("__stack_pointer");
  names.u8(7).varUint(gnames.length).bytes(gnames.written());
  const bytes = moduleOf([
    [1, new ByteWriter().varUint(2).u8(0x60).varUint(0).varUint(1).u8(0x7f).u8(0x60).varUint(1).u8(0x7f).varUint(0)],
    [2, new ByteWriter().varUint(3)
      .string("wasi_snapshot_preview1").string("proc_exit").u8(0).varUint(1)
      .string("env").string("g").u8(3).u8(0x7e).u8(0)
      .string("env").string("t").u8(1).u8(0x70).u8(0).varUint(3)],
    [3, new ByteWriter().varUint(2).varUint(0).varUint(1)],
    [4, new ByteWriter().varUint(1).u8(0x70).u8(0).varUint(5)],
    [5, new ByteWriter().varUint(1).u8(0).varUint(2)],
    [6, new ByteWriter().varUint(1).u8(0x7f).u8(1).u8(0x41).varS32(65536).u8(0x0b)],
    [7, new ByteWriter().varUint(2).string("memory").u8(2).varUint(0).string("seven").u8(0).varUint(1)],
    [9, new ByteWriter().varUint(1).varUint(0).u8(0x41).varS32(1).u8(0x0b).varUint(2).varUint(1).varUint(2)],
    [10, code],
    [0, custom("name", names)],
  ]);
  return { bytes, bodies };
}

describe("readModule", () => {
  it("reads every field the rewriter uses from a module built here", () => {
    const { bytes, bodies } = sampleModule();
    assert.equal(isWasm(bytes), true);
    const m = readModule(bytes);
    assert.deepEqual(m.types, [{ params: [], results: ["i32"] }, { params: ["i32"], results: [] }]);
    assert.deepEqual(m.imports.map((i) => [i.module, i.name, i.kind]), [["wasi_snapshot_preview1", "proc_exit", "func"], ["env", "g", "global"], ["env", "t", "table"]]);
    assert.deepEqual(m.imports[1]!.global, { type: "i64", mutable: false });
    assert.deepEqual([m.importedFuncCount, m.importedGlobalCount, m.importedTableCount], [1, 1, 1]);
    assert.deepEqual(m.funcTypeIdx, [0, 1]);
    assert.deepEqual([m.tableCount, m.tableMins], [1, [3, 5]]);
    assert.equal(m.memoryMinPages, 2);
    assert.deepEqual(m.globals.map((g) => [g.type, g.mutable, [...g.init]]), [["i32", true, [0x41, 0x80, 0x80, 0x04, 0x0b]]]);
    assert.deepEqual(m.exports, [{ name: "memory", kind: "memory", index: 0 }, { name: "seven", kind: "func", index: 1 }]);
    assert.deepEqual(m.elements?.map((e) => [e.tableIdx, [...e.offset], e.funcs]), [[0, [0x41, 0x01, 0x0b], [1, 2]]]);
    assert.deepEqual(m.bodies.map((b) => [...b.bytes]), bodies.map((b) => [...b]));
    // Each body's offset points at its bytes in the module.
    for (const b of m.bodies) assert.deepEqual([...bytes.subarray(b.offset, b.offset + b.bytes.length)], [...b.bytes]);
    assert.deepEqual([...m.funcNames], [[1, "seven"], [2, "drop_it"]]);
    assert.deepEqual([...m.globalNames], [[1, "__stack_pointer"]]);
    assert.deepEqual(funcType(m, 2), { params: ["i32"], results: [] });
    assert.equal(funcName(m, 2), "drop_it");
    assert.deepEqual(m.sections.map((s) => s.id), [1, 2, 3, 4, 5, 6, 7, 9, 10, 0]);
  });

  it("refuses what is not a module at byte 0, and a cut or malformed one at the byte where it goes wrong", () => {
    assert.equal(isWasm(new TextEncoder().encode("#!/bin/sh")), false);
    assert.throws(() => readModule(new TextEncoder().encode("not wasm")), (e: unknown) => e instanceof DecodeError && e.offset === 0);
    const { bytes } = sampleModule();
    assert.throws(() => readModule(bytes.subarray(0, 20)), (e: unknown) => e instanceof TruncatedError);
    // A section whose declared size runs past the end.
    const long = moduleOf([[1, new ByteWriter().varUint(0)]]);
    long[9] = 0x7f;
    assert.throws(() => readModule(long), (e: unknown) => e instanceof DecodeError && /at byte \d+$/.test(e.message));
    // An unknown value type in a function type.
    const badType = moduleOf([[1, new ByteWriter().varUint(1).u8(0x60).varUint(1).u8(0x55).varUint(0)]]);
    assert.throws(() => readModule(badType), (e: unknown) => e instanceof DecodeError);
  });
});
