/**
 * The replay core (replay-core.c) against the JS replay: for random logs mixing what the core
 * applies (tiny repeated writes, full records with a result) and what it leaves to the host
 * (globals, WASI calls, traps, records with 256+ writes or 64 KiB+, writes past guest memory,
 * blocks over its buffer), the core and the host sharing the blocks (SharedBlocks) must leave
 * guest memory and every result exactly as the JS replay alone does, invocation by invocation.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { encodeLog, InvocationCursor, openLog, type EventVisitor, type Invocation, type InvocationEnd, type Value } from "../log/index.js";
import { ReplayCore, replayCoreModule } from "./replay-core.js";
import { SharedBlocks } from "./replayer.js";

const PAGE = 65536;
const GUEST_PAGES = 4;

/** A stand-in guest: a memory and the exports the rewriter adds for the core. */
function fakeGuest(memory: WebAssembly.Memory): WebAssembly.Exports {
  const view = (): DataView => new DataView(memory.buffer);
  return {
    "alpaca.store8": (a: number, v: number) => view().setUint8(a, v),
    "alpaca.store32": (a: number, v: number) => view().setUint32(a, v, true),
    "alpaca.store64": (a: number, v: bigint) => view().setBigUint64(a, v, true),
    "alpaca.pages": () => memory.buffer.byteLength / PAGE,
  };
}

/** Applies writes into `mem`; records the other events as seen. */
function writer(mem: () => Uint8Array): EventVisitor & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    write(addr, src, offset, length) {
      if (addr + length > mem().length) throw new RangeError(`write past memory at ${addr}`);
      mem().set(src.subarray(offset, offset + length), addr);
    },
    global(index, value) {
      seen.push(`global ${index} ${String((value as { bits?: bigint }).bits)}`);
    },
    grow(from, to) {
      seen.push(`grow ${from} ${to}`);
    },
    syscall(e) {
      seen.push(`syscall ${e.name}`);
      for (const w of e.writes) mem().set(w.bytes, w.addr);
    },
  };
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomLog(seed: number, count: number): Invocation[] {
  const r = rng(seed);
  const int = (n: number): number => Math.floor(r() * n);
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256));
  const limit = GUEST_PAGES * PAGE;
  const out: Invocation[] = [];
  let counterAddr = 1024;
  for (let index = 0; index < count; index++) {
    const ret: Value[] = [{ type: "i32", bits: BigInt(int(2 ** 32)) }];
    const kind = r();
    let events: Invocation["events"];
    if (kind < 0.6) events = [{ kind: "write", addr: counterAddr, bytes: bytes(4) }]; // repeats
    else if (kind < 0.75) events = Array.from({ length: 1 + int(5) }, () => ({ kind: "write" as const, addr: int(limit - 300), bytes: bytes(1 + int(200)) }));
    else if (kind < 0.8) events = Array.from({ length: 300 }, (_, i) => ({ kind: "write" as const, addr: 8192 + i * 16, bytes: bytes(3) }));
    else if (kind < 0.83) events = [{ kind: "write", addr: 100_000, bytes: bytes(70_000) }];
    else if (kind < 0.88) events = [{ kind: "global", index: 0, value: { type: "i32", bits: BigInt(index) } }, { kind: "write", addr: 64, bytes: bytes(8) }];
    else if (kind < 0.93) events = [{ kind: "write", addr: 200, bytes: bytes(2) }, { kind: "syscall", name: "random_get", args: [300n, 4n], reads: [], writes: [{ addr: 300, bytes: bytes(4) }], result: 0n }];
    else if (kind < 0.96) events = [];
    else {
      counterAddr = 1024 + int(64) * 8; // a new shape: the next repeats follow it
      events = [{ kind: "write", addr: counterAddr, bytes: bytes(8) }];
    }
    out.push({ index, status: "returned", events, returns: ret });
  }
  return out;
}

function logBytes(invocations: Invocation[]): Uint8Array {
  return encodeLog({
    header: { backend: "wasm", programSha256: new Uint8Array(32), functionName: "f", functionIndex: 3, params: [], results: ["i32"], args: [], env: [] },
    invocations,
    inputs: [],
    end: { invocationCount: invocations.length, inputCount: 0, outcome: "exited", exitCode: 0 },
  });
}

describe("replay core", { skip: replayCoreModule() ? false : "src/runtime/replay-core.wasm is missing (make cores)" }, () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`applies what the JS replay applies, record by record (seed ${seed})`, () => {
      const bytes = logBytes(randomLog(seed, 4000));
      const log = openLog(bytes);
      // Reference: the JS replay alone.
      const refMem = new Uint8Array(GUEST_PAGES * PAGE);
      const refVisitor = writer(() => refMem);
      const cursor = new InvocationCursor(log);
      const refResults: bigint[] = [];
      for (let inv: InvocationEnd | undefined; (inv = cursor.next(refVisitor)); ) refResults.push((inv.returns[0] as { bits: bigint }).bits);
      // The core and the host sharing the blocks.
      const memory = new WebAssembly.Memory({ initial: GUEST_PAGES });
      const core = new ReplayCore(replayCoreModule()!, fakeGuest(memory), "i32");
      const visitor = writer(() => new Uint8Array(memory.buffer));
      const source = new SharedBlocks(log, core);
      const results: bigint[] = [];
      let byCore = 0;
      for (let k = 0; k < log.invocationCount; k++) {
        // As F's body does: the core first, then the host.
        if (core.next()) {
          byCore++;
          results.push(core.resultBitsValue);
          continue;
        }
        const inv = source.next(visitor);
        assert.ok(inv !== undefined, `invocation ${k} missing`);
        if (inv === "core") {
          byCore++;
          results.push(core.resultBitsValue);
        } else {
          results.push((inv.returns[0] as { bits: bigint }).bits);
        }
      }
      assert.equal(core.next(), false);
      assert.equal(source.next(visitor), undefined);
      assert.deepEqual(results, refResults);
      assert.deepEqual(visitor.seen, refVisitor.seen);
      assert.ok(Buffer.from(memory.buffer).equals(Buffer.from(refMem)), "guest memory differs");
      assert.equal(core.applied, byCore);
      assert.ok(byCore > log.invocationCount / 2, `the core applied only ${byCore} of ${log.invocationCount}`);
    });
  }

  it("leaves writes past guest memory to the host, which reports them", () => {
    const log = openLog(logBytes([{ index: 0, status: "returned", events: [{ kind: "write", addr: GUEST_PAGES * PAGE - 2, bytes: new Uint8Array(4) }], returns: [{ type: "i32", bits: 1n }] }]));
    const memory = new WebAssembly.Memory({ initial: GUEST_PAGES });
    const core = new ReplayCore(replayCoreModule()!, fakeGuest(memory), "i32");
    const source = new SharedBlocks(log, core);
    assert.equal(core.next(), false);
    assert.throws(() => source.next(writer(() => new Uint8Array(memory.buffer))), /write past memory/);
  });
});
