/**
 * The recorder core (its committed build is checked in cores.test.ts): the core finds exactly the writes the host's
 * MarkSet finds and encodes them exactly as the log encoder does, on random marks: overlapping,
 * repeated, restoring old values, across F's frames.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ByteWriter } from "../binary/index.js";
import { LogEncoder } from "../log/index.js";
import { MarkSet } from "./mark-set.js";
import { MERGE_GAP } from "./memory-diff.js";
import { RecorderCore, recorderCoreModule } from "./recorder-core.js";

/** A module importing `env.memory` and exporting load8/load32/load64 over it, as the rewriter adds them. */
function loadsModule(): WebAssembly.Module {
  const w = new ByteWriter(256).bytes(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  const section = (id: number, body: ByteWriter) => w.u8(id).varUint(body.length).bytes(body.written());
  section(1, new ByteWriter().varUint(2).u8(0x60).varUint(1).u8(0x7f).varUint(1).u8(0x7f).u8(0x60).varUint(1).u8(0x7f).varUint(1).u8(0x7e));
  section(2, new ByteWriter().varUint(1).string("env").string("memory").u8(2).u8(0).varUint(1));
  section(3, new ByteWriter().varUint(3).varUint(0).varUint(0).varUint(1));
  section(7, new ByteWriter().varUint(3).string("load8").u8(0).varUint(0).string("load32").u8(0).varUint(1).string("load64").u8(0).varUint(2));
  const code = new ByteWriter().varUint(3);
  for (const op of [0x2d, 0x28, 0x29]) code.varUint(7).varUint(0).u8(0x20).varUint(0).u8(op).varUint(0).varUint(0).u8(0x0b);
  section(10, code);
  return new WebAssembly.Module(w.toBytes());
}

/** Deterministic pseudo-random numbers (xorshift32). */
function random(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

describe("recorder core", () => {
  it("records what the host's marks record, byte for byte, on random invocations", () => {
    const module = recorderCoreModule();
    assert.ok(module, "recorder-core.wasm is missing");
    const memory = new WebAssembly.Memory({ initial: 1 });
    const loads = new WebAssembly.Instance(loadsModule(), { env: { memory } }).exports as Record<"load8" | "load32" | "load64", WebAssembly.ExportValue>;
    const fromCore = new ByteWriter();
    const core = new RecorderCore(module, loads, 1, {
      // Each hand-over here ends a block (the core flushes at 64 KiB, as the encoder does).
      records: (bytes) => {
        fromCore.bytes(bytes);
        core.flushAt(1 << 16, true);
      },
      slowExit: () => assert.fail("no invocation here is unusual"),
    });
    core.configure(0, 1, 0x7f);
    const coreExports = core as unknown as { markHook: (a: number, s: number) => void; exitHook: (...a: Array<number | bigint>) => void };
    const mem = Buffer.from(memory.buffer);
    const marks = new MarkSet();
    const encoder = new LogEncoder();
    const fromHost = new ByteWriter();
    const rnd = random(12345);
    const starts = new Float64Array(4096);
    const ends = new Float64Array(4096);
    let spEntry = 0;
    let minSp = 0;
    let previous: Array<[number, number]> = [];
    for (let inv = 0; inv < 3000; inv++) {
      // Half the time, the previous invocation's stores again, changing every byte: the same
      // runs, so the record repeats the previous one's shape (the log's repeat form).
      const again = inv > 0 && rnd(2) === 0;
      let stores = previous;
      if (!again) {
        // A frame region [minSp, spEntry) in the middle of memory, sometimes empty.
        spEntry = 30000 + rnd(2000);
        minSp = rnd(4) === 0 ? spEntry : spEntry - rnd(600);
        const count = rnd(5) === 0 ? 1 : rnd(40);
        // Addresses cluster so marks overlap and merge; some land in or across the frames.
        stores = Array.from({ length: count }, () => [rnd(3) === 0 ? minSp - 20 + rnd(60) : 1000 + rnd(3000), [1, 2, 4, 8, 16, 3, 40][rnd(7)]!]);
      }
      // Often the first store (8 bytes or fewer) goes to the mark slot, as the fast path's traced code does.
      let slot: [number, number, bigint, bigint] = [0, 0, 0n, 0n];
      const useSlot = stores.length > 0 && stores[0]![1] <= 8 && rnd(3) !== 0;
      stores.forEach(([addr, size], k) => {
        const was = mem.readBigUInt64LE(addr) & ((1n << BigInt(8 * size)) - 1n);
        if (!(useSlot && k === 0)) coreExports.markHook(addr, size);
        marks.add(mem, addr, size);
        for (let i = 0; i < size; i++) mem[addr + i] = again ? (mem[addr + i]! + 1) & 0xff : rnd(4) === 0 ? mem[addr + i]! : rnd(256);
        // The slot's new value carries garbage above the store's size (an i32 for a store8), which the core must ignore.
        if (useSlot && k === 0) slot = [addr, size, was, (mem.readBigUInt64LE(addr) & ((1n << BigInt(8 * size)) - 1n)) | (size < 8 ? 0xabn << 56n : 0n)];
      });
      previous = stores;
      const result = rnd(0x7fffffff);
      coreExports.exitHook(spEntry, minSp, 0, result, 0, useSlot ? 1 : 0, ...slot);
      let runs = 0;
      marks.changedRuns(mem, MERGE_GAP, minSp, spEntry, (s, e) => {
        const cut = (a: number, b: number) => {
          if (b > a) {
            starts[runs] = a;
            ends[runs++] = b;
          }
        };
        if (s < minSp) cut(s, Math.min(e, minSp));
        if (e > spEntry) cut(Math.max(s, spEntry), e);
      });
      const block = encoder.addReturnedParts({
        index: inv, before: [], mem, starts, ends, runs, after: [], results: ["i32"], halves: new Float64Array([result, 0]),
      });
      if (block) fromHost.bytes(payloadOf(block));
    }
    core.flush();
    fromHost.bytes(payloadOf(encoder.flush()));
    assert.ok(fromHost.length > 3 << 16, "the records span several blocks");
    assert.equal(fromCore.length, fromHost.length);
    assert.ok(Buffer.from(fromCore.written()).equals(Buffer.from(fromHost.written())), "core and host records differ");
  });
});

/** The payload of one encoded block: kind u8, length u32, payload, crc32 u32. */
function payloadOf(block: Uint8Array): Uint8Array {
  return block.subarray(5, block.length - 4);
}
