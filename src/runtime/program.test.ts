/** Loading programs: the user-facing errors for modules Alpaca cannot run, and close names. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ByteWriter } from "../binary/index.js";
import { TruncatedError, UsageError } from "../errors/index.js";
import { loadProgram } from "./program.js";

/** A minimal command module importing `module.name` as a () -> () function, exporting its memory unless `memory` is false. */
function moduleImporting(module: string, name: string, memory = true): Uint8Array {
  const w = new ByteWriter().bytes(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  const section = (id: number, body: ByteWriter) => w.u8(id).varUint(body.length).bytes(body.written());
  section(1, new ByteWriter().varUint(1).u8(0x60).u8(0).u8(0));
  section(2, new ByteWriter().varUint(1).string(module).string(name).u8(0).varUint(0));
  section(3, new ByteWriter().varUint(1).varUint(0));
  section(5, new ByteWriter().varUint(1).u8(0).varUint(1));
  const exports = new ByteWriter().varUint(memory ? 2 : 1).string("_start").u8(0).varUint(1);
  if (memory) exports.string("memory").u8(2).varUint(0);
  section(7, exports);
  section(10, new ByteWriter().varUint(1).varUint(2).u8(0).u8(0x0b));
  return w.toBytes();
}

describe("loading programs", () => {
  const dir = mkdtempSync(join(tmpdir(), "alpaca-program-"));
  const write = (name: string, bytes: Uint8Array) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  it("accepts a WASI command module", () => {
    const p = loadProgram(write("ok.wasm", moduleImporting("wasi_snapshot_preview1", "sched_yield")));
    assert.equal(p.module.importedFuncCount, 1);
    assert.equal(p.sha256.length, 32);
  });
  it("refuses non-WASI imports, naming them", () => {
    assert.throws(() => loadProgram(write("env.wasm", moduleImporting("env", "foo"))), (e: unknown) => e instanceof UsageError && /imports func env\.foo, which is not WASI preview1/.test(e.message));
  });
  it("refuses a module that exports no memory (WASI needs one), in one line", () => {
    assert.throws(() => loadProgram(write("nomem.wasm", moduleImporting("wasi_snapshot_preview1", "sched_yield", false))), (e: unknown) => e instanceof UsageError && /nomem\.wasm is not a WASI command module \(it exports no memory\)$/.test(e.message));
  });
  it("refuses files that are not Wasm, and malformed modules", () => {
    assert.throws(() => loadProgram(write("text.wasm", new TextEncoder().encode("hello"))), /is not a WebAssembly module or an ELF executable/);
    const bad = moduleImporting("wasi_snapshot_preview1", "sched_yield").slice(0, 30);
    // A module cut short is our reader's decode error, kept as one, with the file in front and the offset at the end.
    assert.throws(() => loadProgram(write("cut.wasm", bad)), (e: unknown) => e instanceof TruncatedError && /cut\.wasm is not a valid WebAssembly module: .* at byte \d+$/.test(e.message));
  });
  it("cleans up", () => rmSync(dir, { recursive: true, force: true }));
});
