import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DecodeError, UsageError } from "../errors/index.js";
import { findFunction, isElf, readElf } from "./elf.js";

function hasGcc(): boolean {
  try {
    execFileSync("gcc", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("ELF lookup", { skip: !hasGcc() && "gcc is not installed" }, () => {
  let dir = "";
  const bin = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "alpaca-elf-"));
    writeFileSync(join(dir, "p.c"), "int target(int x) { return x + 1; }\nint main(void) { return target(0) - 1; }\n");
    execFileSync("gcc", ["-O1", "-o", join(dir, "pie"), join(dir, "p.c")]);
    execFileSync("gcc", ["-O1", "-no-pie", "-o", join(dir, "nopie"), join(dir, "p.c")]);
    execFileSync("gcc", ["-O1", "-s", "-o", join(dir, "stripped"), join(dir, "p.c")]);
    execFileSync("gcc", ["-O1", "-shared", "-fPIC", "-o", join(dir, "lib.so"), join(dir, "p.c")]);
    execFileSync("gcc", ["-O1", "-static-pie", "-o", join(dir, "static-pie"), join(dir, "p.c")]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("recognizes the magic", () => {
    assert.equal(isElf(bin("pie")), true);
    assert.equal(isElf(new TextEncoder().encode("#!/bin/sh\n")), false);
    assert.equal(isElf(new Uint8Array([0x7f, 0x45])), false);
  });
  it("finds a function in a PIE and a fixed-address executable", () => {
    const pie = readElf(bin("pie"), "pie");
    const nopie = readElf(bin("nopie"), "nopie");
    assert.deepEqual([pie.kind, pie.symbolTable, nopie.kind], ["dyn", ".symtab", "exec"]);
    const a = findFunction(pie, "target", "pie");
    const b = findFunction(nopie, "target", "nopie");
    assert.ok(a.value > 0n && a.value < 0x100000n, "PIE symbols are link-time offsets");
    assert.ok(b.value >= 0x400000n, "non-PIE symbols are absolute");
    assert.ok(a.sizeBytes >= 3);
    assert.ok(pie.functions.some((s) => s.name === "main"));
  });
  it("says a stripped binary is stripped", () => {
    const s = readElf(bin("stripped"), "stripped");
    assert.equal(s.symbolTable, ".dynsym");
    assert.throws(() => findFunction(s, "target", "stripped"), (e: unknown) => e instanceof UsageError && /stripped/.test(e.message));
  });
  it("names an unknown function", () => {
    assert.throws(() => findFunction(readElf(bin("pie"), "pie"), "nope", "pie"), /function nope not found in pie$/);
  });
  it("refuses other architectures and non-executables", () => {
    const arm = bin("pie").slice();
    new DataView(arm.buffer).setUint16(18, 183, true);
    assert.throws(() => readElf(arm, "arm"), (e: unknown) => e instanceof UsageError && /wrong architecture/.test(e.message));
    const obj = bin("pie").slice();
    new DataView(obj.buffer).setUint16(16, 1, true); // ET_REL
    assert.throws(() => readElf(obj, "obj"), /not an executable/);
    assert.throws(() => readElf(new TextEncoder().encode("plain text"), "txt"), /not an ELF file/);
  });
  it("refuses a shared library and an executable without an entry point, accepts static-pie", () => {
    assert.throws(() => readElf(bin("lib.so"), "lib.so"), (e: unknown) => e instanceof UsageError && /lib\.so: cannot run this ELF file as PROGRAM: .*shared library/.test(e.message));
    const noEntry = bin("pie").slice();
    new DataView(noEntry.buffer).setBigUint64(24, 0n, true); // e_entry
    assert.throws(() => readElf(noEntry, "noentry"), /cannot run this ELF file as PROGRAM: it has no entry point/);
    assert.equal(readElf(bin("static-pie"), "static-pie").kind, "dyn");
  });
  it("reports a malformed ELF as a decode error", () => {
    const cut = bin("pie").slice(0, 64);
    assert.throws(() => readElf(cut, "cut"), (e: unknown) => e instanceof DecodeError && /malformed ELF/.test(e.message));
  });
});
