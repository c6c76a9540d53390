/**
 * End-to-end test of the native x86-64 backend (`make native-e2e`, part of `make check`). For
 * every case below it runs the real CLI on a gcc-built program from test-suite/native three
 * ways: plain (`alpaca run`), analyzed (`alpaca analyze`) and disabled (`alpaca disable`). The
 * analyzed run must equal the plain run and the disabled run the analyzed run, byte for byte in
 * stdout, stderr and exit status. Then `alpaca log dump --json` must show what the C source
 * implies (expected values are computed here from the source, never copied from a log). A few
 * cases also go through `alpaca run` with ALPACA_MODE=a|d|b, and negative cases check Alpaca's
 * own failures: exit status 125, one `alpaca: ` line, no log left behind.
 *
 * Every case runs with both analysis engines (ALPACA_NATIVE_ENGINE=step, then pages), each a
 * line of its own; `--engine step|pages` picks one. Prints one line per case and engine
 * (`ok   name [engine]` / `FAIL name [engine]: reason`), then `N passed, N failed`; exits 1 on
 * any failure. Usage: node --import tsx run-native-tests.ts [--keep] [--engine E] [--repeat N]
 * [--load K] [NAME-SUBSTRING...]; --repeat runs the cases N times, --load keeps K CPU-bound
 * processes running beside them (make native-stress).
 */
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { InvocationJson, LogJson, RangeJson, SyscallJson } from "./src/log/index.js";
import { runCli as runAlpaca, spawnCli } from "./test/harness/cli.js";

const ROOT = dirname(fileURLToPath(import.meta.url));
const BUILD = join(ROOT, "build", "test-suite", "native");
const HELPER = join(ROOT, "build", "native", "alpaca-native-helper");
const EXIT_ALPACA_FAILURE = 125;

// The log dump, as src/log/dump.ts prints it.
type DumpJson = LogJson;

// ---------------------------------------------------------------------------------------------
// Expected values, computed from the C sources

/** Little-endian hex of an integer of `bytes` bytes (two's complement). */
function leHex(v: bigint, bytes: number): string {
  let u = BigInt.asUintN(bytes * 8, v);
  let s = "";
  for (let i = 0; i < bytes; i++, u >>= 8n) s += Number(u & 0xffn).toString(16).padStart(2, "0");
  return s;
}
const f32Hex = (x: number): string => Buffer.from(new Float32Array([x]).buffer).toString("hex");
const f64Hex = (x: number): string => Buffer.from(new Float64Array([x]).buffer).toString("hex");
const strHex = (s: string): string => Buffer.from(s, "latin1").toString("hex");

/**
 * Checks over one log. Memory checks look at the image the log implies: every write and every
 * syscall write of invocations 0..i applied in order. The single-step engine logs every byte F
 * stored, so expected bytes must all be in the image; the page engine logs the bytes that
 * changed, so bytes F stored over an equal value are absent and count as unknown, but every
 * known byte must agree and at least one must be known.
 */
class Check {
  readonly problems: string[] = [];
  private readonly images = new Map<number, Map<number, number>>();
  constructor(readonly dump: DumpJson, readonly strict: boolean) {}
  that(ok: boolean, what: string): this {
    if (!ok) this.problems.push(what);
    return this;
  }
  inv(i: number): InvocationJson {
    const inv = this.dump.invocations[i];
    if (!inv) throw new Error(`no invocation ${i} (log has ${this.dump.invocations.length})`);
    return inv;
  }
  invocations(n: number): this {
    return this.that(this.dump.invocations.length === n, `expected ${n} invocations, log has ${this.dump.invocations.length}`);
  }
  /** RAX (or RDX with reg 1) as u64, compared on its low `bytes` bytes. */
  reg(i: number, reg: 0 | 1, expected: bigint, bytes = 8): this {
    const r = this.inv(i).returns[reg];
    const got = r && r.type === "i64" ? BigInt.asUintN(bytes * 8, BigInt(r.value)) : undefined;
    return this.that(got === BigInt.asUintN(bytes * 8, expected), `invocation ${i}: ${reg ? "rdx" : "rax"} ${got} != ${BigInt.asUintN(bytes * 8, expected)}`);
  }
  /** XMM0 (or XMM1) starts with these bytes. */
  xmm(i: number, reg: 0 | 1, hexPrefix: string): this {
    const r = this.inv(i).returns[2 + reg];
    const got = r && r.type === "v128" ? r.bytes : "";
    return this.that(got.startsWith(hexPrefix), `invocation ${i}: xmm${reg} ${got} does not start with ${hexPrefix}`);
  }
  raxValue(i: number): bigint {
    const r = this.inv(i).returns[0];
    return r && r.type === "i64" ? BigInt.asUintN(64, BigInt(r.value)) : 0n;
  }
  writes(i: number): Array<{ kind: "write" } & RangeJson> {
    return this.inv(i).events.filter((e): e is { kind: "write" } & RangeJson => e.kind === "write");
  }
  syscalls(i: number, name?: string): SyscallJson[] {
    return this.inv(i).events.filter((e): e is SyscallJson => e.kind === "syscall" && (name === undefined || e.name === name));
  }
  private image(i: number): Map<number, number> {
    let img = this.images.get(i);
    if (img) return img;
    img = new Map();
    const put = (r: RangeJson): void => {
      for (let k = 0; k < r.size; k++) img.set(r.addr + k, parseInt(r.bytes.slice(2 * k, 2 * k + 2), 16));
    };
    for (let j = 0; j <= i; j++) {
      for (const e of this.inv(j).events) {
        if (e.kind === "write") put(e);
        else if (e.kind === "syscall") e.writes.forEach(put);
      }
    }
    this.images.set(i, img);
    return img;
  }
  private matchesAt(i: number, addr: number, hex: string): boolean {
    const img = this.image(i);
    let known = 0;
    for (let k = 0; k < hex.length / 2; k++) {
      const v = img.get(addr + k);
      if (v === undefined) {
        if (this.strict) return false;
        continue;
      }
      if (v !== parseInt(hex.slice(2 * k, 2 * k + 2), 16)) return false;
      known++;
    }
    return known > 0;
  }
  /** The memory F left holds these bytes somewhere around what invocation i wrote. */
  writeContains(i: number, hex: string, what: string): this {
    const n = hex.length / 2;
    const ok = this.writes(i).some((w) => {
      for (let a = w.addr - n + 1; a < w.addr + w.size; a++) if (this.matchesAt(i, a, hex)) return true;
      return false;
    });
    return this.that(ok, `invocation ${i}: the logged writes do not hold ${what}`);
  }
  /** The memory F left holds these bytes at addr. */
  writeAt(i: number, addr: bigint, hex: string, what: string): this {
    return this.that(this.matchesAt(i, Number(addr), hex), `invocation ${i}: no write of ${what} at 0x${addr.toString(16)}`);
  }
}

