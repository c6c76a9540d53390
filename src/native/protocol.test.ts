import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ByteWriter } from "../binary/index.js";
import {
  DECODE_RECORD_BYTES, ERR, F, FrameSplitter, H, K, N, PROTOCOL_VERSION, PayloadReader, RID_NONE, RID_RIP, SEG, W,
  USER_REGS, encodeDecodeRecords, encodeFrame,
} from "./protocol.js";

/** #define NAME value lines of native/protocol.h. */
function cDefines(): Map<string, number> {
  const text = readFileSync(fileURLToPath(new URL("../../native/protocol.h", import.meta.url)), "utf8");
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^#define (\w+) (0x[0-9a-f]+|\d+)/gim)) out.set(m[1]!, Number(m[2]));
  return out;
}

describe("protocol constants match native/protocol.h", () => {
  const c = cDefines();
  const tables: Array<[string, Record<string, number>]> = [["H_", H], ["N_", N], ["ERR_", ERR], ["K_", K], ["F_", F], ["SEG_", SEG], ["W_", W]];
  for (const [prefix, table] of tables) {
    it(`${prefix}*`, () => {
      const fromC = [...c].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v] as const);
      assert.deepEqual(Object.fromEntries(fromC), { ...table });
    });
  }
  it("scalars", () => {
    assert.equal(c.get("PROTOCOL_VERSION"), PROTOCOL_VERSION);
    assert.equal(c.get("DECODE_RECORD_BYTES"), DECODE_RECORD_BYTES);
    assert.equal(c.get("RID_NONE"), RID_NONE);
    assert.equal(c.get("RID_RIP"), RID_RIP);
  });
  it("register ids follow struct user_regs_struct", () => {
    assert.equal(USER_REGS.length, 27);
    assert.deepEqual([USER_REGS.indexOf("rax"), USER_REGS.indexOf("rsp"), USER_REGS.indexOf("fs_base")], [10, 19, 21]);
  });
});

describe("frames", () => {
  it("splits a stream cut anywhere into the same frames", () => {
    const frames = [encodeFrame(1, new Uint8Array([1, 2, 3])), encodeFrame(2), encodeFrame(3, new Uint8Array(70000).fill(7))];
    const stream = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let o = 0;
    for (const f of frames) {
      stream.set(f, o);
      o += f.length;
    }
    for (const cut of [1, 3, 5, 6, 4096, stream.length]) {
      const s = new FrameSplitter();
      const got = [];
      for (let i = 0; i < stream.length; i += cut) got.push(...s.push(stream.subarray(i, i + cut)));
      assert.deepEqual(got.map((f) => [f.type, f.payload.length]), [[1, 3], [2, 0], [3, 70000]], `cut ${cut}`);
      assert.deepEqual([...got[0]!.payload], [1, 2, 3]);
    }
  });
  it("refuses a zero or huge length", () => {
    assert.throws(() => new FrameSplitter().push(new Uint8Array([0, 0, 0, 0, 1])), /bad frame length 0/);
    assert.throws(() => new FrameSplitter(100).push(new Uint8Array([200, 0, 0, 0])), /bad frame length 200/);
  });
  it("payload writer and reader round-trip; the reader checks bounds", () => {
    const bytes = new ByteWriter().u32(7).u64(0xfffffffffffffff0n).bytes(new Uint8Array([9, 8])).toBytes();
    const r = new PayloadReader(bytes, "TEST");
    assert.deepEqual([r.u32(), r.u64(), [...r.bytesView(2)]], [7, 0xfffffffffffffff0n, [9, 8]]);
    assert.throws(() => r.u8(), /short TEST frame/);
  });
  it("decode records have the C layout", () => {
    const b = encodeDecodeRecords([{ addr: 0x401000n, len: 4, kind: K.MEM, size: 8, disp: -8n, seg: SEG.FS, base: 19, index: 10, scale: 4, flags: F.REP, bitreg: RID_NONE }]);
    assert.equal(b.length, 4 + DECODE_RECORD_BYTES);
    const dv = new DataView(b.buffer);
    assert.equal(dv.getUint32(0, true), 1);
    assert.equal(dv.getBigUint64(4, true), 0x401000n);
    assert.equal(dv.getBigInt64(12, true), -8n);
    assert.equal(dv.getUint32(20, true), 8);
    assert.deepEqual([...b.subarray(24, 32)], [4, K.MEM, SEG.FS, 19, 10, 4, F.REP, RID_NONE]);
  });
});
