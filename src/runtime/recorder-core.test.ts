/**
 * The recorder core (its committed build is checked in cores.test.ts): the core finds exactly the writes the host's
 * MarkSet finds and encodes them exactly as the log encoder does, on random marks: overlapping,
 * repeated, restoring old values, across F's frames.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ByteWriter } from "../binary/index.js";
import { LogEncoder, type Event, type ValType } from "../log/index.js";
import { MarkSet } from "./mark-set.js";
import { MERGE_GAP } from "./memory-diff.js";
import { OutsideFrameRuns } from "./frames.js";
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

/** F's result as the core is configured for it: none, an i32, or an i64 whose high half matters. */
type ResultShape = { count: 0 } | { count: 1; type: "i32" | "i64" };

/**
 * Records `invocations` random invocations twice: through the recorder core, driven as the
 * Recorder drives it (records handed to a LogEncoder in batches; a slow exit every `slowEvery`
 * invocations recorded by the host from the core's marks), and by the host alone (MarkSet and
 * LogEncoder). Returns both logs' block streams.
 */
function recordBothWays(result: ResultShape, slowEvery: number, seed: number, invocations: number): { core: Buffer; host: Buffer } {
  const module = recorderCoreModule();
  assert.ok(module, "recorder-core.wasm is missing");
  const memory = new WebAssembly.Memory({ initial: 1 });
  const loads = new WebAssembly.Instance(loadsModule(), { env: { memory } }).exports as Record<"load8" | "load32" | "load64", WebAssembly.ExportValue>;
  const mem = Buffer.from(memory.buffer);
  const results: ValType[] = result.count === 0 ? [] : [result.type];
  const typeCode = result.count === 0 ? 0 : result.type === "i32" ? 0x7f : 0x7e;

  // The core's side, as src/runtime/recorder.ts runs it.
  const coreEncoder = new LogEncoder();
  const fromCore = new ByteWriter();
  const slowMarks = new MarkSet();
  let coreIndex = 0;
  const runs = new OutsideFrameRuns();
  /** Encodes a returned invocation from `marks` with the host's encoder, as Recorder.closeFast does. */
  const encodeReturned = (encoder: LogEncoder, marks: MarkSet, index: number, spEntry: number, minSp: number, halves: Float64Array, after: Event[]): Uint8Array | null => {
    runs.reset(minSp, spEntry);
    marks.changedRuns(mem, MERGE_GAP, minSp, spEntry, runs.add);
    return encoder.addReturnedParts({ index, before: [], mem, starts: runs.starts, ends: runs.ends, runs: runs.count, after, results, halves });
  };
  /**
   * What a slow exit records besides writes: here a global set to the invocation's index. (A
   * slow exit whose global was set to its old value records writes only; the recorder then takes
   * the core's last shape first (CoreShape), so it repeats a shape where host-only recording
   * does. This test's host does not, so it keeps to records with more than writes.)
   */
  const globalSet = (index: number): Event[] => [{ kind: "global", index: 0, value: { type: "i32", bits: BigInt(index) } }];
  const emit = (to: ByteWriter, block: Uint8Array | null) => {
    if (block && block.length) to.bytes(block);
  };
  const core: RecorderCore = new RecorderCore(module, loads, result.count, {
    records: (bytes, count) => {
      coreIndex += count;
      emit(fromCore, coreEncoder.addEncodedInvocations(bytes, count));
      core.flushAt(coreEncoder.invocationRoom, coreEncoder.blockEmpty);
    },
    slowExit: (spEntry, minSp, _flag, lo, hi) => {
      core.takeMarks((addr, size, saved, at) => slowMarks.addSaved(addr, size, saved, at));
      emit(fromCore, encodeReturned(coreEncoder, slowMarks, coreIndex, spEntry >>> 0, minSp >>> 0, new Float64Array(result.count === 0 ? [] : [lo >>> 0, hi >>> 0]), globalSet(coreIndex)));
      coreIndex++;
      core.configure(coreIndex, result.count, typeCode);
      core.flushAt(coreEncoder.invocationRoom, coreEncoder.blockEmpty);
    },
    costly: () => undefined,
  });
  core.configure(0, result.count, typeCode);
  core.flushAt(coreEncoder.invocationRoom, coreEncoder.blockEmpty);
  const coreExports = core as unknown as { markHook: (a: number, s: number) => void; exitHook: (...a: Array<number | bigint>) => void };

  // The host's side.
  const marks = new MarkSet();
  const encoder = new LogEncoder();
  const fromHost = new ByteWriter();
  const rnd = random(seed);
  let spEntry = 0;
  let minSp = 0;
  let previous: Array<[number, number]> = [];
  for (let inv = 0; inv < invocations; inv++) {
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
    // The result's two halves; an i32's high half is zero, an i64's often is not.
    const lo = rnd(0x7fffffff) * 2 + rnd(2);
    const hi = result.count === 1 && result.type === "i64" && rnd(3) !== 0 ? rnd(0x7fffffff) * 2 + 1 : 0;
    // flag: a global changed or memory grew, so the core hands the invocation to the host.
    const flag = slowEvery > 0 && rnd(slowEvery) === 0 ? 1 : 0;
    if (result.count === 0) coreExports.exitHook(spEntry, minSp, flag, useSlot ? 1 : 0, ...slot);
    else coreExports.exitHook(spEntry, minSp, flag, lo | 0, hi | 0, useSlot ? 1 : 0, ...slot);
    emit(fromHost, encodeReturned(encoder, marks, inv, spEntry, minSp, new Float64Array(result.count === 0 ? [] : [lo, hi]), flag ? globalSet(inv) : []));
  }
  core.flush();
  emit(fromCore, coreEncoder.flush());
  emit(fromHost, encoder.flush());
  return { core: Buffer.from(fromCore.written()), host: Buffer.from(fromHost.written()) };
}

describe("recorder core", () => {
  const shapes: Array<{ name: string; result: ResultShape; slowEvery: number }> = [
    { name: "an i32 result", result: { count: 1, type: "i32" }, slowEvery: 0 },
    { name: "an i64 result with its high half", result: { count: 1, type: "i64" }, slowEvery: 0 },
    { name: "no result", result: { count: 0 }, slowEvery: 0 },
    { name: "slow exits (a global changed, memory grew) among fast ones", result: { count: 1, type: "i64" }, slowEvery: 5 },
  ];
  for (const shape of shapes) {
    it(`records what the host's marks record, byte for byte, on random invocations: ${shape.name}`, () => {
      const { core, host } = recordBothWays(shape.result, shape.slowEvery, 12345, 3000);
      assert.ok(host.length > 3 << 16, "the records span several blocks");
      assert.equal(core.length, host.length);
      assert.ok(core.equals(host), "core and host records differ");
    });
  }
});

