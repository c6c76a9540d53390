import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ByteWriter } from "../binary/index.js";
import { InvocationCursor, encodeLog, openLog, type EventVisitor, type Invocation, type WriteEvent } from "../log/index.js";
import { APPLY_WRITES_TYPE, applyWritesBody } from "../wasm/apply-writes.js";
import { BulkWrites, type WriteApplier } from "./bulk-writes.js";

const PAGES = 256;
const MEM_BYTES = PAGES * 65536;

/** A module holding only a memory and the disabled module's write applier. */
function applierInstance(): { memory: WebAssembly.Memory; applier: WriteApplier } {
  const section = (w: ByteWriter, id: number, body: ByteWriter) => w.u8(id).varUint(body.length).bytes(body.written());
  const w = new ByteWriter(1024).bytes(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  const types = new ByteWriter().varUint(1).u8(0x60).varUint(APPLY_WRITES_TYPE.params.length);
  for (let i = 0; i < APPLY_WRITES_TYPE.params.length; i++) types.u8(0x7f);
  types.varUint(1).u8(0x7f);
  section(w, 1, types);
  section(w, 3, new ByteWriter().varUint(1).varUint(0));
  section(w, 5, new ByteWriter().varUint(1).u8(0).varUint(PAGES));
  const globals = new ByteWriter().varUint(2);
  for (let i = 0; i < 2; i++) globals.u8(0x7f).u8(1).u8(0x41).u8(0).u8(0x0b);
  section(w, 6, globals);
  const exports = new ByteWriter().varUint(4);
  exports.string("memory").u8(2).varUint(0).string("apply").u8(0).varUint(0);
  exports.string("applied").u8(3).varUint(0).string("bytes").u8(3).varUint(1);
  section(w, 7, exports);
  const body = applyWritesBody(0, 1);
  section(w, 10, new ByteWriter().varUint(1).varUint(body.length).bytes(body));
  const ex = new WebAssembly.Instance(new WebAssembly.Module(w.toBytes())).exports;
  return {
    memory: ex.memory as WebAssembly.Memory,
    applier: { apply: ex.apply as WriteApplier["apply"], applied: ex.applied as WebAssembly.Global, appliedBytes: ex.bytes as WebAssembly.Global },
  };
}

/** A deterministic pseudo-random sequence (xorshift32). */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Writes of mixed lengths all over memory, some into the range the bulk path borrows below `sp`. */
function randomWrites(seed: number, count: number, sp: number): WriteEvent[] {
  const rnd = random(seed);
  const events: WriteEvent[] = [];
  for (let i = 0; i < count; i++) {
    const r = rnd();
    const len = r < 0.4 ? 1 + Math.floor(rnd() * 8) : r < 0.8 ? 9 + Math.floor(rnd() * 100) : r < 0.998 ? 200 + Math.floor(rnd() * 3000) : 70000;
    const near = rnd() < 0.002;
    const addr = near ? sp - 1000 - Math.floor(rnd() * 60000) : Math.floor(rnd() * (MEM_BYTES - len));
    const bytes = new Uint8Array(len);
    for (let k = 0; k < len; k++) bytes[k] = Math.floor(rnd() * 256);
    events.push({ kind: "write", addr: Math.max(0, addr), bytes });
  }
  return events;
}

/** Replays every invocation of `invocations` into a fresh memory, with or without the bulk path. */
function replay(invocations: Invocation[], useBulk: boolean, sp: number): { mem: Uint8Array; bulkEvents: number; outside: number } {
  const { memory, applier } = applierInstance();
  const mem = new Uint8Array(memory.buffer);
  for (let i = 0; i < mem.length; i++) mem[i] = (i * 31) & 0xff; // what the guest had: the bulk path must give it back
  const bulk = new BulkWrites(applier, new WebAssembly.Global({ value: "i32", mutable: true }, sp));
  let bulkEvents = 0;
  let outside = 0;
  const visitor: EventVisitor = {
    memory: mem,
    wrote: () => undefined,
    write: () => void outside++,
    global: () => assert.fail("no globals here"),
    grow: () => assert.fail("no growth here"),
    syscall: () => assert.fail("no syscalls here"),
    ...(useBulk
      ? {
        bulkWrites: (src: Uint8Array, pos: number, end: number, max: number) => {
          const done = bulk.apply(mem, src, pos, end, max);
          bulkEvents += done.events;
          return done;
        },
      }
      : {}),
  };
  const log = openLog(encodeLog({
    header: { backend: "wasm", programSha256: new Uint8Array(32), functionName: "f", functionIndex: 0, params: [], results: [], args: [], env: [] },
    invocations, inputs: [], end: { invocationCount: invocations.length, inputCount: 0, outcome: "exited", exitCode: 0 },
  }));
  const cursor = new InvocationCursor(log);
  while (cursor.next(visitor));
  return { mem, bulkEvents, outside };
}

describe("bulk writes through the disabled module's applier", () => {
  const sp = 40 * 65536 + 1234;

  it("leave memory exactly as copying each write would, borrowed bytes given back", () => {
    const first = randomWrites(7, 3000, sp);
    // A second invocation of the same shape is logged as a repeat: its ranges come from the first.
    const second = first.map((e) => ({ ...e, bytes: e.bytes.map((b) => b ^ 0xa5) }));
    const invocations: Invocation[] = [
      { index: 0, status: "returned", events: first, returns: [] },
      { index: 1, status: "returned", events: second, returns: [] },
    ];
    const plain = replay(invocations, false, sp);
    const fast = replay(invocations, true, sp);
    assert.equal(plain.bulkEvents, 0);
    // The rest: each record's last events, and runs cut short by writes into the borrowed range or longer than it.
    assert.ok(fast.bulkEvents > 3600, `most writes go through the applier (${fast.bulkEvents} of 6000)`);
    assert.ok(fast.bulkEvents < 6000, "writes into the borrowed range or longer than it do not");
    assert.equal(fast.outside, 0);
    assert.ok(Buffer.from(fast.mem).equals(Buffer.from(plain.mem)), "memory differs from the one-by-one copy");
  });

  it("lets a record logged as a repeat of a bulk-applied one find its write ranges", () => {
    // Small enough to share a log block, so the second and third records are repeats of the first.
    const first = randomWrites(5, 3000, sp).filter((e) => e.bytes.length <= 8);
    const again = (k: number) => first.map((e) => ({ ...e, bytes: e.bytes.map((b) => b ^ k) }));
    const invocations: Invocation[] = [first, again(0x11), again(0x22)].map((events, index) => ({ index, status: "returned", events, returns: [] }));
    const plain = replay(invocations, false, sp);
    const fast = replay(invocations, true, sp);
    assert.ok(fast.bulkEvents >= first.length / 2, `the first record goes through the applier (${fast.bulkEvents} of ${first.length})`);
    assert.ok(Buffer.from(fast.mem).equals(Buffer.from(plain.mem)), "memory differs from the one-by-one copy");
  });

  it("leaves a write past the end of memory to the visitor, which reports it", () => {
    const events: WriteEvent[] = [
      ...randomWrites(11, 600, sp).filter((e) => e.bytes.length < 1000),
      { kind: "write", addr: MEM_BYTES - 4, bytes: new Uint8Array(8).fill(9) },
      ...randomWrites(12, 600, sp).filter((e) => e.bytes.length < 1000),
    ];
    const invocations: Invocation[] = [{ index: 0, status: "returned", events, returns: [] }];
    const plain = replay(invocations, false, sp);
    const fast = replay(invocations, true, sp);
    assert.equal(plain.outside, 1);
    assert.equal(fast.outside, 1);
    assert.ok(fast.bulkEvents > 0);
    assert.ok(Buffer.from(fast.mem).equals(Buffer.from(plain.mem)));
  });
});
