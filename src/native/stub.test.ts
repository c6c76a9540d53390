import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Invocation } from "../log/index.js";
import { STUB_TABLE_OFFSET, buildStubCode, buildStubData, jumpPatch, replayableInProcess } from "./stub.js";

const ret = (index: number, writes: Array<[number, number[]]>, rax: bigint): Invocation => ({
  index, status: "returned",
  events: writes.map(([addr, bytes]) => ({ kind: "write", addr, bytes: new Uint8Array(bytes) })),
  returns: [{ type: "i64", bits: rax }, { type: "i64", bits: 0n }, { type: "v128", bytes: new Uint8Array(16).fill(1) }, { type: "v128", bytes: new Uint8Array(16) }],
});

describe("in-process replay stub", () => {
  it("lays out the table and the write lists the stub reads", () => {
    const syscall: Invocation = { ...ret(1, [], 0n), events: [{ kind: "syscall", name: "write", args: [], reads: [], writes: [], result: 0n }] };
    const base = 0x3a1c00000000n;
    const data = buildStubData([ret(0, [[0x1000, [1, 2, 3]], [0x2000, [9]]], -1n), syscall], base);
    const dv = new DataView(data.buffer, data.byteOffset);
    assert.equal(dv.getBigUint64(0, true), 0n, "no calls yet");
    assert.equal(dv.getBigUint64(8, true), 2n, "two entries");
    const e0 = STUB_TABLE_OFFSET;
    const e1 = STUB_TABLE_OFFSET + 64;
    assert.equal(dv.getBigUint64(e0, true), 0n, "invocation 0 is replayed by the stub");
    assert.equal(dv.getBigUint64(e1, true), 1n, "invocation 1 goes to the helper");
    assert.equal(dv.getBigUint64(e0 + 16, true), 0xffffffffffffffffn, "RAX");
    assert.deepEqual([...data.subarray(e0 + 32, e0 + 48)], new Array(16).fill(1), "XMM0");
    const list = Number(dv.getBigUint64(e0 + 8, true) - base);
    assert.equal(dv.getUint32(list, true), 2);
    assert.equal(dv.getBigUint64(list + 4, true), 0x1000n);
    assert.equal(dv.getUint32(list + 12, true), 3);
    assert.deepEqual([...data.subarray(list + 16, list + 19)], [1, 2, 3]);
    assert.equal(dv.getBigUint64(list + 19, true), 0x2000n);
    const list1 = Number(dv.getBigUint64(e1 + 8, true) - base);
    assert.equal(dv.getUint32(list1, true), 0, "no writes listed for a helper invocation");
    assert.equal(replayableInProcess(syscall), false);
  });
  it("ends in an int3 that the code's two forward jumps reach", () => {
    const { code, trapOffset } = buildStubCode(0x3a1c00000000n);
    assert.equal(code[trapOffset], 0xcc);
    assert.equal(trapOffset, code.length - 1);
    const jumps = [...code.entries()].filter(([i, b]) => (b === 0x73 || b === 0x75) && i > 16 && i < 50);
    for (const [i] of jumps) assert.equal(i + 2 + code[i + 1]!, trapOffset - 7, `jump at ${i} lands on the register restore before int3`);
  });
  it("patches F with a 5-byte jump when the stub is in reach", () => {
    assert.deepEqual([...jumpPatch(0x401000n, 0x200000n)!], [0xe9, ...new Uint8Array(new Int32Array([0x200000 - 0x401005]).buffer)]);
    assert.equal(jumpPatch(0x555555555000n, 0x3a1c00000000n), null);
  });
});
