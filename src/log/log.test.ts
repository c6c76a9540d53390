/** Effect log: round trips, and truncation / corruption / version detection with the right classes. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DecodeError, TruncatedError, UnsupportedVersionError } from "../errors/index.js";
import { decodeLog, encodeLog, logToJson, type EffectLog } from "./index.js";

export const sample: Omit<EffectLog, "version"> = {
  header: {
    backend: "wasm", programSha256: new Uint8Array(32).fill(7), functionName: "work", functionIndex: 12,
    params: ["i32", "f64"], results: ["i64", "f32"], args: ["a", "ünïcode"], env: ["K=V"],
  },
  invocations: [
    {
      index: 0, status: "returned",
      events: [
        { kind: "write", addr: 1024, bytes: new Uint8Array([1, 2, 3]) },
        { kind: "global", index: 0, value: { type: "i32", bits: 0xfffffff0n } },
        { kind: "grow", fromPages: 2, toPages: 5 },
        { kind: "syscall", name: "fd_write", args: [1n, 2000n, 1n, 3000n], reads: [{ addr: 2000, bytes: new Uint8Array(8) }], writes: [{ addr: 3000, bytes: new Uint8Array([5, 0, 0, 0]) }], result: 0n },
      ],
      returns: [{ type: "i64", bits: 0xffffffffffffffffn }, { type: "f32", bits: 0x7fc00001n }],
    },
    { index: 1, status: "exited", exitCode: 3, events: [], returns: [] },
    { index: 2, status: "trapped", trapMessage: "unreachable", events: [{ kind: "write", addr: 2 ** 40, bytes: new Uint8Array([9]) }], returns: [] },
  ],
  inputs: [{ insideF: false, call: { kind: "syscall", name: "clock_time_get", args: [0n, 1n, 4096n], reads: [], writes: [{ addr: 4096, bytes: new Uint8Array(8).fill(1) }], result: 0n } }],
  end: { invocationCount: 3, inputCount: 1, outcome: "exited", exitCode: 3 },
};

describe("effect log", () => {
  it("round-trips every record kind", () => {
    const decoded = decodeLog(encodeLog(sample));
    assert.equal(decoded.version, 1);
    assert.deepEqual({ ...decoded, version: undefined }, { ...sample, version: undefined });
  });

  it("packs thousands of small invocations into few bytes each", () => {
    const invocations = Array.from({ length: 5000 }, (_, index) => ({ index, status: "returned" as const, events: [], returns: [{ type: "i32" as const, bits: BigInt(index) }] }));
    const bytes = encodeLog({ ...sample, invocations, end: { ...sample.end, invocationCount: 5000 } });
    assert.equal(decodeLog(bytes).invocations.length, 5000);
    assert.ok(bytes.length / 5000 < 8, `${bytes.length / 5000} bytes per invocation`);
  });

  it("detects truncation at every cut point", () => {
    const bytes = encodeLog(sample);
    for (let cut = 0; cut < bytes.length; cut++) {
      assert.throws(() => decodeLog(bytes.subarray(0, cut)), (e: unknown) => e instanceof DecodeError, `cut at ${cut}`);
    }
    assert.throws(() => decodeLog(bytes.subarray(0, bytes.length - 1)), TruncatedError);
  });

  it("detects a flipped bit in any block", () => {
    const bytes = encodeLog(sample);
    for (let i = 10; i < bytes.length; i += 7) {
      const bad = bytes.slice();
      bad[i] = bad[i]! ^ 0x10;
      assert.throws(() => decodeLog(bad), (e: unknown) => e instanceof DecodeError, `flip at ${i}`);
    }
  });

  it("refuses newer versions, bad magic and trailing bytes", () => {
    const bytes = encodeLog(sample);
    const newer = bytes.slice();
    newer[8] = 2;
    assert.throws(() => decodeLog(newer), UnsupportedVersionError);
    const magic = bytes.slice();
    magic[0] = 0;
    assert.throws(() => decodeLog(magic), /bad magic/);
    const trailing = new Uint8Array(bytes.length + 1);
    trailing.set(bytes);
    assert.throws(() => decodeLog(trailing), /trailing bytes/);
  });

  it("reads the released v1 fixture (test/fixtures/log-v1.alog)", () => {
    // The fixture was written by the v1 encoder from `sample`; it must decode forever.
    const fixture = readFileSync(join(import.meta.dirname, "../../test/fixtures/log-v1.alog"));
    const decoded = decodeLog(fixture);
    assert.equal(decoded.version, 1);
    assert.deepEqual({ ...decoded, version: undefined }, { ...sample, version: undefined });
  });

  it("prints i64 as decimal strings and floats with bit patterns", () => {
    const json = logToJson(decodeLog(encodeLog(sample))) as { invocations: Array<{ returns: unknown[] }> };
    assert.deepEqual(json.invocations[0]!.returns, [
      { type: "i64", value: "-1" },
      { type: "f32", bits: "0x7fc00001", value: "NaN" },
    ]);
  });
});
