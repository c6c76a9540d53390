/** Effect log: round trips, and truncation / corruption / version detection with the right classes. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "../binary/index.js";
import { DecodeError, TruncatedError, UnsupportedVersionError } from "../errors/index.js";
import { decodeLog, encodeLog, InvocationCursor, logToJson, memorySource, openLog, LOG_VERSION, verifyLogMac, type EffectLog, type Invocation } from "./index.js";

/** The key the v3 fixture's MAC was made with. */
export const FIXTURE_KEY = new Uint8Array(32).fill(1);

/** `log` as a v1 or v2 log holds it: the environment's values instead of digests (the samples' K=V). */
/** `log` with a header for a function returning `results`. */
function returning(log: Omit<EffectLog, "version">, results: EffectLog["header"]["results"]): Omit<EffectLog, "version"> {
  return { ...log, header: { ...log.header, results } };
}

function withValues(log: Omit<EffectLog, "version">): Omit<EffectLog, "version"> {
  return { ...log, header: { ...log.header, env: [{ name: "K", value: "V" }] } };
}

export const sample: Omit<EffectLog, "version"> = {
  header: {
    backend: "wasm", programSha256: new Uint8Array(32).fill(7), functionName: "work", functionIndex: 12,
    params: ["i32", "f64"], results: ["i64", "f32"], args: ["a", "ünïcode"], env: [{ name: "K", digest: new Uint8Array(16).fill(3) }],
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

/** `sample` plus records that repeat a shape: the v2 fixture holds both forms. */
export const repeatSample: Omit<EffectLog, "version"> = {
  ...sample,
  invocations: [
    ...sample.invocations,
    ...[3, 4, 5].map((index): Invocation => ({
      index, status: "returned", events: [{ kind: "write", addr: 80, bytes: new Uint8Array([index, 0]) }],
      returns: [{ type: "i64", bits: BigInt(index) }, { type: "f32", bits: 0x3f800000n }],
    })),
  ],
  end: { ...sample.end, invocationCount: 6 },
};

/** An x86-64 log with invocations on other threads: the v4 fixture holds it. */
export const threadSample: Omit<EffectLog, "version"> = {
  ...sample,
  header: { ...sample.header, backend: "x86-64", params: [], results: ["i64", "i64"] },
  invocations: [0, 2, 0, 1].map((thread, index): Invocation => ({
    index, status: "returned", events: [{ kind: "write", addr: 0x4000 + 8 * index, bytes: new Uint8Array([index, thread]) }],
    returns: [{ type: "i64", bits: BigInt(index) }, { type: "i64", bits: 0n }], ...(thread ? { thread } : {}),
  })),
  inputs: [{ insideF: false, call: { kind: "syscall", name: "getrandom", args: [4096n, 8n, 1n, 0n, 0n, 0n], reads: [], writes: [{ addr: 4096, bytes: new Uint8Array(8).fill(9) }], result: 8n } }],
  end: { invocationCount: 4, inputCount: 1, outcome: "exited", exitCode: 0 },
};

describe("effect log", () => {
  it("reads the v4 fixture (test/fixtures/log-v4.alog): thread ordinals, closed by a MAC", () => {
    // Written by the v4 encoder from `threadSample`, closed by the MAC of FIXTURE_KEY.
    const fixture = new Uint8Array(readFileSync(join(import.meta.dirname, "../../test/fixtures/log-v4.alog")));
    const decoded = decodeLog(fixture);
    assert.equal(decoded.version, 4);
    assert.deepEqual({ ...decoded, version: undefined }, { ...threadSample, version: undefined });
    const body = encodeLog(threadSample);
    if (LOG_VERSION === 4) assert.deepEqual(fixture.subarray(0, body.length), body, "the v4 encoder writes the fixture");
    assert.equal(verifyLogMac(openLog(fixture), memorySource(fixture), FIXTURE_KEY), "verified");
  });
  it("v4: keeps the thread an x86-64 invocation ran on, and never repeats a threaded record's shape", () => {
    const write = (index: number, thread?: number): Invocation => ({
      index, status: "returned", events: [{ kind: "write", addr: 80, bytes: new Uint8Array([index]) }],
      returns: [{ type: "i64", bits: BigInt(index) }, { type: "f32", bits: 0n }], ...(thread === undefined ? {} : { thread }),
    });
    const log: Omit<EffectLog, "version"> = {
      ...sample, inputs: [],
      invocations: [write(0), write(1, 2), write(2), write(3, 1), { index: 4, status: "trapped", trapMessage: "killed", events: [], returns: [], thread: 7 }],
      end: { ...sample.end, invocationCount: 5, inputCount: 0 },
    };
    const decoded = decodeLog(encodeLog(log));
    assert.deepEqual(decoded.invocations.map((i) => i.thread), [undefined, 2, undefined, 1, 7]);
    assert.deepEqual(decoded.invocations.map((i) => i.index), [0, 1, 2, 3, 4]);
    // Thread 0 is the default: not written, so a single-threaded log has no v4 bytes.
    assert.deepEqual(encodeLog({ ...log, invocations: [write(0, 0)] }).length, encodeLog({ ...log, invocations: [write(0)] }).length);
  });
  it("refuses a thread ordinal in a log older than v4", () => {
    const bytes = encodeLog({ ...sample, inputs: [], invocations: [{ index: 0, status: "exited", exitCode: 0, events: [], returns: [], thread: 1 }], end: { ...sample.end, invocationCount: 1, inputCount: 0 } });
    new DataView(bytes.buffer).setUint16(8, 3, true);
    assert.throws(() => decodeLog(bytes), /thread ordinal in a log older than v4/);
  });

  it("round-trips every record kind", () => {
    const decoded = decodeLog(encodeLog(sample));
    assert.equal(decoded.version, LOG_VERSION);
    assert.deepEqual({ ...decoded, version: undefined }, { ...sample, version: undefined });
  });

  it("packs thousands of small invocations into few bytes each", () => {
    const invocations = Array.from({ length: 5000 }, (_, index) => ({ index, status: "returned" as const, events: [], returns: [{ type: "i32" as const, bits: BigInt(index) }] }));
    const bytes = encodeLog({ ...returning(sample, ["i32"]), invocations, end: { ...sample.end, invocationCount: 5000 } });
    assert.equal(decodeLog(bytes).invocations.length, 5000);
    assert.ok(bytes.length / 5000 < 8, `${bytes.length / 5000} bytes per invocation`);
  });

  it("writes a record shaped like the one before it as a repeat, and reads it back", () => {
    // Same write ranges, changing bytes and results; one record with another shape in between.
    const invocations: Invocation[] = Array.from({ length: 3000 }, (_, index) => ({
      index, status: "returned",
      events: index === 1500
        ? [{ kind: "write", addr: 64, bytes: new Uint8Array([1, 2]) }]
        : [{ kind: "write", addr: 4096, bytes: new Uint8Array([index & 0xff]) }, { kind: "write", addr: 8192, bytes: new Uint8Array([1, index >> 8]) }],
      returns: [{ type: "i64", bits: BigInt(index) * 0x100000001n }, { type: "f32", bits: BigInt(index) }],
    }));
    const log = { ...sample, invocations, end: { ...sample.end, invocationCount: invocations.length } };
    const bytes = encodeLog(log);
    assert.deepEqual({ ...decodeLog(bytes), version: undefined }, { ...log, version: undefined });
    // The same records with a new address each time cannot repeat: at least twice the size.
    const moving = invocations.map((inv) => ({ ...inv, events: inv.events.map((e) => (e.kind === "write" ? { ...e, addr: e.addr + 4 * inv.index } : e)) }));
    const full = encodeLog({ ...log, invocations: moving });
    assert.ok(bytes.length * 2 < full.length, `${bytes.length} bytes with repeats, ${full.length} without`);
  });

  it("starts every block with a full record", () => {
    // Enough 1 KiB writes to fill several 64 KiB blocks: each block must decode on its own.
    const invocations: Invocation[] = Array.from({ length: 200 }, (_, index) => ({
      index, status: "returned", events: [{ kind: "write", addr: 0, bytes: new Uint8Array(1024).fill(index) }], returns: [],
    }));
    const log = { ...returning(sample, []), invocations, end: { ...sample.end, invocationCount: invocations.length } };
    assert.deepEqual({ ...decodeLog(encodeLog(log)), version: undefined }, { ...log, version: undefined });
  });

  it("refuses results that are not the function's, with their byte offsets (issue 16)", () => {
    const wrongType = sample.invocations.map((inv) => (inv.index === 0 ? { ...inv, returns: [{ type: "i64" as const, bits: 1n }, { type: "i64" as const, bits: 2n }] } : inv));
    assert.throws(() => decodeLog(encodeLog({ ...sample, invocations: wrongType })), /invocation 0 result 1 is i64, the function returns f32 at byte \d+/);
    const tooFew = sample.invocations.map((inv) => (inv.index === 0 ? { ...inv, returns: [] } : inv));
    assert.throws(() => decodeLog(encodeLog({ ...sample, invocations: tooFew })), /invocation 0 has 0 results where the function returns 2 at byte \d+/);
  });

  it("refuses a repeat record with no record before it", () => {
    const bytes = encodeLog({ ...sample, invocations: [], end: { ...sample.end, invocationCount: 0 } });
    // Splice an invocations block holding one repeat record (form byte 1) before the end block.
    const endAt = bytes.length - (1 + 4 + 4 + 4); // kind, length, 4-byte payload, CRC
    const block = new Uint8Array([2, 1, 0, 0, 0, 1, 0, 0, 0, 0]);
    const view = new DataView(block.buffer);
    view.setUint32(6, crc32(block.subarray(0, 6)), true);
    const spliced = new Uint8Array(bytes.length + block.length);
    spliced.set(bytes.subarray(0, endAt));
    spliced.set(block, endAt);
    spliced.set(bytes.subarray(endAt), endAt + block.length);
    assert.throws(() => decodeLog(spliced), /repeat record with no record to repeat/);
  });

  it("copies writes straight into a visitor's memory, and hands it the writes that do not fit", () => {
    const events: Invocation["events"] = [
      { kind: "write", addr: 0, bytes: new Uint8Array([1, 2, 3, 4]) },
      { kind: "write", addr: 14, bytes: new Uint8Array([5, 6, 7, 8]) },
      { kind: "write", addr: 4, bytes: new Uint8Array(20).fill(9).subarray(0, 2) },
      { kind: "grow", fromPages: 1, toPages: 2 },
      { kind: "write", addr: 10, bytes: new Uint8Array([7]) },
    ];
    const invocations: Invocation[] = [0, 1].map((index) => ({ index, status: "returned", events: index === 0 ? events : [events[0]!], returns: [] }));
    const log = openLog(encodeLog({ ...returning(sample, []), invocations, end: { ...sample.end, invocationCount: 2 } }));
    const calls: string[] = [];
    let copied = 0;
    const visitor = {
      memory: new Uint8Array(16),
      wrote: (n: number) => void (copied += n),
      // The slow path (as the replayer's): copies what fits, reports the rest.
      write: (addr: number, src: Uint8Array, offset: number, length: number) => {
        if (addr + length <= visitor.memory.length) visitor.memory.set(src.subarray(offset, offset + length), addr);
        else calls.push(`write ${addr}+${length}`);
      },
      global: () => undefined,
      grow: (from: number, to: number) => {
        calls.push(`grow ${from}-${to}`);
        visitor.memory = new Uint8Array(32);
      },
      syscall: () => undefined,
    };
    const cursor = new InvocationCursor(log);
    cursor.next(visitor);
    assert.deepEqual(calls, ["write 14+4", "grow 1-2"]);
    assert.ok(copied >= 4 + 2, `${copied} bytes copied directly`);
    assert.deepEqual([...visitor.memory.subarray(8, 12)], [0, 0, 7, 0], "the write after the grow went to the new memory");
    cursor.next(visitor);
    assert.deepEqual([...visitor.memory.subarray(0, 4)], [1, 2, 3, 4]);
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
    newer[8] = LOG_VERSION + 1;
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
    assert.deepEqual({ ...decoded, version: undefined }, { ...withValues(sample), version: undefined });
  });

  it("reads the released v2 fixture (test/fixtures/log-v2.alog), repeat records included", () => {
    // Written by the v2 encoder from `repeatSample`; regenerate only with a new version.
    const fixture = readFileSync(join(import.meta.dirname, "../../test/fixtures/log-v2.alog"));
    const decoded = decodeLog(fixture);
    assert.equal(decoded.version, 2);
    assert.deepEqual({ ...decoded, version: undefined }, { ...withValues(repeatSample), version: undefined });
  });

  it("reads the v3 fixture (test/fixtures/log-v3.alog): environment digests and a MAC block", () => {
    // Written by the v3 encoder from `repeatSample`, closed by the MAC of FIXTURE_KEY.
    const fixture = new Uint8Array(readFileSync(join(import.meta.dirname, "../../test/fixtures/log-v3.alog")));
    const decoded = decodeLog(fixture);
    assert.equal(decoded.version, 3);
    assert.deepEqual({ ...decoded, version: undefined }, { ...repeatSample, version: undefined });
    // Without a v4 feature the current encoder writes the same bytes but the version field
    // (which no block's CRC covers); the MAC, which covers it, is not compared.
    const body = encodeLog(repeatSample);
    const asV3 = body.slice();
    new DataView(asV3.buffer).setUint16(8, 3, true);
    assert.deepEqual(fixture.subarray(0, body.length), asV3, "the encoder writes the fixture, version apart");
    const opened = openLog(fixture);
    assert.equal(verifyLogMac(opened, memorySource(fixture), FIXTURE_KEY), "verified");
    assert.equal(verifyLogMac(opened, memorySource(fixture), new Uint8Array(32).fill(2)), "mismatch");
  });

  it("prints i64 as decimal strings and floats with bit patterns", () => {
    const json = logToJson(decodeLog(encodeLog(sample))) as { invocations: Array<{ returns: unknown[] }> };
    assert.deepEqual(json.invocations[0]!.returns, [
      { type: "i64", value: "-1" },
      { type: "f32", bits: "0x7fc00001", value: "NaN" },
    ]);
  });

  describe("malformed logs: each refused with its class, message and byte offset", () => {
    /** A framed block: kind, u32 length, payload, CRC-32. */
    const block = (kind: number, payload: number[]): Uint8Array => {
      const b = new Uint8Array(5 + payload.length + 4);
      const v = new DataView(b.buffer);
      b[0] = kind;
      v.setUint32(1, payload.length, true);
      b.set(payload, 5);
      v.setUint32(5 + payload.length, crc32(b.subarray(0, 5 + payload.length)), true);
      return b;
    };
    const body = encodeLog(sample);
    /** Offsets of the blocks of `body`, with their kinds. */
    const starts: Array<{ at: number; kind: number; end: number }> = [];
    for (let at = 10; at < body.length;) {
      const len = new DataView(body.buffer, body.byteOffset).getUint32(at + 1, true);
      starts.push({ at, kind: body[at]!, end: at + 5 + len + 4 });
      at += 5 + len + 4;
    }
    const of = (kind: number) => starts.find((b) => b.kind === kind)!;
    /** `body` with the payload of block `b` edited by `edit`, its CRC made right again. */
    const reframed = (b: { at: number; end: number }, edit: (payload: Uint8Array) => void): Uint8Array => {
      const out = new Uint8Array(body);
      const len = b.end - b.at - 9;
      edit(out.subarray(b.at + 5, b.at + 5 + len));
      new DataView(out.buffer).setUint32(b.at + 5 + len, crc32(out.subarray(b.at, b.at + 5 + len)), true);
      return out;
    };
    const splice = (at: number, ...parts: Uint8Array[]) => Buffer.concat([body.subarray(0, at), ...parts, body.subarray(at)]);
    const cases: Array<{ name: string; bytes: () => Uint8Array; error: new (...a: never[]) => Error; message: RegExp }> = [
      { name: "an invocations block repeated (index out of order)", bytes: () => splice(of(2).at, body.subarray(of(2).at, of(2).end)), error: DecodeError, message: /^log: invocation 0 out of order at byte \d+$/ },
      { name: "end counts that do not match", bytes: () => reframed(of(4), (p) => (p[1] = 7)), error: DecodeError, message: /^log: end block counts 3 invocations and 7 inputs, found 3 and 1 at byte \d+$/ },
      { name: "a second header", bytes: () => splice(of(2).at, body.subarray(of(1).at, of(1).end)), error: DecodeError, message: new RegExp(`^log: second header block at byte ${of(2).at}$`) },
      { name: "an unknown block kind", bytes: () => splice(of(4).at, block(9, [0])), error: DecodeError, message: new RegExp(`^log: unknown block kind 0x09 at byte ${of(4).at}$`) },
      { name: "an unknown record form", bytes: () => splice(of(4).at, block(2, [7])), error: DecodeError, message: new RegExp(`^log: unknown record form 0x07 at byte ${of(4).at + 5}$`) },
      { name: "a block after the end block", bytes: () => Buffer.concat([body, block(3, [])]), error: DecodeError, message: new RegExp(`^log: trailing bytes after the end block at byte ${body.length}$`) },
      { name: "a MAC block before the end block", bytes: () => splice(of(4).at, block(5, new Array<number>(32).fill(0))), error: DecodeError, message: new RegExp(`^log: MAC block before the end block at byte ${of(4).at}$`) },
      { name: "a MAC block of the wrong size", bytes: () => Buffer.concat([body, block(5, [1, 2, 3])]), error: DecodeError, message: /^log: MAC block of 3 bytes, not 32 at byte \d+$/ },
      { name: "anything after the MAC block", bytes: () => Buffer.concat([body, block(5, new Array<number>(32).fill(0)), block(3, [])]), error: DecodeError, message: /^log: trailing bytes after the MAC block at byte \d+$/ },
      { name: "no end block", bytes: () => body.subarray(0, of(4).at), error: TruncatedError, message: /^log: no end block \(the log was cut short\) at byte \d+$/ },
      { name: "a block cut short", bytes: () => body.subarray(0, of(4).at + 3), error: TruncatedError, message: /at byte \d+$/ },
      { name: "a bad checksum", bytes: () => { const b = new Uint8Array(body); b[of(1).at + 6]! ^= 0xff; return b; }, error: DecodeError, message: new RegExp(`^log: checksum mismatch \\(corrupted block\\) at byte ${of(1).at}$`) },
      { name: "a newer format version", bytes: () => { const b = new Uint8Array(body); b[8] = LOG_VERSION + 1; return b; }, error: UnsupportedVersionError, message: /upgrade alpaca$/ },
    ];
    for (const c of cases) {
      it(c.name, () => {
        assert.throws(() => decodeLog(c.bytes()), (e: unknown) => {
          assert.ok(e instanceof c.error, `${String(e)} is not a ${c.error.name}`);
          assert.match(e.message, c.message);
          return true;
        });
      });
    }
  });
});
