import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ByteWriter } from "../binary/index.js";
import { DecodeError, TruncatedError } from "../errors/index.js";
import { decodeMessage, expectMessage } from "./messages.js";
import { H } from "./protocol.js";

const frame = (type: number, w: ByteWriter) => ({ type, payload: w.toBytes() });

describe("helper messages", () => {
  it("decode whole frames into their kinds", () => {
    assert.deepEqual(decodeMessage(frame(H.ENTRY, new ByteWriter().u64(0x7ff0n).u64(0x401234n).u32(2))), { kind: "entry", rsp: 0x7ff0n, returnAddress: 0x401234n, thread: 2 });
    const writes = decodeMessage(frame(H.WRITES, new ByteWriter().u32(2).u64(16n).u32(1).bytes(new Uint8Array([7])).u64(32n).u32(0)));
    assert.deepEqual(writes, { kind: "writes", ranges: [{ addr: 16n, bytes: new Uint8Array([7]) }, { addr: 32n, bytes: new Uint8Array(0) }] });
    const exit = expectMessage(frame(H.EXIT, new ByteWriter().bytes(new Uint8Array([2])).u32(9).u64(5n).u64(7n).u64(1n)), "exit");
    assert.deepEqual(exit, { kind: "exit", how: "signal-from-outside", code: 9, stubCalls: 5n, cpuUserUs: 7n, cpuSystemUs: 1n });
    assert.deepEqual(decodeMessage({ type: H.OK, payload: new Uint8Array(0) }), { kind: "ok" });
  });
  it("refuse a short frame, trailing bytes, an unknown type or kind, and the wrong kind", () => {
    assert.throws(() => decodeMessage(frame(H.ENTRY, new ByteWriter().u64(1n))), (e: unknown) => e instanceof TruncatedError && /short ENTRY frame/.test(e.message));
    assert.throws(() => decodeMessage(frame(H.SYSCALL_EXIT, new ByteWriter().u64(1n).u32(0))), (e: unknown) => e instanceof DecodeError && /4 bytes after the SYSCALL_EXIT fields/.test(e.message));
    assert.throws(() => decodeMessage({ type: 99, payload: new Uint8Array(0) }), /unknown frame type 99/);
    assert.throws(() => decodeMessage(frame(H.EXIT, new ByteWriter().bytes(new Uint8Array([3])).u32(0).u64(0n).u64(0n).u64(0n))), /unknown EXIT kind/);
    assert.throws(() => expectMessage({ type: H.OK, payload: new Uint8Array(0) }, "result"), /expected result, got ok/);
  });
});
