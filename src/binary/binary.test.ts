/** ByteReader/ByteWriter: LEB128 and fixed-width round trips, bounds and overflow errors. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TruncatedError, DecodeError } from "../errors/index.js";
import { ByteReader, ByteWriter, crc32 } from "./index.js";
import { crc32Js } from "./crc32.js";

describe("binary encoding", () => {
  const uints = [0, 1, 127, 128, 16383, 16384, 2 ** 32 - 1, 2 ** 40, Number.MAX_SAFE_INTEGER];
  for (const v of uints) {
    it(`varUint round-trips ${v}`, () => {
      const w = new ByteWriter(4).varUint(v);
      assert.equal(new ByteReader(w.toBytes()).varUint(), v);
    });
  }
  for (const v of [0n, 1n, 2n ** 63n, 2n ** 64n - 1n]) {
    it(`varU64 round-trips ${v}`, () => assert.equal(new ByteReader(new ByteWriter().varU64(v).toBytes()).varU64(), v));
  }
  it("fixed widths are little-endian", () => {
    const b = new ByteWriter().u16(0x0102).u32(0x03040506).u64(0x0708090a0b0c0d0en).toBytes();
    assert.deepEqual([...b.subarray(0, 6)], [2, 1, 6, 5, 4, 3]);
    const r = new ByteReader(b);
    assert.equal(r.u16(), 0x0102);
    assert.equal(r.u32(), 0x03040506);
    assert.equal(r.u64(), 0x0708090a0b0c0d0en);
  });
  it("throws TruncatedError with the offset", () => {
    const r = new ByteReader(new Uint8Array([0x80, 0x80]), 0, 100);
    assert.throws(() => r.varU32(), (e: unknown) => e instanceof TruncatedError && e.offset === 102);
  });
  it("rejects a varuint32 that overflows", () => {
    assert.throws(() => new ByteReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x7f])).varU32(), DecodeError);
  });
  it("computes the standard CRC-32", () => {
    assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
    assert.equal(crc32Js(new TextEncoder().encode("123456789")), 0xcbf43926);
  });
  it("native and table CRC-32 agree, also when continued from a seed", () => {
    const bytes = new Uint8Array(5000).map((_, i) => (i * 131 + 7) & 0xff);
    assert.equal(crc32(bytes), crc32Js(bytes));
    assert.equal(crc32(bytes.subarray(1000), crc32(bytes.subarray(0, 1000))), crc32Js(bytes));
  });
  it("writes varuints of every size, 31-bit and wider", () => {
    for (const v of [0, 1, 127, 128, 16383, 16384, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]) {
      assert.equal(new ByteReader(new ByteWriter().varUint(v).toBytes()).varUint(), v);
    }
    for (const [lo, hi] of [[0, 0], [0xffffffff, 0], [5, 1], [0, 0x1fffff], [0, 0x200000], [0xffffffff, 0xffffffff]] as const) {
      const expected = (BigInt(hi) << 32n) | BigInt(lo);
      assert.equal(new ByteReader(new ByteWriter().varU64Parts(lo, hi).toBytes()).varU64(), expected);
    }
  });
});
