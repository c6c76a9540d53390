/**
 * A log read from its file block by block decodes exactly as the same bytes in memory, holds
 * no more than a block at a time, and a block changed after the log was opened is refused when
 * the replay reads it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DecodeError } from "../errors/index.js";
import { encodeLog, InvocationCursor, openLog, openLogFrom, type EventVisitor, type Invocation } from "../log/index.js";
import { FileLogSource } from "./log-source.js";

const invocations: Invocation[] = Array.from({ length: 30_000 }, (_, index) => ({
  index,
  status: "returned",
  events: [{ kind: "write", addr: 64 + (index % 7) * 8, bytes: Uint8Array.of(index & 255, index >> 8, 1, 2) }],
  returns: [{ type: "i32", bits: BigInt(index) }],
}));
const bytes = encodeLog({
  header: { backend: "wasm", programSha256: new Uint8Array(32), functionName: "f", functionIndex: 1, params: [], results: ["i32"], args: [], env: [] },
  invocations,
  inputs: [],
  end: { invocationCount: invocations.length, inputCount: 0, outcome: "exited", exitCode: 0 },
});

function replayAll(log: ReturnType<typeof openLog>): string[] {
  const seen: string[] = [];
  const visitor: EventVisitor = {
    write: (addr, src, offset, length) => seen.push(`${addr}:${Buffer.from(src.subarray(offset, offset + length)).toString("hex")}`),
    global: () => undefined,
    grow: () => undefined,
    syscall: () => undefined,
  };
  const cursor = new InvocationCursor(log);
  for (let inv; (inv = cursor.next(visitor)); ) seen.push(`=${String((inv.returns[0] as { bits: bigint }).bits)}`);
  return seen;
}

describe("log read from its file", () => {
  const dir = mkdtempSync(join(tmpdir(), "alpaca-log-source-"));
  const path = join(dir, "f.alog");
  writeFileSync(path, bytes);

  it("decodes as the bytes in memory do, block by block", () => {
    const source = new FileLogSource(path);
    try {
      const fromFile = openLogFrom(source);
      const inMemory = openLog(bytes);
      assert.ok(fromFile.invocationBlocks.length > 1, "more than one block");
      assert.equal(fromFile.invocationCount, inMemory.invocationCount);
      assert.deepEqual(replayAll(fromFile), replayAll(inMemory));
    } finally {
      source.close();
    }
  });

  it("refuses a block changed after the log was opened", () => {
    const source = new FileLogSource(path);
    try {
      const log = openLogFrom(source);
      const block = log.invocationBlocks[1]!;
      const fd = openSync(path, "r+");
      writeSync(fd, Uint8Array.of(0xff), 0, 1, block.fileOffset + 10);
      closeSync(fd);
      assert.throws(() => block.payload, (e) => e instanceof DecodeError && /checksum mismatch \(the log changed while it was replayed\)/.test(e.message));
    } finally {
      source.close();
    }
  });

  it("cleans up", () => rmSync(dir, { recursive: true, force: true }));
});
