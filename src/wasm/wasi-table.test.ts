/** The WASI effect table: complete for node:wasi's preview1, and the ranges it computes. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { WASI } from "node:wasi";
import { WASI_TABLE, argsToBits, bitsToArgs, writeParts } from "./index.js";

const ctx = { argc: 2, argvBufBytes: 10, envc: 1, environBufBytes: 4 };

function memoryWithIovecs(iovecs: Array<[number, number]>, at = 100): DataView {
  const dv = new DataView(new ArrayBuffer(4096));
  iovecs.forEach(([buf, len], i) => {
    dv.setUint32(at + i * 8, buf, true);
    dv.setUint32(at + i * 8 + 4, len, true);
  });
  return dv;
}

describe("WASI effect table", () => {
  it("has an entry for every preview1 function node:wasi provides", () => {
    const wasi = new WASI({ version: "preview1" });
    const missing = Object.keys(wasi.wasiImport).filter((name) => !WASI_TABLE[name]);
    assert.deepEqual(missing, []);
  });

  const cases: Array<{ name: string; args: Array<number | bigint>; mem: DataView; reads: unknown; writes: unknown; policy: string; input: boolean }> = [
    {
      name: "fd_write", args: [1, 100, 2, 300], mem: memoryWithIovecs([[1000, 5], [2000, 0]]),
      reads: [{ addr: 100, len: 16 }, { addr: 1000, len: 5 }], writes: [{ addr: 300, len: 4 }], policy: "reexecute", input: false,
    },
    {
      name: "fd_read", args: [0, 100, 2, 300], mem: (() => { const m = memoryWithIovecs([[1000, 4], [2000, 10]]); m.setUint32(300, 6, true); return m; })(),
      reads: [{ addr: 100, len: 16 }], writes: [{ addr: 1000, len: 4 }, { addr: 2000, len: 2 }, { addr: 300, len: 4 }], policy: "answer", input: true,
    },
    {
      name: "fd_read", args: [5, 100, 1, 300], mem: memoryWithIovecs([[1000, 4]]),
      reads: [{ addr: 100, len: 8 }], writes: [{ addr: 300, len: 4 }], policy: "reexecute", input: false,
    },
    { name: "clock_time_get", args: [1, 1000n, 64], mem: new DataView(new ArrayBuffer(128)), reads: [], writes: [{ addr: 64, len: 8 }], policy: "answer", input: true },
    { name: "random_get", args: [64, 16], mem: new DataView(new ArrayBuffer(128)), reads: [], writes: [{ addr: 64, len: 16 }], policy: "answer", input: true },
    { name: "path_open", args: [3, 0, 500, 7, 0, 0n, 0n, 0, 80], mem: new DataView(new ArrayBuffer(1024)), reads: [{ addr: 500, len: 7 }], writes: [{ addr: 80, len: 4 }], policy: "reexecute", input: false },
    { name: "args_get", args: [16, 64], mem: new DataView(new ArrayBuffer(128)), reads: [], writes: [{ addr: 16, len: 8 }, { addr: 64, len: 10 }], policy: "reexecute", input: false },
    { name: "proc_exit", args: [3], mem: new DataView(new ArrayBuffer(8)), reads: [], writes: [], policy: "exit", input: false },
  ];
  for (const c of cases) {
    it(`${c.name}(${c.args.join(", ")})`, () => {
      const e = WASI_TABLE[c.name]!;
      assert.equal(e.params.length, c.args.length);
      assert.deepEqual(e.reads(c.args, c.mem), c.reads);
      assert.deepEqual(e.writes(c.args, c.mem, ctx), c.writes);
      assert.equal(e.policy(c.args), c.policy);
      assert.equal(e.isInput(c.args), c.input);
    });
  }

  it("converts arguments to 64-bit patterns and back", () => {
    const args = [-1, 7n, -2n, 0];
    const bits = argsToBits(args);
    assert.deepEqual(bits, [0xffffffffn, 7n, 0xfffffffffffffffen, 0n]);
    assert.deepEqual(bitsToArgs(bits, "iIIi"), [-1, 7n, -2n, 0]);
  });

  describe("which written bytes a replay compares (issue 16)", () => {
    const parts = (name: string, args: Array<number | bigint>, addr: number, len: number) => writeParts(WASI_TABLE[name]!, args, { addr, len });
    it("a file's fdstat: every field the host writes; its padding is left to the log", () => {
      assert.deepEqual(parts("fd_fdstat_get", [5, 100], 100, 24), {
        compare: [{ addr: 100, len: 1 }, { addr: 102, len: 2 }, { addr: 108, len: 16 }],
        untouched: [{ addr: 101, len: 1 }, { addr: 104, len: 4 }],
      });
    });
    it("stdio's fdstat: nothing, since file, pipe or terminal is the caller's choice", () => {
      for (const fd of [0, 1, 2]) assert.deepEqual(parts("fd_fdstat_get", [fd, 100], 100, 24).compare, []);
    });
    it("a path's filestat: the file type only, not inode, links, size or times", () => {
      assert.deepEqual(parts("path_filestat_get", [3, 1, 500, 4, 200], 200, 64), { compare: [{ addr: 216, len: 1 }], untouched: [{ addr: 217, len: 7 }] });
    });
    it("poll events: userdata, error and type of each event", () => {
      const p = parts("poll_oneoff", [0, 300, 2, 900], 300, 64);
      assert.deepEqual(p.compare, [300, 308, 310, 332, 340, 342].map((addr, i) => ({ addr, len: [8, 2, 1][i % 3]! })));
      assert.deepEqual(p.untouched, [{ addr: 311, len: 5 }, { addr: 326, len: 6 }, { addr: 343, len: 5 }, { addr: 358, len: 6 }]);
    });
    it("directory entries: nothing; the count the call returned: all of it", () => {
      assert.deepEqual(parts("fd_readdir", [3, 100, 64, 0n, 400], 100, 40).compare, []);
      assert.deepEqual(parts("fd_readdir", [3, 100, 64, 0n, 400], 400, 4).compare, [{ addr: 400, len: 4 }]);
    });
    it("calls without an output struct: every byte", () => {
      assert.deepEqual(parts("fd_write", [1, 100, 1, 300], 300, 4), { compare: [{ addr: 300, len: 4 }], untouched: [] });
    });
  });
});