interface NativeCase {
  name: string;
  program: string;
  func: string;
  args?: string[];
  /** Also run through `alpaca run` with ALPACA_MODE=a, d and b (baseline must equal plain). */
  viaEnv?: boolean;
  /** Also run the baseline (ALPACA_MODE=b); it must equal the plain run. */
  baseline?: boolean;
  /** Whether the disabled run replays in process (checked through --verbose), when the case says. */
  inProcess?: boolean;
  /** The one alpaca: line analyze must print on stderr (taken out before the comparisons). */
  alpacaLine?: RegExp;
  check(c: Check): void;
}

/** The run without its expected alpaca: line, or why it lacks one. */
function withoutAlpacaLine(r: Run, line: RegExp | undefined, what: string): Run | string {
  if (!line) return r;
  const lines = r.stderr.toString("utf8").split("\n");
  const i = lines.findIndex((l) => l.startsWith("alpaca: ") && line.test(l));
  if (i < 0) return `${what}: no alpaca: line matching ${String(line)} on stderr (${excerpt(r.stderr)})`;
  lines.splice(i, 1);
  return { ...r, stderr: Buffer.from(lines.join("\n"), "utf8") };
}

function churnSum(n: number): bigint {
  let sum = 0n;
  for (let i = 0; i < n; i++) for (let j = 0; j < (i + 1) * 16; j += 7) sum += BigInt(j ^ i);
  return sum;
}

function fib(n: number): bigint {
  let a = 0n;
  let b = 1n;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

const PATTERN = "the quick brown fox jumps over the lazy dog, 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function printfLoopCheck(c: Check): void {
  c.invocations(3);
  for (let r = 1; r <= 3; r++) {
    const n = r + 1;
    let total = 0;
    const writes = c.syscalls(r - 1, "write");
    for (let i = 0; i < n; i++) {
      const line = `line ${i + 1} of ${n}: ${i % 2 ? "odd" : "even"}\n`;
      total += line.length;
      const w = writes[i];
      c.that(w !== undefined && w.args[0] === "1" && w.reads.some((x) => x.bytes === strHex(line)), `invocation ${r - 1}: write ${i} is not ${JSON.stringify(line)} to fd 1`);
    }
    const last = writes[n];
    c.that(last !== undefined && last.args[0] === "2" && last.reads.some((x) => x.bytes === strHex(`printed ${n} lines\n`)), `invocation ${r - 1}: no "printed ${n} lines" on fd 2`);
    c.reg(r - 1, 0, BigInt(total), 4);
  }
}

function heapMakeListCheck(c: Check, dynamic: boolean): void {
  c.invocations(3);
  // Dynamically linked, make_list's malloc is the program's first: it sets up the heap with brk.
  // A static libc already called brk at start-up for its TLS block.
  if (dynamic) c.that(c.syscalls(0).some((s) => s.name === "brk"), "invocation 0: malloc's first call made no brk");
  for (let r = 1; r <= 3; r++) {
    const n = r + 2;
    c.that(c.raxValue(r - 1) !== 0n, `invocation ${r - 1}: NULL list`);
    for (let i = 0; i < n; i++) {
      c.writeContains(r - 1, leHex(BigInt(i * i + n), 4) + strHex(`n${n}-${i}\0`), `node ${i} (value ${i * i + n}, tag n${n}-${i})`);
    }
  }
}

