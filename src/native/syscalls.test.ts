import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { NEWER_SYSCALLS, parseUnistd } from "./gen-syscall-names.js";
import { SYSCALL_NAMES } from "./syscall-names.js";
import { SYSCALL_SPECS, captureOperands, isErrorResult, specFor, syscallName, syscallNumber, type MemoryReader } from "./syscalls.js";

const UNISTD = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h";

/** A fake address space: a few mapped regions. */
function memory(regions: Array<[bigint, Uint8Array]>): MemoryReader {
  return (addr, len) => {
    for (const [base, bytes] of regions) {
      const off = Number(addr - base);
      if (off >= 0 && off + len <= bytes.length) return Promise.resolve(bytes.slice(off, off + len));
    }
    return Promise.resolve(null);
  };
}
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const nr = (name: string): number => syscallNumber(name)!;

describe("syscall table", () => {
  it("has every number of this machine's kernel headers", { skip: !existsSync(UNISTD) && `${UNISTD} not installed` }, () => {
    const headers = parseUnistd(readFileSync(UNISTD, "utf8"));
    assert.ok(headers.size > 300);
    for (const [n, name] of headers) assert.equal(SYSCALL_NAMES[n], name, `syscall ${n}`);
    for (const [n, name] of NEWER_SYSCALLS) assert.equal(SYSCALL_NAMES[n], name);
  });
  it("names and numbers round-trip, unknown numbers included", () => {
    assert.deepEqual([syscallName(0), syscallName(1), syscallName(231), syscallName(318)], ["read", "write", "exit_group", "getrandom"]);
    assert.equal(syscallName(9999), "syscall_9999");
    assert.equal(syscallNumber("syscall_9999"), 9999);
    assert.equal(syscallNumber("nonsense"), undefined);
    for (let n = 0; n < SYSCALL_NAMES.length; n++) if (SYSCALL_NAMES[n]) assert.equal(syscallNumber(syscallName(n)), n);
  });
  it("every spec names a real syscall", () => {
    for (const name of Object.keys(SYSCALL_SPECS)) assert.notEqual(syscallNumber(name), undefined, name);
  });
  it("policies: output re-executed, clocks and random answered, exits, signal returns skipped", () => {
    const policy = (name: string): string => specFor(nr(name), []).policy;
    assert.deepEqual(
      ["write", "writev", "openat", "mmap", "brk", "read", "clock_gettime", "getrandom", "getpid", "exit_group", "rt_sigreturn", "clone", "io_uring_enter"].map(policy),
      ["reexec", "reexec", "reexec", "reexec", "reexec", "reexec", "answer", "answer", "answer", "exit", "skip", "unreplayable", "reexec"],
    );
  });
  it("ioctl and arch_prctl depend on their request", () => {
    assert.equal(specFor(nr("ioctl"), [1n, 0x5401n, 0x1000n]).writes.length, 1);
    assert.equal(specFor(nr("ioctl"), [1n, 0x1234n, 0x1000n]).writes.length, 0);
    assert.equal(specFor(nr("arch_prctl"), [0x1003n, 0x1000n]).writes.length, 1);
    assert.equal(specFor(nr("arch_prctl"), [0x1002n, 0x1000n]).writes.length, 0);
  });
  it("error results", () => {
    assert.equal(isErrorResult(BigInt.asUintN(64, -14n)), true);
    assert.equal(isErrorResult(BigInt.asUintN(64, -4096n)), false);
    assert.equal(isErrorResult(0x7ffff7dd0000n), false);
  });
});

describe("captureOperands", () => {
  const mem = memory([
    [0x1000n, text("hello, world\n\0tail")],
    [0x2000n, (() => {
      // two iovecs: {0x1000, 5}, {0x1007, 6}
      const b = new Uint8Array(32);
      const dv = new DataView(b.buffer);
      dv.setBigUint64(0, 0x1000n, true);
      dv.setBigUint64(8, 5n, true);
      dv.setBigUint64(16, 0x1007n, true);
      dv.setBigUint64(24, 6n, true);
      return b;
    })()],
    // A path that runs into the next page; each page is a separate mapping.
    [0x3000n, (() => { const b = new Uint8Array(4096); b.set(text("/etc/pas"), 4088); return b; })()],
    [0x4000n, (() => { const b = new Uint8Array(4096).fill(0x41); b.set(text("swd\0"), 0); return b; })()],
  ]);
  it("write reads count bytes of its buffer", async () => {
    const s = specFor(nr("write"), [1n, 0x1000n, 13n]);
    assert.deepEqual(await captureOperands(s.reads, [1n, 0x1000n, 13n], undefined, mem), [{ addr: 0x1000, bytes: text("hello, world\n") }]);
  });
  it("read writes as many bytes as it returned, none on error", async () => {
    const s = specFor(nr("read"), []);
    assert.deepEqual(await captureOperands(s.writes, [0n, 0x1000n, 100n], 5n, mem), [{ addr: 0x1000, bytes: text("hello") }]);
    assert.deepEqual(await captureOperands(s.writes, [0n, 0x1000n, 100n], BigInt.asUintN(64, -9n), mem), []);
  });
  it("writev reads the iovec array and each buffer", async () => {
    const args = [1n, 0x2000n, 2n];
    const s = specFor(nr("writev"), args);
    const got = await captureOperands(s.reads, args, undefined, mem);
    assert.deepEqual(got.map((r) => [r.addr, new TextDecoder().decode(r.bytes)]), [[0x1000, "hello"], [0x1007, "world\n"]]);
  });
  it("readv writes buffers up to the result", async () => {
    const args = [0n, 0x2000n, 2n];
    const got = await captureOperands(specFor(nr("readv"), args).writes, args, 7n, mem);
    assert.deepEqual(got.map((r) => [r.addr, r.bytes.length]), [[0x1000, 5], [0x1007, 2]]);
  });
  it("paths are read up to their NUL, page by page", async () => {
    const args = [BigInt.asUintN(64, -100n), 0x3ff8n, 0n];
    const got = await captureOperands(specFor(nr("openat"), args).reads, args, undefined, mem);
    assert.deepEqual(got.map((r) => new TextDecoder().decode(r.bytes)), ["/etc/passwd\0"]);
  });
  it("null pointers and unmapped memory give nothing", async () => {
    assert.deepEqual(await captureOperands(specFor(nr("write"), []).reads, [1n, 0n, 10n], undefined, mem), []);
    assert.deepEqual(await captureOperands(specFor(nr("write"), []).reads, [1n, 0x9000n, 10n], undefined, mem), []);
  });
});
