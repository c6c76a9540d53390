/** The instruction walker on bodies built here: opcodes, prefixed sub-opcodes and immediates of each shape, locals, and call retargeting. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ByteWriter } from "../binary/index.js";
import { TruncatedError } from "../errors/index.js";
import { forEachInstruction, readLocals, retargetCalls, skipLocals } from "./instructions.js";
import { OP } from "./opcodes.js";

/** Every instruction of `body` after its locals, as [op, sub, start, immStart, end]. */
function walk(body: Uint8Array): Array<[number, number, number, number, number]> {
  const out: Array<[number, number, number, number, number]> = [];
  forEachInstruction(body, skipLocals(body), (i) => out.push([i.op, i.sub, i.start, i.immStart, i.end]));
  return out;
}

describe("instructions", () => {
  it("reads the locals declaration: groups, count and where the expression starts", () => {
    const body = new Uint8Array([0x02, 0x03, 0x7f, 0x01, 0x7e, 0x0b]);
    assert.deepEqual(readLocals(body), { groups: 2, groupsStart: 1, count: 4, exprStart: 5 });
    assert.equal(skipLocals(body), 5);
  });

  it("finds each instruction's opcode, immediates and end, whatever the immediates' shape", () => {
    const w = new ByteWriter().varUint(0); // no locals
    w.u8(OP.i32Const).varS32(-100000); // 1: LEB immediate of 3 bytes
    w.u8(OP.i64Const).varU64(1n << 40n); // 2: 64-bit LEB
    w.u8(0x43).bytes(new Uint8Array(4)); // 3: f32.const, 4 raw bytes
    w.u8(OP.block).u8(0x40); // 4: block type
    w.u8(0x28).varUint(2).varUint(1024); // 5: i32.load, memarg
    w.u8(0x0e).varUint(2).varUint(0).varUint(1).varUint(2); // 6: br_table of 2 targets and a default
    w.u8(OP.callIndirect).varUint(3).varUint(0); // 7: type and table
    w.u8(OP.prefixFC).varUint(10).u8(0).u8(0); // 8: memory.copy
    w.u8(0xfd).varUint(12).bytes(new Uint8Array(16)); // 9: v128.const
    w.u8(OP.end).u8(OP.end);
    const body = w.toBytes();
    const got = walk(body);
    assert.deepEqual(got.map(([op, sub]) => [op, sub]), [
      [OP.i32Const, -1], [OP.i64Const, -1], [0x43, -1], [OP.block, -1], [0x28, -1], [0x0e, -1], [OP.callIndirect, -1], [OP.prefixFC, 10], [0xfd, 12], [OP.end, -1], [OP.end, -1],
    ]);
    // Instructions tile the expression: each starts where the one before ended, the last ends the body.
    for (let i = 1; i < got.length; i++) assert.equal(got[i]![2], got[i - 1]![4]);
    assert.equal(got.at(-1)![4], body.length);
    assert.deepEqual(got.slice(0, 3).map(([, , start, imm, end]) => [imm - start, end - imm]), [[1, 3], [1, 6], [1, 4]]);
  });

  it("stops with a truncation error inside a cut immediate", () => {
    const body = new Uint8Array([0x00, OP.i32Const, 0x80, 0x80]);
    assert.throws(() => walk(body), (e: unknown) => e instanceof TruncatedError);
  });

  it("retargets direct calls and tail calls of one function, and nothing else", () => {
    const w = new ByteWriter().varUint(0);
    w.u8(OP.call).varUint(5).u8(OP.call).varUint(6).u8(OP.returnCall).varUint(5).u8(OP.i32Const).varS32(5).u8(OP.drop).u8(OP.end);
    const out = retargetCalls(w.toBytes(), 5, 300);
    const expect = new ByteWriter().varUint(0);
    expect.u8(OP.call).varUint(300).u8(OP.call).varUint(6).u8(OP.returnCall).varUint(300).u8(OP.i32Const).varS32(5).u8(OP.drop).u8(OP.end);
    assert.deepEqual([...out], [...expect.toBytes()]);
  });
});