const CASES: NativeCase[] = [
  {
    name: "returns/ret_bool", program: "returns", func: "ret_bool",
    check: (c) => { c.invocations(3); [0n, 1n, 0n].forEach((v, i) => c.reg(i, 0, v, 1)); },
  },
  {
    name: "returns/ret_short", program: "returns", func: "ret_short",
    check: (c) => { c.invocations(3); [1, 2, 3].forEach((x, i) => c.reg(i, 0, BigInt(-1000 * x - 7), 2)); },
  },
  {
    name: "returns/ret_int", program: "returns", func: "ret_int",
    check: (c) => { c.invocations(3); [1, 2, 3].forEach((x, i) => c.reg(i, 0, BigInt(x * x * 1000 + 17), 4)); },
  },
  {
    name: "returns/ret_long", program: "returns", func: "ret_long", viaEnv: true,
    check: (c) => { c.invocations(3); [1n, 2n, 3n].forEach((x, i) => c.reg(i, 0, x * 0x100000001n + 5n)); },
  },
  {
    name: "returns/ret_llong", program: "returns", func: "ret_llong",
    check: (c) => { c.invocations(3); [1n, 2n, 3n].forEach((x, i) => c.reg(i, 0, -x * 0x123456789n)); },
  },
  {
    name: "returns/ret_float", program: "returns", func: "ret_float",
    check: (c) => { c.invocations(3); [1, 2, 3].forEach((x, i) => c.xmm(i, 0, f32Hex(Math.fround(Math.fround(x * 1.5) + 0.25)))); },
  },
  {
    name: "returns/ret_double", program: "returns", func: "ret_double",
    check: (c) => { c.invocations(3); [1, 2, 3].forEach((x, i) => c.xmm(i, 0, f64Hex(x / 3.0 + 1e10))); },
  },
  {
    name: "returns/take_floats", program: "returns", func: "take_floats",
    check: (c) => {
      c.invocations(3);
      [1, 2, 3].forEach((x, i) => c.xmm(i, 0, f32Hex(Math.fround(Math.fround(Math.fround(x * 0.5) * 3) + Math.fround(x * 0.125)))));
    },
  },
  {
    name: "returns/ret_small", program: "returns", func: "ret_small",
    check: (c) => { c.invocations(3); [1n, 2n, 3n].forEach((x, i) => c.reg(i, 0, x + 1n).reg(i, 1, x * 2n)); },
  },
  {
    name: "returns/ret_pair_d", program: "returns", func: "ret_pair_d",
    check: (c) => { c.invocations(3); [1, 2, 3].forEach((x, i) => c.xmm(i, 0, f64Hex(x * 0.5)).xmm(i, 1, f64Hex(x * -2.25))); },
  },
  {
    name: "returns/ret_big", program: "returns", func: "ret_big",
    check: (c) => {
      c.invocations(3);
      [1, 2, 3].forEach((x, i) => {
        const sret = c.raxValue(i);
        c.writeAt(i, sret, leHex(BigInt(x * 100), 8), `v[0] = ${x * 100} in the sret struct`);
        c.writeAt(i, sret + 56n, leHex(BigInt(x * 100 + 7), 8), `v[7] in the sret struct`);
        c.writeAt(i, sret + 64n, strHex(`big-${x}\0`), `name "big-${x}" in the sret struct`);
      });
    },
  },
  {
    // 3,000 calls of a 40 ns function: replayed in process (no stop per call), baseline too.
    name: "hot_calls/bump", program: "hot_calls", func: "bump", args: ["3000"], baseline: true, inProcess: true,
    check: (c) => { c.invocations(3000); c.that(c.dump.invocations.every((i) => i.events.every((e) => e.kind === "write")), "a syscall in bump"); },
  },
  { name: "returns-nopie/ret_int", program: "returns-nopie", func: "ret_int", inProcess: true, check: (c) => { c.invocations(3); [1, 2, 3].forEach((x, i) => c.reg(i, 0, BigInt(x * x * 1000 + 17), 4)); } },
  { name: "heap/make_list", program: "heap", func: "make_list", baseline: true, check: (c) => heapMakeListCheck(c, true) },
  { name: "heap-static/make_list", program: "heap-static", func: "make_list", check: (c) => heapMakeListCheck(c, false) },
  {
    name: "heap/churn", program: "heap", func: "churn",
    check: (c) => { c.invocations(3); [5, 10, 15].forEach((n, i) => c.reg(i, 0, churnSum(n))); },
  },
  {
    name: "stack_writes/set_local", program: "stack_writes", func: "set_local",
    check: (c) => {
      c.invocations(3);
      [1, 2, 3].forEach((v, i) => {
        const w = c.writes(i);
        c.that(w.length === 1 && w[0]!.size === 4 && w[0]!.bytes === leHex(BigInt(3 * v + 1), 4) && w[0]!.addr >= 0x7ff000000000,
          `invocation ${i}: expected exactly the 4-byte write ${3 * v + 1} to the caller's local, got ${JSON.stringify(w)}`);
      });
    },
  },
  {
    name: "stack_writes/copy_to_stack", program: "stack_writes", func: "copy_to_stack", inProcess: true,
    check: (c) => {
      c.invocations(3);
      [1, 2, 3].forEach((k, i) => {
        const n = 20 * k + 3;
        const text = String.fromCharCode(65 + n) + PATTERN.slice(1, n) + "\0";
        c.reg(i, 0, BigInt(n), 4).writeContains(i, strHex(text), `the ${n + 1} bytes copied into the caller's buffer`);
        // tmp[256] is F's own frame: never logged.
        c.that(!c.writes(i).some((w) => w.bytes.includes(strHex(PATTERN))), `invocation ${i}: F's own tmp[] was logged`);
      });
    },
  },
  {
    name: "mmap_fill/map_table", program: "mmap_fill", func: "map_table",
    check: (c) => {
      c.invocations(3);
      [1, 2, 3].forEach((k, i) => {
        const n = 3000 * k;
        const mm = c.syscalls(i, "mmap")[0];
        const t = c.raxValue(i);
        c.that(mm !== undefined && mm.args[1] === String(n * 4) && BigInt(mm.result) === t, `invocation ${i}: no mmap of ${n * 4} bytes returning F's result`);
        c.writeAt(i, t + 4n, leHex(2654435761n, 4), "t[1]");
        c.writeAt(i, t + BigInt((n - 1) * 4), leHex(BigInt(n - 1) * 2654435761n, 4), "t[n-1]");
      });
    },
  },
  {
    name: "globals_strncpy/set_name", program: "globals_strncpy", func: "set_name", args: ["gamma-from-argv"], viaEnv: true,
    check: (c) => {
      c.invocations(3);
      const padded = (s: string): string => strHex(s.slice(0, 31).padEnd(31, "\0"));
      c.writeContains(0, padded("alpha"), "strncpy of alpha with its zero padding");
      c.writeContains(1, padded("a much longer name that gets truncated by strncpy"), "the truncated long name");
      c.writeContains(2, padded("gamma-from-argv"), "argv[1]");
      c.writeContains(2, leHex(6n, 4), "counter = 6");
    },
  },
  { name: "printf_loop/print_lines", program: "printf_loop", func: "print_lines", baseline: true, check: printfLoopCheck },
  { name: "printf_loop-static/print_lines", program: "printf_loop-static", func: "print_lines", check: printfLoopCheck },
  { name: "printf_loop-static-pie/print_lines", program: "printf_loop-static-pie", func: "print_lines", check: printfLoopCheck },
  { name: "printf_loop-nopie/print_lines", program: "printf_loop-nopie", func: "print_lines", check: printfLoopCheck },
  {
    name: "tls_bulk/bulk", program: "tls_bulk", func: "bulk", inProcess: true,
    check: (c) => {
      c.invocations(3);
      [1, 2, 3].forEach((k, i) => {
        c.writeContains(i, strHex(`tls-${k}\0`), `the %fs-based thread-local tag tls-${k}`);
        c.that(c.writes(i).some((w) => w.size >= 60000 && w.bytes.startsWith(strHex(String.fromCharCode(97 + k).repeat(64)))),
          `invocation ${i}: no 64 KiB memset/memcpy write`);
      });
    },
  },
  {
    name: "syscalls_mix/probe", program: "syscalls_mix", func: "probe", inProcess: false,
    check: (c) => {
      c.invocations(2);
      for (let i = 0; i < 2; i++) {
        const names = c.syscalls(i).map((s) => s.name);
        for (const want of ["openat", "read", "lseek", "close", "getrandom", "write"]) c.that(names.includes(want), `invocation ${i}: no ${want} in ${names.join(",")}`);
        const rd = c.syscalls(i, "read")[0];
        c.that(rd !== undefined && rd.result === "4" && rd.writes.some((w) => w.bytes === "7f454c46"), `invocation ${i}: read did not log the ELF magic`);
        const gr = c.syscalls(i, "getrandom")[0];
        c.that(gr !== undefined && gr.result === "8" && gr.writes.some((w) => w.size === 8), `invocation ${i}: getrandom did not log its 8 bytes`);
        // read() wrote the caller's magic[]: a syscall write, not an instruction's.
        c.that(!c.writes(i).some((w) => w.bytes.includes("7f454c46")), `invocation ${i}: the kernel's write was logged as F's`);
        c.reg(i, 0, 13n, 4);
      }
    },
  },
  {
    // Fails with either engine when the inputs outside F are not fed (--live-inputs): the page
    // engine misses stores of equal bytes, and the output is a checksum of F's stores.
    name: "random_outside/fill", program: "random_outside", func: "fill", baseline: true,
    check: (c) => {
      c.invocations(3);
      // main's three getrandom calls, and glibc malloc's 8-byte key for the stdout buffer.
      const outside = c.dump.inputs.filter((i) => !i.inside_function && i.name === "getrandom");
      const sizes = outside.map((i) => `${i.result}:${i.writes[0]?.size}`).join(" ");
      c.that(sizes === "65536:65536 8:8 65536:65536 65536:65536", `getrandom inputs outside F (result:bytes logged): ${sizes}`);
    },
  },
  {
    // F on a worker thread while another thread writes its own data: the writer's stores must not
    // become F's (the printed sums would differ), and no breakpoint may hit an untraced thread.
    name: "threads/mix", program: "threads", func: "mix", baseline: true,
    check: (c) => {
      c.invocations(20);
      c.that(c.dump.invocations.every((i) => i.thread === 2), `threads ${JSON.stringify(c.dump.invocations.map((i) => i.thread))}, expected 2 (the worker, created second)`);
      const written = c.dump.invocations.map((i) => i.events.reduce((n, e) => n + (e.kind === "write" ? e.size : 0), 0));
      c.that(written.every((n) => n <= 512 * 8), `bytes written per invocation ${written.join(",")}: more than F's own 4 KiB array (the writer's stores?)`);
    },
  },
  {
    // Two threads call F at once and use its result: each thread's calls replay in its own order.
    name: "threads_concurrent/step", program: "threads_concurrent", func: "step", baseline: true, inProcess: false,
    check: (c) => {
      c.invocations(60);
      const on = (t: number): number => c.dump.invocations.filter((i) => i.thread === t).length;
      c.that(on(1) === 30 && on(2) === 30, `calls per thread: ${on(1)} on thread 1, ${on(2)} on thread 2; expected 30 and 30`);
    },
  },
  {
    // F never called: a warning naming it, and a log with no invocation all the same.
    name: "heap-static/qsort (never called)", program: "heap-static", func: "qsort",
    alpacaLine: /^alpaca: warning: qsort was never called in this run/,
    check: (c) => { c.invocations(0); },
  },
  {
    name: "recursion/fib", program: "recursion", func: "fib", inProcess: true,
    check: (c) => { c.invocations(3); [10, 16, 22].forEach((n, i) => c.reg(i, 0, fib(n))); c.writeContains(2, leHex(fib(20), 8), "memo[20]"); },
  },
  {
    name: "fork_child/square", program: "fork_child", func: "square",
    // The forked child's call runs natively and is not logged: two invocations, the parent's.
    check: (c) => { c.invocations(2).reg(0, 0, 4n, 4).reg(1, 0, 16n, 4); },
  },
  {
    name: "exit_inside/step", program: "exit_inside", func: "step",
    check: (c) => {
      c.invocations(3).reg(0, 0, 10n, 4).reg(1, 0, 20n, 4);
      const last = c.inv(2);
      c.that(last.status === "exited" && last.exit_code === 42, `invocation 2: status ${last.status} ${last.exit_code}, expected exited 42`);
      c.that(c.syscalls(2, "write").some((w) => w.reads.some((r) => r.bytes.includes(strHex("step 3\n")))), "invocation 2: exit did not flush 'step 3'");
      c.that(c.syscalls(2).at(-1)?.name === "exit_group", "invocation 2: last event is not exit_group");
      c.that(c.dump.end.outcome === "exited" && c.dump.end.exit_code === 42, `end ${JSON.stringify(c.dump.end)}`);
    },
  },
  {
    name: "crash_inside/poke", program: "crash_inside", func: "poke",
    check: (c) => {
      c.invocations(2).reg(0, 0, 6n, 4);
      c.writeContains(0, leHex(5n, 4), "5 in cell");
      const inv = c.inv(1);
      c.that(inv.status === "trapped" && /signal 11/.test(inv.trap ?? ""), `invocation 1: ${inv.status} ${inv.trap}`);
      c.that(c.dump.end.outcome === "trapped" && c.dump.end.exit_code === 139, `end ${JSON.stringify(c.dump.end)}`);
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Running the CLI

interface Run {
  stdout: Buffer;
  stderr: Buffer;
  status: number | null;
  command: string;
}

/** The analysis engine of the current case (step or pages), passed as ALPACA_NATIVE_ENGINE. */
let engine = "step";

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { ALPACA_NATIVE_ENGINE: engine };
  for (const k of ["PATH", "HOME", "LANG"]) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return env;
}

/** Runs the CLI (under `wrapper` when given, e.g. build/test-suite/native/no_ptrace). */
async function runCli(args: string[], cwd: string, env: Record<string, string> = {}, wrapper?: string): Promise<Run> {
  const command = `${Object.entries(env).map(([k, v]) => `${k}=${v} `).join("")}${wrapper ? `${wrapper} ` : ""}alpaca ${args.join(" ")}`;
  const r = await runAlpaca(args, { cwd, env: { ...baseEnv(), ...env }, ...(wrapper ? { wrapper } : {}) });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, command };
}

function excerpt(b: Buffer): string {
  const s = b.toString("utf8");
  return JSON.stringify(s.length > 300 ? `${s.slice(0, 300)}…` : s);
}

/** Why two runs differ, or null when stdout, stderr and status are identical. */
function compareRuns(a: Run, b: Run, what: string): string | null {
  if (a.status !== b.status) return `${what}: exit status ${a.status} vs ${b.status} (stderr ${excerpt(b.stderr)})`;
  if (!a.stdout.equals(b.stdout)) return `${what}: stdout differs: ${excerpt(a.stdout)} vs ${excerpt(b.stdout)}`;
  if (!a.stderr.equals(b.stderr)) return `${what}: stderr differs: ${excerpt(a.stderr)} vs ${excerpt(b.stderr)}`;
  return null;
}

/** The plain run of a case, shared by both engines. */
async function runPlain(tc: NativeCase, work: string): Promise<Run | string> {
  const prog = join(BUILD, tc.program);
  if (!existsSync(prog)) return `${prog} is not built (run make native-test-suite)`;
  return runCli(["run", prog, ...(tc.args ?? [])], work);
}

/** Analyze and disable with one engine; compare with the plain run; check the log. */
async function runCase(tc: NativeCase, plain: Run, eng: string, work: string): Promise<string | null> {
  engine = eng;
  const prog = join(BUILD, tc.program);
  const args = tc.args ?? [];
  const log = join(work, `${tc.name.replace(/\W/g, "_")}-${eng}.alog`);
  const analyzed = withoutAlpacaLine(await runCli(["analyze", "--func", tc.func, "--log", log, prog, ...args], work), tc.alpacaLine, "analyze");
  if (typeof analyzed === "string") return analyzed;
  const diff1 = compareRuns(plain, analyzed, "analyzed vs plain");
  if (diff1) return diff1;
  if (!existsSync(log)) return `analyze left no log (${analyzed.command})`;
  const disabled = await runCli(["disable", "--func", tc.func, "--log", log, prog, ...args], work);
  const diff2 = compareRuns(analyzed, disabled, "disabled vs analyzed");
  if (diff2) return diff2;
  if (tc.viaEnv) {
    const envLog = `${log}.env`;
    const a = await runCli(["run", prog, ...args], work, { ALPACA_MODE: "a", ALPACA_FUNC: tc.func, ALPACA_LOG: envLog });
    const d = await runCli(["run", prog, ...args], work, { ALPACA_MODE: "d", ALPACA_FUNC: tc.func, ALPACA_LOG: envLog });
    const diff = compareRuns(plain, a, "ALPACA_MODE=a vs plain") ?? compareRuns(a, d, "ALPACA_MODE=d vs ALPACA_MODE=a");
    if (diff) return diff;
  }
  if (eng === "step") {
    // The other replay: every call stopped under ptrace, the same output.
    const viaPtrace = await runCli(["disable", "--func", tc.func, "--log", log, prog, ...args], work, { ALPACA_NATIVE_REPLAY: "ptrace" });
    const diff = compareRuns(analyzed, viaPtrace, "disabled (ALPACA_NATIVE_REPLAY=ptrace) vs analyzed");
    if (diff) return diff;
  }
  if (tc.inProcess !== undefined && eng === "step") {
    const verbose = await runCli(["--verbose", "disable", "--func", tc.func, "--log", log, prog, ...args], work);
    const said = /"inProcess":(true|"[^"]*")/.exec(verbose.stderr.toString("utf8"))?.[1];
    if ((said === "true") !== tc.inProcess) return `in-process replay: expected ${tc.inProcess}, the run said ${said ?? "nothing"}`;
    // A control run (F runs, then its writes again, through the trampoline) behaves as plain;
    // where the replay is not in process, control runs are refused in one line.
    const c = await runCli(["run", prog, ...args], work, { ALPACA_MODE: "c", ALPACA_FUNC: tc.func, ALPACA_LOG: log });
    if (tc.inProcess) {
      const diff = compareRuns(plain, c, "control vs plain");
      if (diff) return diff;
    } else if (c.status !== EXIT_ALPACA_FAILURE || !/^alpaca: native control runs replay in process, which this run cannot: /.test(c.stderr.toString("utf8"))) {
      return `control run where the replay is not in process: status ${c.status}, stderr ${excerpt(c.stderr)}`;
    }
  }
  if ((tc.viaEnv || tc.baseline) && eng === "step") {
    const b = await runCli(["run", prog, ...args], work, { ALPACA_MODE: "b", ALPACA_FUNC: tc.func, ALPACA_LOG: log });
    const diff = compareRuns(plain, b, "baseline vs plain");
    if (diff) return diff;
  }
  const dumped = await runCli(["log", "dump", "--json", log], work);
  if (dumped.status !== 0) return `log dump failed: ${excerpt(dumped.stderr)}`;
  const dump = JSON.parse(dumped.stdout.toString("utf8")) as DumpJson;
  const c = new Check(dump, eng === "step");
  c.that(dump.backend === "x86-64", `backend ${dump.backend}`);
  c.that(dump.function.name === tc.func, `function ${dump.function.name}`);
  c.that(JSON.stringify(dump.function.results) === JSON.stringify(["i64", "i64", "v128", "v128"]), `results ${JSON.stringify(dump.function.results)}`);
  c.that(JSON.stringify(dump.args) === JSON.stringify(args), `args ${JSON.stringify(dump.args)}`);
  c.that(dump.end.exit_code === (plain.status ?? -1), `end exit code ${dump.end.exit_code} vs ${plain.status}`);
  try {
    tc.check(c);
  } catch (e) {
    return `log check: ${e instanceof Error ? e.message : String(e)}`;
  }
  return c.problems.length ? `log check: ${c.problems.slice(0, 3).join("; ")}${c.problems.length > 3 ? ` (+${c.problems.length - 3} more)` : ""}` : null;
}

// ---------------------------------------------------------------------------------------------
// Alpaca's own failures: one line, status 125, no log

interface FailureCase {
  name: string;
  /** Builds the input in the work directory; returns the CLI arguments. */
  setup(work: string): string[];
  env?: Record<string, string>;
  /** A program to run the CLI under. */
  wrapper?: string;
  /** The one line must match. */
  message: RegExp;
}

const FAILURES: FailureCase[] = [
  {
    name: "error/malformed-elf",
    setup: (work) => {
      const p = join(work, "truncated");
      writeFileSync(p, Buffer.concat([Buffer.from("\x7fELF", "latin1"), Buffer.alloc(12, 2)]));
      return ["analyze", "--func", "f", "--log", join(work, "x.alog"), p];
    },
    message: /malformed ELF|not an ELF/,
  },
  {
    name: "error/wrong-architecture",
    setup: (work) => {
      const p = join(work, "aarch64");
      const b = readFileSync(join(BUILD, "printf_loop"));
      b.writeUInt16LE(183, 18); // e_machine = EM_AARCH64
      writeFileSync(p, b, { mode: 0o755 });
      return ["analyze", "--func", "print_lines", "--log", join(work, "x.alog"), p];
    },
    message: /wrong architecture/,
  },
  {
    name: "error/stripped",
    setup: (work) => {
      const p = join(work, "stripped");
      copyFileSync(join(BUILD, "printf_loop"), p);
      return ["strip", p];
    },
    message: /stripped/,
  },
  {
    name: "error/shared-object",
    setup: (work) => {
      const src = join(work, "lib.c");
      writeFileSync(src, "int twice(int x) { return 2 * x; }\n");
      execFileSync("gcc", ["-O1", "-shared", "-fPIC", "-o", join(work, "lib.so"), src]);
      return ["analyze", "--func", "twice", "--log", join(work, "x.alog"), join(work, "lib.so")];
    },
    message: /lib\.so: cannot run this ELF file as PROGRAM: it is a shared library/,
  },
  {
    name: "error/not-executable",
    setup: (work) => {
      const p = join(work, "no-x");
      writeFileSync(p, readFileSync(join(BUILD, "printf_loop")), { mode: 0o644 });
      return ["analyze", "--func", "print_lines", "--log", join(work, "x.alog"), p];
    },
    message: /cannot execute .*no-x: Permission denied/,
  },
  {
    name: "error/waits-for-held-thread",
    setup: (work) => ["analyze", "--func", "join_it", "--log", join(work, "x.alog"), join(BUILD, "threads_wait")],
    message: /^alpaca: native: the function waits for another thread \(a futex wait\) while Alpaca holds the program's other threads/,
  },
  {
    name: "error/unknown-function",
    setup: (work) => ["analyze", "--func", "no_such_function", "--log", join(work, "x.alog"), join(BUILD, "printf_loop")],
    message: /function no_such_function not found in .*printf_loop/,
  },
  {
    name: "error/helper-not-built",
    setup: (work) => ["analyze", "--func", "print_lines", "--log", join(work, "x.alog"), join(BUILD, "printf_loop")],
    env: { ALPACA_NATIVE_HELPER: "/nonexistent/alpaca-native-helper" },
    message: /native helper not built.*run make/,
  },
  {
    name: "error/ptrace-not-permitted",
    setup: (work) => ["analyze", "--func", "print_lines", "--log", join(work, "x.alog"), join(BUILD, "printf_loop")],
    wrapper: join(BUILD, "no_ptrace"),
    message: /ptrace is not permitted.*ptrace_scope=0.*root/,
  },
  {
    // The analyzed run had SECRET_TOKEN=analyzed-secret-value; the log must not hold the value,
    // and a disable with another value is refused, naming the variable (issue 16).
    name: "error/environment-differs",
    setup: (work) => ["disable", "--func", "print_lines", "--log", join(work, "env.alog"), join(BUILD, "printf_loop")],
    env: { SECRET_TOKEN: "another-value" },
    message: /environment differs from the analyzed run's in SECRET_TOKEN: disable needs the same environment/,
  },
  {
    name: "error/log-for-another-program",
    setup: (work) => ["disable", "--func", "print_lines", "--log", join(work, "other.alog"), join(BUILD, "printf_loop-nopie")],
    message: /different program/,
  },
];

async function runFailure(fc: FailureCase, work: string): Promise<string | null> {
  let args = fc.setup(work);
  if (args[0] === "strip") {
    const stripped = args[1]!;
    const r = await new Promise<number | null>((resolve) => spawn("strip", [stripped], { stdio: "ignore" }).on("close", resolve));
    if (r !== 0) return "strip failed";
    args = ["analyze", "--func", "print_lines", "--log", join(work, "x.alog"), stripped];
  }
  if (fc.name === "error/log-for-another-program") {
    const ok = await runCli(["analyze", "--func", "print_lines", "--log", join(work, "other.alog"), join(BUILD, "printf_loop")], work);
    if (ok.status !== 4) return `setup analyze failed: ${excerpt(ok.stderr)}`;
  }
  if (fc.name === "error/environment-differs") {
    const secret = "analyzed-secret-value";
    const log = join(work, "env.alog");
    const ok = await runCli(["analyze", "--func", "print_lines", "--log", log, join(BUILD, "printf_loop")], work, { SECRET_TOKEN: secret });
    if (ok.status !== 4) return `setup analyze failed: ${excerpt(ok.stderr)}`;
    if (readFileSync(log).includes(secret)) return "the log holds the value of SECRET_TOKEN";
    const same = await runCli(["disable", "--func", "print_lines", "--log", log, join(BUILD, "printf_loop")], work, { SECRET_TOKEN: secret });
    if (same.status !== 4 || same.stderr.length !== ok.stderr.length) return `disable with the same environment: status ${same.status}, stderr ${excerpt(same.stderr)}`;
  }
  const before = new Set(readdirSync(work));
  const r = await runCli(args, work, fc.env, fc.wrapper);
  const lines = r.stderr.toString("utf8").split("\n").filter((l) => l !== "");
  if (r.status !== EXIT_ALPACA_FAILURE) return `exit status ${r.status}, expected ${EXIT_ALPACA_FAILURE} (stderr ${excerpt(r.stderr)})`;
  if (lines.length !== 1 || !lines[0]!.startsWith("alpaca: ")) return `expected one "alpaca: " line, got ${excerpt(r.stderr)}`;
  if (!fc.message.test(lines[0]!)) return `message ${JSON.stringify(lines[0])} does not match ${String(fc.message)}`;
  const left = readdirSync(work).filter((f) => !before.has(f));
  if (left.length) return `left files behind: ${left.join(", ")}`;
  return null;
}

/**
 * A signal from outside during the analysis (wait_inside.c waits inside F and prints its pid):
 * the analysis fails with one alpaca: line, exit 125, and the log already at the path is kept
 * byte for byte, with no temporary file left.
 */
async function runKilledFromOutside(signal: "SIGKILL" | "SIGTERM", work: string): Promise<string | null> {
  const log = join(work, "wait.alog");
  const old = Buffer.from("an older log, to be kept\n");
  writeFileSync(log, old);
  const child = spawnCli(["analyze", "--func", "wait_forever", "--log", log, join(BUILD, "wait_inside")], {
    cwd: work, env: baseEnv(), stdio: ["ignore", "pipe", "pipe"],
  });
  const err: Buffer[] = [];
  child.stderr!.on("data", (b: Buffer) => err.push(b));
  let out = "";
  const pid = await new Promise<number | null>((resolve) => {
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString("utf8");
      const m = /^(\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on("close", () => resolve(null));
  });
  if (pid === null) return `the program ended before printing its pid (stderr ${excerpt(Buffer.concat(err))})`;
  await new Promise((r) => setTimeout(r, 300)); // into pause(), inside F
  process.kill(pid, signal);
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const stderr = Buffer.concat(err);
  const lines = stderr.toString("utf8").split("\n").filter((l) => l !== "");
  const want = new RegExp(`^alpaca: the program was killed by signal \\d+ \\(${signal}\\), sent from outside it, during wait_forever's invocation 0: no log written \\(.*wait\\.alog is left as it was\\)$`);
  if (status !== EXIT_ALPACA_FAILURE) return `exit status ${status}, expected ${EXIT_ALPACA_FAILURE} (stderr ${excerpt(stderr)})`;
  if (lines.length !== 1 || !want.test(lines[0]!)) return `expected one line matching ${String(want)}, got ${excerpt(stderr)}`;
  if (!readFileSync(log).equals(old)) return "the existing log was changed";
  const left = readdirSync(work).filter((f) => f !== "wait.alog");
  return left.length ? `left files behind: ${left.join(", ")}` : null;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const keep = argv.includes("--keep");
  const valueOf = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const e = valueOf("--engine");
  const engines = e !== undefined && e !== "both" ? [e] : ["step", "pages"];
  const repeat = Number(valueOf("--repeat") ?? 1);
  const load = Number(valueOf("--load") ?? 0);
  const filters = argv.filter((a, i) => !a.startsWith("--") && !["--engine", "--repeat", "--load"].includes(argv[i - 1] ?? ""));
  const selected = (name: string): boolean => filters.length === 0 || filters.some((f) => name.includes(f));
  if (!existsSync(HELPER)) {
    console.log(`FAIL setup: ${HELPER} is not built (run make)`);
    console.log("0 passed, 1 failed");
    return 1;
  }
  const work = mkdtempSync(join(tmpdir(), "alpaca-native-e2e-"));
  let passed = 0;
  let failed = 0;
  const report = (name: string, problem: string | null): void => {
    if (problem === null) {
      passed++;
      console.log(`ok   ${name}`);
    } else {
      failed++;
      console.log(`FAIL ${name}: ${problem}`);
    }
  };
  // --load K: K processes spinning on the CPU for the whole run (the stress test, make native-stress).
  const spinners = Array.from({ length: load }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
  try {
    for (let round = 1; round <= repeat; round++) {
      if (repeat > 1) console.log(`round ${round} of ${repeat}${load ? ` (${load} CPU-bound processes beside)` : ""}`);
      for (const tc of CASES.filter((c) => selected(c.name))) {
        const plain = await runPlain(tc, work);
        for (const eng of engines) {
          const name = `${tc.name} [${eng}]`;
          if (typeof plain === "string") report(name, plain);
          else report(name, await runCase(tc, plain, eng, work).catch((err: unknown) => `harness error: ${String(err)}`));
        }
      }
    }
  } finally {
    for (const s of spinners) s.kill("SIGKILL");
  }
  engine = "step";
  for (const fc of FAILURES.filter((c) => selected(c.name))) {
    const dir = mkdtempSync(join(work, "fail-"));
    report(fc.name, await runFailure(fc, dir).catch((e: unknown) => `harness error: ${String(e)}`));
  }
  for (const signal of ["SIGKILL", "SIGTERM"] as const) {
    const name = `error/killed-from-outside (${signal})`;
    if (!selected(name)) continue;
    const dir = mkdtempSync(join(work, "kill-"));
    report(name, await runKilledFromOutside(signal, dir).catch((e: unknown) => `harness error: ${String(e)}`));
  }
  if (!keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
