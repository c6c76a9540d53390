/**
 * The end-to-end cases: which test-suite program to run, which function to analyze and
 * disable, with what arguments, stdin, preopened directories and environment, and what the
 * effect log must show. Expected values are derived from the C sources (re-computed here in
 * TypeScript where the source implies them), never copied from a log. run-tests.ts executes
 * every case; the format of the log dump is src/log/dump.ts.
 *
 * Memory regions used by `writesIn`: wasm-ld's default layout puts static data from address
 * 1024, then the 64 KiB shadow stack (growing down from the initial `__stack_pointer`), then the
 * heap. The harness reads the initial stack pointer from the module's global section.
 */

import type { EventJson, InvocationJson, LogJson, RangeJson, ValueJson } from "../src/log/index.js";

/** Value types as the dump spells them. */
export type ValType = "i32" | "i64" | "f32" | "f64" | "v128";

/** The `alpaca log dump --json` document and its parts (src/log/dump.ts). */
export type DumpJson = LogJson;
export type ReturnJson = ValueJson;
export type { EventJson, InvocationJson, RangeJson };

/** One finished run of the CLI. */
export interface RunResult {
  stdout: Buffer;
  stderr: Buffer;
  status: number | null;
  signal: string | null;
}

/** What custom checks get to look at. */
export interface CheckContext {
  dump: DumpJson;
  plain: RunResult;
  analyzed: RunResult;
  /** Initial `__stack_pointer`: the top of the shadow stack. */
  stackTop: number;
  /** Lowest address of the shadow stack (stackTop - 64 KiB). */
  stackLow: number;
  /** Wasm global index by name (from the name section). */
  globalIndex: (name: string) => number | undefined;
}

/** A directory preopened as `guest`, created fresh before every run with these files. */
export interface DirSpec {
  guest: string;
  files: Record<string, string>;
  /** Preopen with `--dir HOST` (the same path on both sides); `guest` is ignored and `{dirN}` in
   * the arguments stands for the host path. */
  samePath?: boolean;
}

export type Region = "stack" | "static" | "heap";

/** What the effect log must show. */
export interface Expect {
  params?: ValType[];
  results: ValType[];
  /** Exact number of invocations, or derived from the analyzed run's output. */
  invocations: number | ((ctx: CheckContext) => number);
  /** Expected returns of the first returns.length invocations (every returned one, usually). */
  returns?: ReturnJson[][];
  /** The last invocation ends in exit() with this code; all others return. */
  exitedLast?: number;
  /** The last invocation traps with a message containing this; all others return. */
  trappedLast?: string;
  /** true: every invocation writes; false: none does; an array: per invocation. */
  writes?: boolean | boolean[];
  /** Every write event lies in this region. */
  writesIn?: Region;
  /** Each of these syscalls appears inside F (in some invocation). */
  syscalls?: string[];
  /** No syscall other than these appears inside F ([] means F makes no WASI calls). */
  onlySyscalls?: string[];
  /** true: some invocation grows memory; false: none does. */
  grow?: boolean;
  /** Recorded nondeterministic inputs that must be present, by where they were taken. */
  inputsInside?: string[];
  inputsOutside?: string[];
  /** Anything else the source implies; returns a reason on failure. */
  check?: (ctx: CheckContext) => string | undefined;
}

export interface Case {
  name: string;
  /** test-suite/PROGRAM.c, built to build/test-suite/PROGRAM.wasm. */
  program: string;
  func: string;
  args: string[];
  stdin?: string;
  /** The disabled run's stdin, when it must differ: stdin is a recorded input, fed to the
   * disabled run from the log, so what is given here must never be read. */
  disabledStdin?: string;
  dirs?: DirSpec[];
  /** The guest's environment, passed with --env K=V. */
  env?: Record<string, string>;
  /** Exit status of the plain run. */
  exitCode: number;
  /** The run ends in a trap (the CLI's `wasm trap: ...` line on stderr is expected). */
  trap?: boolean;
  /** Output depends on clock/random: the plain run's stdout is not compared with the analyzed
   * run's (everything else is, and the disabled run must equal the analyzed run in full). */
  nondeterministic?: boolean;
  /** Also analyze and disable through ALPACA_MODE/ALPACA_FUNC/ALPACA_LOG with `alpaca run`. */
  envForm?: boolean;
  /** Extra options for the disabled run, e.g. --strict. */
  disableFlags?: string[];
  /** Use the default log path (F.alog in the working directory) instead of --log. */
  defaultLog?: boolean;
  /** Compute-heavy: the disabled run's CPU time must be below maxRatio x the plain run's. */
  heavy?: { maxRatio: number };
  /** The one `alpaca: warning:` line the analyzed run must print; its stderr is otherwise the plain run's. */
  analyzeWarning?: RegExp;
  expect: Expect;
}

// ---------------------------------------------------------------------------------------------
// Value helpers

const i32 = (v: number): ReturnJson => ({ type: "i32", value: v | 0 });
const i64 = (v: bigint): Extract<ReturnJson, { type: "i64" }> => ({ type: "i64", value: BigInt.asIntN(64, v).toString() });

function floatValue(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

function f32Bits(bits: number): ReturnJson {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, bits >>> 0, true);
  return { type: "f32", bits: `0x${(bits >>> 0).toString(16).padStart(8, "0")}`, value: floatValue(dv.getFloat32(0, true)) };
}

function f32(x: number): ReturnJson {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, x, true);
  return f32Bits(dv.getUint32(0, true));
}

function f64Bits(bits: bigint): ReturnJson {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setBigUint64(0, BigInt.asUintN(64, bits), true);
  return { type: "f64", bits: `0x${BigInt.asUintN(64, bits).toString(16).padStart(16, "0")}`, value: floatValue(dv.getFloat64(0, true)) };
}

function f64(x: number): ReturnJson {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x, true);
  return f64Bits(dv.getBigUint64(0, true));
}

const returnsOf = (values: ReturnJson[]): ReturnJson[][] => values.map((v) => [v]);
const voidReturns = (n: number): ReturnJson[][] => Array.from({ length: n }, () => []);

/** Lines of a run's stdout. */
function lines(r: RunResult): string[] {
  return r.stdout.toString("utf8").split("\n");
}

function i32Returns(dump: DumpJson): number[] | string {
  const out: number[] = [];
  for (const inv of dump.invocations) {
    const r = inv.returns[0];
    if (!r || r.type !== "i32") return `invocation ${inv.index} has no i32 return`;
    out.push(r.value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Re-computations of what the C sources compute

function collatzDelta(n: number): number {
  let steps = 0;
  while (n > 1) {
    n = n & 1 ? 3 * n + 1 : n / 2;
    steps++;
  }
  return steps - 100;
}

function rotmix(x: bigint, r: number): bigint {
  r &= 63;
  const rot = BigInt.asUintN(64, (x << BigInt(r)) | (x >> BigInt((64 - r) & 63)));
  return BigInt.asUintN(64, rot * 0x9e3779b97f4a7c15n + BigInt(r));
}

function fnv1a64(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(s, "utf8")) {
    h ^= BigInt(b);
    h = BigInt.asUintN(64, h * 0x100000001b3n);
  }
  return h;
}

function f32Picks(x0: number, n: number): ReturnJson[] {
  const out: ReturnJson[] = [];
  let x = Math.fround(x0);
  for (let k = 0; k < n; k++) {
    switch (k % 5) {
      case 0: out.push(f32(x * 1.5)); break;
      case 1: out.push(f32(Math.sqrt(x))); break;
      case 2: out.push(f32Bits(0x7fa00000 | k)); break;
      case 3: out.push(f32Bits((0xffc0beef ^ k) >>> 0)); break;
      default: out.push(f32Bits(0x80000000)); break;
    }
    x = Math.fround(x + 0.25);
  }
  return out;
}

function f64Picks(x0: number, n: number): ReturnJson[] {
  const out: ReturnJson[] = [];
  let x = x0;
  for (let k = 0; k < n; k++) {
    switch (k % 5) {
      case 0: out.push(f64(x / 3)); break;
      case 1: out.push(f64(x * x - k)); break;
      case 2: out.push(f64Bits(0x7ff4000000000000n | (BigInt(k) << 8n) | 0xabn)); break;
      case 3: out.push(f64Bits(0xfff8dead0000beefn ^ BigInt(k))); break;
      default: out.push(f64(-Infinity)); break;
    }
    x = x * 1.5 + 0.125;
  }
  return out;
}

/** musl's rand(): a 64-bit LCG, srand(s) sets the state to s - 1. */
function muslRand(seed: number): () => number {
  let state = BigInt.asUintN(64, BigInt(seed) - 1n);
  return () => {
    state = BigInt.asUintN(64, 6364136223846793005n * state + 1n);
    return Number(state >> 33n);
  };
}

function diceRolls(seed: number, rolls: number): number[] {
  const rand = muslRand(seed);
  const out: number[] = [];
  for (let i = 0; i < rolls; i++) {
    out.push((rand() % (6 + (i % 3))) + 1);
    rand(); // the caller's draw
  }
  return out;
}

function opMixCalls(prog: string, acc0: number): number[] {
  const out: number[] = [];
  let acc = acc0 | 0;
  for (let i = 0; i < prog.length; i++) {
    const b = i + 3;
    switch (prog.charAt(i)) {
      case "a": acc = (acc + b) | 0; break;
      case "m": acc = Math.imul(acc, b); break;
      case "x": {
        let x = (Math.imul(acc, 2654435761 | 0) ^ b) >>> 0;
        x = (x ^ (x >>> 13)) >>> 0;
        acc = x % 100000;
        out.push(acc);
        break;
      }
      default: acc = (acc - b) | 0; break;
    }
  }
  return out;
}

function bumpReturns(n: number): number[] {
  const counters = new Uint32Array(64);
  const out: number[] = [];
  let key = 7;
  for (let i = 0; i < n; i++) {
    const v = ++counters[key & 63]!;
    out.push(v | 0);
    key = (Math.imul(key, 31) + v + i) & 63;
  }
  return out;
}

function fib(n: number): bigint {
  let a = 0n, b = 1n;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

/** Word count as count_words does it (C isspace: space, \t \n \v \f \r). */
function countWords(text: string): number {
  return text.split(/[ \t\n\v\f\r]+/).filter((w) => w.length > 0).length;
}

function reportLength(tag: string, i: number): number {
  const value = i * 37 - 500;
  const label = i % 2 ? "odd" : "even";
  const hex = `0x${(value >>> 0).toString(16)}`;
  return Buffer.byteLength(`[${tag}/${label}] value=${value} square=${value * value} hex=${hex}\n`, "utf8");
}

/** The table test-suite/write_file.c's save_report writes for `n` values. */
function reportText(n: number): string {
  const vals = Array.from({ length: n }, (_, i) => ((i * 7919) % 101) - 50);
  let text = `# ${n} values\n`;
  for (let i = 0; i < n; i++) text += `${i},${vals[i]!},${vals[i]! * vals[i]!}\n`;
  return text;
}

function reportBytes(n: number): number {
  return reportText(n).length;
}

function digitStats(n: number): number {
  let text = "";
  for (let i = 1; i <= n && text.length < 2048 - 16; i++) text += String(i * i);
  const counts = new Array<number>(10).fill(0);
  for (const ch of text) counts[Number(ch)]!++;
  let best = 0;
  for (let d = 1; d < 10; d++) if (counts[d]! > counts[best]!) best = d;
  const digitSum = (s: string): number => [...s].reduce((a, ch) => a + Number(ch), 0);
  const helper = (s: string, depth: number): number => digitSum(s) + (depth > 0 && s.length > 0 ? helper(s.slice(1), depth - 1) : 0);
  return best * 100000 + helper(text, 6) * 10 + (text.length & 7);
}

function blendReturns(rounds: number): number[] {
  const N = 4096;
  const src = new Uint8Array(N);
  for (let i = 0; i < N; i++) src[i] = (i * 7 + 3) & 0xff;
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const seed = r * 17 + 1;
    out.push((src[seed & (N - 1)]! + seed) & 0xff);
    src[r] = src[r]! ^ 0xff;
  }
  return out;
}

/** The i64 values main reads back from g_ticks after each record(name, value) call. */
function ticksAfter(values: number[]): bigint[] {
  let t = 0n;
  return values.map((v) => (t += BigInt(v * 3 + 1)));
}

// ---------------------------------------------------------------------------------------------
// Checks shared by several cases

/** Returned pointers differ by the same amounts as the offsets the program printed. */
function pointerOffsetsMatch(ctx: CheckContext, pattern: RegExp): string | undefined {
  const rets = i32Returns(ctx.dump);
  if (typeof rets === "string") return rets;
  const printed = lines(ctx.analyzed).flatMap((l) => {
    const m = pattern.exec(l);
    return m?.[1] !== undefined ? [Number(m[1])] : [];
  });
  if (printed.length !== rets.length) return `printed ${printed.length} offsets for ${rets.length} invocations`;
  for (let k = 0; k < rets.length; k++) {
    if (rets[k]! - rets[0]! !== printed[k]! - printed[0]!) {
      return `invocation ${k} returned ${rets[k]!} (printed offset ${printed[k]!}); invocation 0 returned ${rets[0]!} (offset ${printed[0]!})`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The cases

const collatzArgs = ["27", "97", "871", "1", "6"];
const collatzTotal = collatzArgs.map((a) => collatzDelta(Number(a))).reduce((s, d) => s + d, 0);

const fnvArgs = ["hello", "", "alpaca", "energy profiler \u00fcn\u00efcode"];
const fnvXor = fnvArgs.map(fnv1a64).reduce((a, h) => a ^ h, 0n);
/** The rotmix chain main runs after hashing: r = 0, 13, ..., 65. */
const rotmixChain = ((): Array<{ x: bigint; r: number; out: bigint }> => {
  const out: Array<{ x: bigint; r: number; out: bigint }> = [];
  let acc = fnvXor;
  for (let r = 0; r < 70; r += 13) {
    const next = rotmix(acc, r);
    out.push({ x: acc, r, out: next });
    acc = next;
  }
  return out;
})();
const i64Exit = Number(rotmixChain[rotmixChain.length - 1]!.out & 0x3fn);

const people = ["ann:31", "bob:25", "cy:31", "dora:19", "eve:25", "fay:40", "gus:22", "hal:19", "ida:33", "jo:27"];

const textA = "the quick brown fox\njumps over\n\n  the lazy dog  \n";
const textB = "one\ntwo three";

const globalsArgs = ["a", "5", "bb", "-7", "ccc", "100", "a-much-longer-name-than-the-buffer", "0"];
const globalsValues = globalsArgs.filter((_, i) => i % 2 === 1).map(Number);

/** 64 variables of 2 KiB each, and a tag with spaces and non-ASCII characters. */
const bigEnv: Record<string, string> = {
  REPORT_TAG: "big env \u00e9t\u00e9",
  ...Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`FILLER_${i}`, String.fromCharCode(65 + (i % 26)).repeat(2048)])),
};

const stdinText = "1 2 3 4\n5.5 6\n-7 8 9\n";

const epochsInput = "hello world\nsecond line of input\nthird\n";
const slurpInput = Array.from({ length: 60000 }, (_, i) => `${i + 1}\n`).join("");

/** The kinds of an invocation's events in order, writes and syscalls only, runs collapsed:
 * e.g. ["write", "fd_read", "write", "fd_write", "write"]. */
/**
 * Guest memory as the log's writes leave it: starting from `initial` at every address, each
 * invocation's writes applied in order, then `check` called with a reader of memory so far.
 * Returns the first reason `check` gives.
 */
function afterEachInvocation(dump: DumpJson, initial: number, check: (inv: InvocationJson, byteAt: (addr: number) => number) => string | undefined): string | undefined {
  const mem = new Map<number, number>();
  const byteAt = (addr: number): number => mem.get(addr) ?? initial;
  for (const inv of dump.invocations) {
    for (const e of inv.events) {
      if (e.kind !== "write") continue;
      Buffer.from(e.bytes, "hex").forEach((b, i) => mem.set(e.addr + i, b));
    }
    const why = check(inv, byteAt);
    if (why) return `invocation ${inv.index}: ${why}`;
  }
  return undefined;
}

/** The little-endian u32 at `addr` as `byteAt` reads memory. */
const u32At = (byteAt: (addr: number) => number, addr: number): number => (byteAt(addr) | (byteAt(addr + 1) << 8) | (byteAt(addr + 2) << 16) | (byteAt(addr + 3) << 24)) >>> 0;

/** Every write's address in the log. */
const writeAddrs = (dump: DumpJson): number[] => dump.invocations.flatMap((inv) => inv.events.flatMap((e) => (e.kind === "write" ? [e.addr] : [])));

/** The 16 bins test-suite/ret_void.c's histogram holds after each of `words`. */
function histogramAfter(words: readonly string[]): number[][] {
  const bins = new Array<number>(16).fill(0);
  return words.map((w) => {
    for (const ch of Buffer.from(w)) bins[ch & 15]!++;
    return [...bins];
  });
}

/** The little-endian bytes of `value` as a `width`-byte integer. */
function leBytes(value: bigint, width: number): number[] {
  return Array.from({ length: width }, (_, i) => Number((BigInt.asUintN(width * 8, value) >> BigInt(8 * i)) & 0xffn));
}

/**
 * Each invocation's writes are bytes of one `width`-aligned value: the write at address a must
 * hold byte (a mod width) of `want(index)` (a write records only the bytes that changed).
 */
function writesAreBytesOf(ctx: CheckContext, width: number, want: (index: number) => bigint): string | undefined {
  for (const inv of ctx.dump.invocations) {
    const value = leBytes(want(inv.index), width);
    for (const e of inv.events) {
      if (e.kind !== "write") continue;
      const bytes = Buffer.from(e.bytes, "hex");
      for (let i = 0; i < bytes.length; i++) {
        const at = e.addr + i;
        if (bytes[i] !== value[at % width]) return `invocation ${inv.index}: byte 0x${bytes[i]!.toString(16)} at ${at}, want 0x${value[at % width]!.toString(16)} (of 0x${want(inv.index).toString(16)})`;
      }
    }
  }
  return undefined;
}

/**
 * test-suite/read_file.c: the caller's `lines` is -1 before each call and F leaves the file's
 * line count in it, so invocation i's stack writes, over 0xff bytes, make a word equal to the
 * line count of texts[i].
 */
function lineCountsWritten(ctx: CheckContext, texts: readonly string[]): string | undefined {
  for (const [index, text] of texts.entries()) {
    const inv = ctx.dump.invocations[index]!;
    const lines = text.split("\n").length - 1;
    const words = new Map<number, number[]>();
    for (const e of inv.events) {
      if (e.kind !== "write" || e.addr < ctx.stackLow || e.addr >= ctx.stackTop) continue;
      Buffer.from(e.bytes, "hex").forEach((b, i) => {
        const at = e.addr + i;
        const w = words.get(at & ~3) ?? [0xff, 0xff, 0xff, 0xff];
        w[at & 3] = b;
        words.set(at & ~3, w);
      });
    }
    if (![...words.values()].some((w) => Buffer.from(w).readInt32LE(0) === lines)) return `invocation ${index}: no stack word becomes ${lines} lines`;
  }
  return undefined;
}

/** Guest memory after invocation `upTo` (inclusive) of `dump`, from `initial` everywhere, as `byteAt`. */
function memoryAfter(dump: DumpJson, upTo: number, initial: number): (addr: number) => number {
  const mem = new Map<number, number>();
  for (const inv of dump.invocations.slice(0, upTo + 1)) {
    for (const e of inv.events) if (e.kind === "write") Buffer.from(e.bytes, "hex").forEach((b, i) => mem.set(e.addr + i, b));
  }
  return (addr) => mem.get(addr) ?? initial;
}

/** Whether `byteAt` holds `want` at `base`. */
const holds = (byteAt: (addr: number) => number, base: number, want: ArrayLike<number>): boolean => {
  for (let i = 0; i < want.length; i++) if (byteAt(base + i) !== want[i]) return false;
  return true;
};

/** The start addresses of invocation `index`'s writes. */
const writeStarts = (dump: DumpJson, index: number): number[] => dump.invocations[index]!.events.flatMap((e) => (e.kind === "write" ? [e.addr] : []));

/** test-suite/simd_bulk.c: src, dst and scratch after each of `rounds` blends. */
function blendBuffers(rounds: number): Array<{ dst: Uint8Array; scratch: Uint8Array }> {
  const N = 4096;
  const src = new Uint8Array(N);
  for (let i = 0; i < N; i++) src[i] = (i * 7 + 3) & 0xff;
  const out: Array<{ dst: Uint8Array; scratch: Uint8Array }> = [];
  for (let r = 0; r < rounds; r++) {
    const seed = r * 17 + 1;
    const dst = src.map((v) => (v + seed) & 0xff);
    const scratch = new Uint8Array(N);
    scratch.fill(r + 0x40, 0, N / 2);
    scratch.set(dst.subarray(7, 7 + N / 2), N / 2);
    out.push({ dst, scratch });
    src[r] = src[r]! ^ 0xff;
  }
  return out;
}

/** test-suite/recursion.c's tables after fib_memo(n) for each n in turn: memo as i64 bytes, known as flags. */
function fibTables(calls: readonly number[]): Array<{ memo: Uint8Array; known: Uint8Array }> {
  const memo = new BigInt64Array(93);
  const known = new Uint8Array(93);
  return calls.map((n) => {
    for (let k = 2; k <= n; k++) {
      if (known[k]) continue;
      memo[k] = fib(k);
      known[k] = 1;
    }
    return { memo: new Uint8Array(memo.buffer.slice(0)), known: known.slice() };
  });
}

/** test-suite/qsort_cb.c's records (name[16], age, rank) as bytes. */
function personBytes(people: ReadonlyArray<{ name: string; age: number; rank: number }>): Uint8Array {
  const out = Buffer.alloc(24 * people.length);
  people.forEach((p, i) => {
    out.write(p.name, 24 * i, "latin1");
    out.writeInt32LE(p.age, 24 * i + 16);
    out.writeInt32LE(p.rank, 24 * i + 20);
  });
  return out;
}

/** sort_people's order: by age, then by name (strcmp); ranks from 1. */
function sortedPeople(people: ReadonlyArray<{ name: string; age: number }>): Array<{ name: string; age: number; rank: number }> {
  const byteCmp = (x: string, y: string) => Buffer.compare(Buffer.from(x, "latin1"), Buffer.from(y, "latin1"));
  return [...people].sort((p, q) => p.age - q.age || byteCmp(p.name, q.name)).map((p, i) => ({ ...p, rank: i + 1 }));
}

/** test-suite/matmul.c's inputs for n x n matrices. */
function matmulInputs(n: number): { a: Float64Array; b: Float64Array } {
  const a = new Float64Array(n * n);
  const b = new Float64Array(n * n);
  let x = 12345;
  for (let i = 0; i < n * n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    a[i] = ((x >>> 16) & 0x3ff) / 1024 - 0.5;
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = ((x >>> 16) & 0x3ff) / 1024 - 0.5;
  }
  return { a, b };
}

/** `image` (memory at `base` before invocation `inv`) with the invocation's writes that fall inside it applied. */
function withWrites(image: Uint8Array, base: number, inv: InvocationJson): Uint8Array {
  const out = new Uint8Array(image); // a copy (a Buffer's slice() would share `image`)
  for (const e of inv.events) {
    if (e.kind !== "write") continue;
    Buffer.from(e.bytes, "hex").forEach((b, i) => {
      const o = e.addr + i - base;
      if (o >= 0 && o < out.length) out[o] = b;
    });
  }
  return out;
}

/** The byte at `addr` after invocation `inv` wrote it (undefined when it did not). */
function writtenByte(inv: InvocationJson, addr: number): number | undefined {
  for (const e of inv.events) {
    if (e.kind === "write" && addr >= e.addr && addr < e.addr + e.size) return parseInt(e.bytes.slice(2 * (addr - e.addr), 2 * (addr - e.addr) + 2), 16);
  }
  return undefined;
}

/** What invocation `inv`'s fd_write calls to `fd` read from memory (iovecs and data), as text. */
function fdWritten(inv: InvocationJson, fd: number): string {
  return inv.events.flatMap((e) => (e.kind === "syscall" && e.name === "fd_write" && e.args[0] === String(fd) ? e.reads.map((r) => Buffer.from(r.bytes, "hex").toString("latin1")) : [])).join("");
}

function eventShape(events: EventJson[]): string[] {
  const shape: string[] = [];
  for (const e of events) {
    const k = e.kind === "syscall" ? e.name : e.kind;
    if (k !== "write" && e.kind !== "syscall") continue;
    if (shape[shape.length - 1] !== k) shape.push(k);
  }
  return shape;
}

function checkShapes(ctx: CheckContext, want: string[]): string | undefined {
  for (const inv of ctx.dump.invocations) {
    const got = eventShape(inv.events);
    if (JSON.stringify(got) !== JSON.stringify(want)) return `invocation ${inv.index} events ${JSON.stringify(got)}, want ${JSON.stringify(want)}`;
  }
  return undefined;
}

export const CASES: Case[] = [
  {
    name: "ret_i32",
    program: "ret_i32",
    func: "collatz_delta",
    args: collatzArgs,
    exitCode: (collatzTotal & 0x7fffffff) % 7,
    envForm: true,
    expect: {
      params: ["i32"],
      results: ["i32"],
      invocations: collatzArgs.length,
      returns: returnsOf(collatzArgs.map((a) => i32(collatzDelta(Number(a))))),
      writes: false,
      onlySyscalls: [],
      grow: false,
    },
  },
  {
    name: "ret_i64",
    program: "ret_i64",
    func: "fnv1a64",
    args: fnvArgs,
    exitCode: i64Exit,
    envForm: true,
    defaultLog: true,
    expect: {
      params: ["i32"],
      results: ["i64"],
      invocations: fnvArgs.length,
      returns: returnsOf(fnvArgs.map((a) => i64(fnv1a64(a)))),
      writes: false,
      onlySyscalls: [],
    },
  },
  {
    name: "i64_param",
    program: "ret_i64",
    func: "rotmix",
    args: fnvArgs,
    exitCode: i64Exit,
    expect: {
      params: ["i64", "i32"],
      results: ["i64"],
      invocations: rotmixChain.length,
      returns: returnsOf(rotmixChain.map((c) => i64(c.out))),
      writes: false,
      onlySyscalls: [],
    },
  },
  {
    name: "ret_f32_nan_payload",
    program: "ret_f32",
    func: "f32_pick",
    args: ["2.5", "12"],
    exitCode: 0,
    expect: {
      params: ["i32", "f32"],
      results: ["f32"],
      invocations: 12,
      returns: returnsOf(f32Picks(2.5, 12)),
      writes: false,
      onlySyscalls: [],
    },
  },
  {
    name: "f32_nan_param",
    program: "ret_f32",
    func: "f32_keep",
    args: ["2.5", "12"],
    exitCode: 0,
    expect: {
      params: ["f32", "i32"],
      results: ["f32"],
      invocations: 5,
      returns: returnsOf([0x7fa00001, 0xffbfffff, 0x7fc00000, 0x7f812345, 0x3f800000].map(f32Bits)),
      writes: true,
      writesIn: "stack",
      onlySyscalls: [],
      // F copies its argument's bits into the caller's uint32_t.
      check: (ctx) => writesAreBytesOf(ctx, 4, (i) => BigInt([0x7fa00001, 0xffbfffff, 0x7fc00000, 0x7f812345, 0x3f800000][i]!)),
    },
  },
  {
    name: "f64_nan_param",
    program: "ret_f64",
    func: "f64_keep",
    args: ["1.25", "12"],
    exitCode: 0,
    expect: {
      params: ["f64", "i32"],
      results: ["f64"],
      invocations: 4,
      returns: returnsOf([0x7ff0000000000001n, 0xfff7ffffffffffffn, 0x7ff8000000000000n, 0x7ff4dead0000beefn].map(f64Bits)),
      writes: true,
      writesIn: "stack",
      onlySyscalls: [],
      // F copies its argument's bits into the caller's uint64_t.
      check: (ctx) => writesAreBytesOf(ctx, 8, (i) => [0x7ff0000000000001n, 0xfff7ffffffffffffn, 0x7ff8000000000000n, 0x7ff4dead0000beefn][i]!),
    },
  },
  {
    name: "ret_f64_nan_payload",
    program: "ret_f64",
    func: "f64_pick",
    args: ["1.25", "12"],
    exitCode: 0,
    envForm: true,
    expect: {
      params: ["i32", "f64"],
      results: ["f64"],
      invocations: 12,
      returns: returnsOf(f64Picks(1.25, 12)),
      writes: false,
      onlySyscalls: [],
    },
  },
  {
    name: "frame_only",
    program: "frame_only",
    func: "digit_stats",
    args: ["5", "100", "1000", "7"],
    exitCode: 0,
    expect: {
      params: ["i32"],
      results: ["i32"],
      invocations: 4,
      returns: returnsOf([5, 100, 1000, 7].map((n) => i32(digitStats(n)))),
      // Everything F stores (a 2 KiB buffer, snprintf's FILE, VLAs in recursion) is in its frames.
      writes: false,
      onlySyscalls: [],
      grow: false,
    },
  },
  {
    name: "ret_void",
    program: "ret_void",
    func: "histogram",
    args: ["abc", "hello", "zzzz", ""],
    exitCode: 0,
    expect: {
      params: ["i32", "i32", "i32"],
      results: [],
      invocations: 4,
      returns: voidReturns(4),
      // The empty string changes nothing, so its invocation records no write.
      writes: [true, true, true, false],
      writesIn: "static",
      onlySyscalls: [],
      // The 16 bins start at zero; after each word they hold its running histogram. The bins'
      // address is the one where every write falls and the histogram matches.
      check: (ctx) => {
        const want = histogramAfter(["abc", "hello", "zzzz", ""]);
        const addrs = writeAddrs(ctx.dump);
        const lowest = Math.min(...addrs) & ~3;
        for (let k = 0; k < 16; k++) {
          const base = lowest - 4 * k;
          if (addrs.some((a) => a >= base + 64)) continue;
          const why = afterEachInvocation(ctx.dump, 0, (inv, byteAt) => {
            const got = Array.from({ length: 16 }, (_, b) => u32At(byteAt, base + 4 * b));
            return JSON.stringify(got) === JSON.stringify(want[inv.index]) ? undefined : "differs";
          });
          if (why === undefined) return undefined;
        }
        return `no placement of the 16 bins makes the log's writes the histograms ${JSON.stringify(want)}`;
      },
    },
  },
  {
    name: "globals",
    program: "globals",
    func: "record",
    args: globalsArgs,
    exitCode: 0,
    envForm: true,
    expect: {
      params: ["i32", "i32"],
      results: [],
      invocations: globalsValues.length,
      returns: voidReturns(globalsValues.length),
      writes: true,
      writesIn: "static",
      onlySyscalls: [],
      check: (ctx) => {
        const idx = ctx.globalIndex("g_ticks");
        if (idx === undefined) return "the module has no global named g_ticks";
        const want = ticksAfter(globalsValues);
        for (const inv of ctx.dump.invocations) {
          const ev = inv.events.filter((e) => e.kind === "global" && e.index === idx);
          const last = ev[ev.length - 1];
          const expected = want[inv.index - ctx.dump.invocations[0]!.index]!.toString();
          if (!last || last.kind !== "global") return `invocation ${inv.index}: no global event for g_ticks (global ${idx})`;
          if (last.type !== "i64" || String(last.value) !== expected) return `invocation ${inv.index}: g_ticks = ${JSON.stringify(last)}, want i64 ${expected}`;
        }
        const epoch = ctx.globalIndex("g_epoch");
        if (epoch === undefined) return "the module has no global named g_epoch";
        for (const inv of ctx.dump.invocations) {
          if (inv.events.some((e) => e.kind === "global" && e.index === epoch)) return `invocation ${inv.index}: a global event for g_epoch (global ${epoch}), which only main sets`;
        }
        return undefined;
      },
    },
  },
  {
    name: "ret_struct_sret",
    program: "ret_struct",
    func: "summarize",
    args: ["3", "-1.5", "2", "8", "-0.25", "7", "1e3", "4", "-9"],
    exitCode: 0,
    expect: {
      // The hidden sret pointer comes first; no Wasm result.
      params: ["i32", "i32", "i32"],
      results: [],
      invocations: 5,
      returns: voidReturns(5),
      writes: true,
      writesIn: "stack",
      onlySyscalls: [],
      check: (ctx) => {
        // struct stats is 40 bytes (3 doubles, 2 ints); every write lies inside one such struct.
        const addrs = ctx.dump.invocations.flatMap((inv) => inv.events.flatMap((e) => (e.kind === "write" ? [e] : [])));
        const lo = Math.min(...addrs.map((w) => w.addr));
        const hi = Math.max(...addrs.map((w) => w.addr + w.size));
        return hi - lo > 40 ? `writes span ${hi - lo} bytes (0x${lo.toString(16)}..0x${hi.toString(16)}), more than one 40-byte struct` : undefined;
      },
    },
  },
  {
    name: "out_params",
    program: "out_params",
    func: "divmod",
    args: ["17", "5", "-17", "5", "9", "0", "100", "7"],
    exitCode: 0,
    expect: {
      params: ["i32", "i32", "i32", "i32"],
      results: ["i32"],
      invocations: 4,
      returns: returnsOf([i32(0), i32(0), i32(-22), i32(0)]),
      writes: [true, true, false, true],
      writesIn: "stack",
      onlySyscalls: [],
      // q and r start as -1 (all bytes 0xff), side by side in the caller's frame; after each call
      // they hold a/b and a%b, and keep their values when b is 0.
      check: (ctx) => {
        const base = Math.min(...writeAddrs(ctx.dump));
        const want = [[3, 2], [-3, -2], [-3, -2], [14, 2]];
        return afterEachInvocation(ctx.dump, 0xff, (inv, byteAt) => {
          const got = [u32At(byteAt, base) | 0, u32At(byteAt, base + 4) | 0].sort((x, y) => x - y);
          const expected = [...want[inv.index]!].sort((x, y) => x - y);
          return JSON.stringify(got) === JSON.stringify(expected) ? undefined : `q, r are ${JSON.stringify(got)}, want ${JSON.stringify(expected)}`;
        });
      },
    },
  },
  {
    name: "malloc_inside",
    program: "malloc_inside",
    func: "join_words",
    args: ["one", "two", "three", "four", "five"],
    exitCode: 0,
    envForm: true,
    expect: {
      params: ["i32", "i32", "i32"],
      results: ["i32"],
      invocations: 5,
      writes: true,
      onlySyscalls: [],
      check: (ctx) => {
        const rets = i32Returns(ctx.dump);
        if (typeof rets === "string") return rets;
        const notHeap = rets.find((p) => p < ctx.stackTop);
        if (notHeap !== undefined) return `returned pointer 0x${notHeap.toString(16)} is below the heap (0x${ctx.stackTop.toString(16)})`;
        return pointerOffsetsMatch(ctx, /^round \d+: ".*" at heap\+(\d+)$/);
      },
    },
  },
  {
    name: "free_outside",
    program: "free_outside",
    func: "prune",
    args: ["10", "5", "20", "3", "15", "1", "30"],
    exitCode: 0,
    expect: {
      params: ["i32", "i32"],
      results: ["i32"],
      invocations: 2,
      returns: returnsOf([i32(3), i32(6)]),
      writes: true,
      onlySyscalls: [],
    },
  },
  {
    name: "strtok_state",
    program: "strtok_state",
    func: "next_field",
    args: ["alpha,beta;;gamma,,delta"],
    exitCode: 4,
    expect: {
      params: ["i32"],
      results: ["i32"],
      invocations: 5,
      // musl's strtok: the call after the last token finds its saved pointer already NULL and
      // returns without storing anything.
      writes: [true, true, true, true, false],
      onlySyscalls: [],
      check: (ctx) => {
        const rets = i32Returns(ctx.dump);
        if (typeof rets === "string") return rets;
        if (rets[4] !== 0) return `the fifth call must return NULL, got ${String(rets[4])}`;
        const offsets = [0, 6, 12, 19];
        for (let k = 0; k < 4; k++) {
          if (rets[k]! - rets[0]! !== offsets[k]) return `token ${k} returned at +${rets[k]! - rets[0]!}, want +${offsets[k]!}`;
        }
        if (rets[0]! < ctx.stackLow || rets[0]! >= ctx.stackTop) return `the first token 0x${rets[0]!.toString(16)} is not in main's frame`;
        return undefined;
      },
    },
  },
  {
    name: "rand_state",
    program: "rand_state",
    func: "roll_dice",
    args: ["42", "8"],
    exitCode: 0,
    expect: {
      params: ["i32"],
      results: ["i32"],
      invocations: 8,
      returns: returnsOf(diceRolls(42, 8).map(i32)),
      writes: true,
      writesIn: "static",
      onlySyscalls: [],
      // musl's rand() state, a u64: after roll i it has taken 2i + 1 draws (F's and the caller's before).
      check: (ctx) => writesAreBytesOf(ctx, 8, (i) => {
        let state = BigInt.asUintN(64, 42n - 1n);
        for (let k = 0; k < 2 * i + 1; k++) state = BigInt.asUintN(64, 6364136223846793005n * state + 1n);
        return state;
      }),
    },
  },
  {
    name: "printf_inside",
    program: "printf_inside",
    func: "report",
    args: ["120"],
    env: { REPORT_TAG: "e2e" },
    exitCode: 0,
    expect: {
      params: ["i32", "i32", "i32"],
      results: ["i32"],
      invocations: 120,
      returns: returnsOf(Array.from({ length: 120 }, (_, i) => i32(reportLength("e2e", i)))),
      writes: true,
      syscalls: ["fd_write"],
      check: (ctx) => {
        // stderr is unbuffered: every invocation writes its own line to fd 2.
        for (const inv of ctx.dump.invocations) {
          const line = `report ${inv.index % 2 ? "odd" : "even"} ${inv.index * 37 - 500}\n`;
          if (!fdWritten(inv, 2).includes(line)) return `invocation ${inv.index} did not write ${JSON.stringify(line)} to fd 2`;
        }
        return undefined;
      },
    },
  },
  {
    // Alpaca v2 broke on large environments; the guest's environment is part of the log header.
    name: "big_env",
    program: "printf_inside",
    func: "report",
    args: ["12"],
    env: bigEnv,
    exitCode: 0,
    expect: {
      params: ["i32", "i32", "i32"],
      results: ["i32"],
      invocations: 12,
      returns: returnsOf(Array.from({ length: 12 }, (_, i) => i32(reportLength(bigEnv.REPORT_TAG!, i)))),
      writes: true,
      syscalls: ["fd_write"],
    },
  },
  {
    name: "read_file",
    program: "read_file",
    func: "count_words",
    args: ["/data/a.txt", "/data/b.txt", "/data/missing.txt"],
    dirs: [{ guest: "/data", files: { "a.txt": textA, "b.txt": textB } }],
    exitCode: 2,
    disableFlags: ["--strict"],
    expect: {
      params: ["i32", "i32"],
      results: ["i32"],
      invocations: 3,
      returns: returnsOf([i32(countWords(textA)), i32(countWords(textB)), i32(-1)]),
      writes: true,
      syscalls: ["path_open", "fd_read", "fd_close"],
      // The caller's `lines` is -1 before each call; F leaves the file's line count in it.
      check: (ctx) => lineCountsWritten(ctx, [textA, textB]),
    },
  },
  {
    name: "read_file_same_path",
    program: "read_file",
    func: "count_words",
    args: ["{dir0}/b.txt", "{dir0}/a.txt"],
    dirs: [{ guest: "", samePath: true, files: { "a.txt": textA, "b.txt": textB } }],
    exitCode: 0,
    expect: {
      params: ["i32", "i32"],
      results: ["i32"],
      invocations: 2,
      returns: returnsOf([i32(countWords(textB)), i32(countWords(textA))]),
      writes: true,
      syscalls: ["path_open", "fd_read", "fd_close"],
      check: (ctx) => lineCountsWritten(ctx, [textB, textA]),
    },
  },
  {
    name: "write_file",
    program: "write_file",
    func: "save_report",
    args: ["/out", "8"],
    dirs: [{ guest: "/out", files: { "report.csv": "stale contents that F must truncate\n".repeat(8), "keep.txt": "untouched\n" } }],
    exitCode: 0,
    envForm: true,
    disableFlags: ["--strict"],
    expect: {
      params: ["i32", "i32", "i32"],
      results: ["i32"],
      invocations: 2,
      returns: returnsOf([i32(reportBytes(8)), i32(reportBytes(4))]),
      writes: true,
      syscalls: ["path_open", "fd_write", "fd_close"],
      // What F's fd_write calls hand the file is the table, byte for byte.
      check: (ctx) => {
        for (const inv of ctx.dump.invocations) {
          const written = inv.events.flatMap((e) => (e.kind === "syscall" && e.name === "fd_write" ? e.reads.map((r) => Buffer.from(r.bytes, "hex").toString("latin1")) : [])).join("");
          const want = reportText(inv.index === 0 ? 8 : 4);
          if (!written.includes(want)) return `invocation ${inv.index}: fd_write did not carry the ${want.length}-byte table`;
        }
        return undefined;
      },
    },
  },
  {
    name: "clock_random",
    program: "clock_random",
    func: "sample_entropy",
    args: [],
    exitCode: 0,
    nondeterministic: true,
    envForm: true,
    expect: {
      params: ["i32", "i32"],
      results: ["i64"],
      invocations: 3,
      // random_get fills the caller's buffer (a syscall's writes, not stores) and the timespecs
      // live in F's own frame: F stores nothing outside it.
      writes: false,
      syscalls: ["random_get", "clock_time_get"],
      inputsInside: ["random_get", "clock_time_get"],
      inputsOutside: ["clock_time_get"],
      check: (ctx) => {
        // The analyzed run printed what F returned and the random bytes it got.
        const printed = lines(ctx.analyzed).flatMap((l) => {
          const m = /^round (\d+): mix ([0-9a-f]{16}) bytes((?: [0-9a-f]{2}){16})$/.exec(l);
          return m ? [{ mix: BigInt(`0x${m[2]!}`), bytes: m[3]!.replace(/ /g, "") }] : [];
        });
        if (printed.length !== ctx.dump.invocations.length) return `printed ${printed.length} rounds for ${ctx.dump.invocations.length} invocations`;
        for (const [k, inv] of ctx.dump.invocations.entries()) {
          const want = i64(printed[k]!.mix);
          const got = inv.returns[0];
          if (!got || got.type !== "i64" || got.value !== want.value) return `invocation ${k} returned ${JSON.stringify(got)}, the program printed ${String(want.value)}`;
          const rnd = inv.events.find((e) => e.kind === "syscall" && e.name === "random_get");
          if (!rnd || rnd.kind !== "syscall") return `invocation ${k} has no random_get`;
          const got16 = rnd.writes.map((w) => w.bytes).join("");
          if (got16 !== printed[k]!.bytes) return `invocation ${k}: random_get wrote ${got16}, the program printed ${printed[k]!.bytes}`;
        }
        return undefined;
      },
    },
  },
  {
    name: "recursion",
    program: "recursion",
    func: "fib_memo",
    args: ["40", "50", "10", "92"],
    exitCode: 0,
    expect: {
      params: ["i32"],
      results: ["i64"],
      invocations: 4,
      returns: returnsOf([40, 50, 10, 92].map((n) => i64(fib(n)))),
      // fib(10) is already in the table after fib(40): a pure lookup.
      writes: [true, true, false, true],
      writesIn: "static",
      // memo[k] = fib(k) and known[k] = 1 for every k fib_memo computes; the tables' addresses
      // are where memo[2] = 1 is followed by memo[3] = 2, and where known[2..] starts.
      check: (ctx) => {
        const want = fibTables([40, 50, 10, 92]);
        const after = want.map((_, i) => memoryAfter(ctx.dump, i, 0));
        const inv0 = ctx.dump.invocations[0]!;
        const written = inv0.events.flatMap((e) => (e.kind === "write" ? Array.from({ length: e.size }, (_, i) => e.addr + i) : []));
        const knownBases = written.filter((a) => after[0]!(a) === 1 && after[0]!(a - 1) !== 1).map((a) => a - 2);
        const memoBases = written.filter((a) => after[0]!(a) === 1 && after[0]!(a + 8) === 2).map((a) => a - 16);
        for (const k of knownBases) for (const m of memoBases) {
          if (want.every((t, i) => holds(after[i]!, k, t.known) && holds(after[i]!, m, t.memo))) return undefined;
        }
        return "no placement of memo and known makes the log's writes the tables fib_memo fills";
      },
      onlySyscalls: [],
    },
  },
  {
    name: "func_ptr_target",
    program: "func_ptr",
    func: "op_mix",
    args: ["axmxxsxa", "5"],
    exitCode: 0,
    envForm: true,
    expect: {
      params: ["i32", "i32"],
      results: ["i32"],
      invocations: 4,
      returns: returnsOf(opMixCalls("axmxxsxa", 5).map(i32)),
      writes: false,
      onlySyscalls: [],
    },
  },
  {
    name: "never_called",
    program: "func_ptr",
    func: "op_mix",
    args: ["amsma", "2"],
    exitCode: 0,
    analyzeWarning: /^alpaca: warning: op_mix was never called in this run: the log holds no invocation/,
    expect: {
      params: ["i32", "i32"],
      results: ["i32"],
      invocations: 0,
    },
  },
  {
    name: "qsort_caller",
    program: "qsort_cb",
    func: "sort_people",
    args: people,
    exitCode: 0,
    expect: {
      params: ["i32", "i32"],
      results: [],
      invocations: 2,
      returns: voidReturns(2),
      // The records (heap) and the comparator's call counter (static data).
      writes: true,
      onlySyscalls: [],
      // The records, sorted by age then name and ranked, after each call: the first sorts the
      // arguments, the second the ages main changed to age * 7 % 31.
      check: (ctx) => {
        const initial = people.map((p) => ({ name: p.split(":")[0]!, age: Number(p.split(":")[1]) }));
        const first = sortedPeople(initial);
        const second = sortedPeople(first.map((p) => ({ name: p.name, age: (p.age * 7) % 31 })));
        const steps = [
          { before: personBytes(initial.map((p) => ({ ...p, rank: 0 }))), want: personBytes(first) },
          { before: personBytes(first.map((p) => ({ ...p, age: (p.age * 7) % 31 }))), want: personBytes(second) },
        ];
        const bases = new Set(writeStarts(ctx.dump, 0).flatMap((a) => Array.from({ length: 24 * people.length }, (_, k) => a - k)));
        for (const base of bases) {
          if (steps.every((st, i) => Buffer.from(withWrites(st.before, base, ctx.dump.invocations[i]!)).equals(Buffer.from(st.want)))) return undefined;
        }
        return "no placement of the records makes the log's writes the sorted, ranked people";
      },
    },
  },
  {
    name: "qsort_comparator",
    program: "qsort_cb",
    func: "cmp_person",
    args: people,
    exitCode: 0,
    expect: {
      params: ["i32", "i32"],
      results: ["i32"],
      // Called through a pointer from libc; the program prints how many times.
      invocations: (ctx) => {
        const m = /^(\d+) comparisons$/m.exec(ctx.analyzed.stdout.toString("utf8"));
        return m ? Number(m[1]) : -1;
      },
      writes: true,
      writesIn: "static",
      onlySyscalls: [],
      // The global comparison counter starts at zero and each call increments it.
      check: (ctx) => afterEachInvocation(ctx.dump, 0, (inv, byteAt) => {
        const words = new Set(inv.events.flatMap((e) => (e.kind === "write" ? [e.addr & ~3, (e.addr + e.size - 1) & ~3] : [])));
        if (words.size !== 1) return `writes touch ${words.size} words, want the counter`;
        const got = u32At(byteAt, [...words][0]!);
        return got === inv.index + 1 ? undefined : `the counter holds ${got}, want ${inv.index + 1}`;
      }),
    },
  },
  {
    name: "grow_memory",
    program: "grow_memory",
    func: "make_table",
    args: ["300000"],
    exitCode: 0,
    expect: {
      params: ["i32"],
      results: ["i32"],
      invocations: 2,
      returns: returnsOf([i32(300000), i32(600000)]),
      writes: true,
      grow: true,
      onlySyscalls: [],
      check: (ctx) => {
        for (const inv of ctx.dump.invocations) {
          const g = inv.events.find((e) => e.kind === "grow");
          if (!g || g.kind !== "grow" || g.to_pages <= g.from_pages) return `invocation ${inv.index} does not grow memory`;
          // Every entry gets a value that depends on n, so (almost) every byte of the table changes
          // even where the new table reuses the old one's memory; 10% slack for chance equal bytes.
          const bytes = inv.events.reduce((s, e) => s + (e.kind === "write" ? e.size : 0), 0);
          const tableBytes = (inv.index === ctx.dump.invocations[0]!.index ? 300000 : 600000) * 8;
          if (bytes < tableBytes * 0.9) return `invocation ${inv.index} records ${bytes} written bytes, the table alone is ${tableBytes}`;
        }
        return undefined;
      },
    },
  },
  {
    name: "many_calls",
    program: "many_calls",
    func: "bump",
    args: ["5000"],
    exitCode: 0,
    envForm: true,
    expect: {
      params: ["i32"],
      results: ["i32"],
      invocations: 5000,
      returns: returnsOf(bumpReturns(5000).map(i32)),
      writes: true,
      writesIn: "static",
      onlySyscalls: [],
      // The 64 counters start at zero; each call's writes are the changed bytes of one counter,
      // which then holds the value the call returned.
      check: (ctx) => {
        const want = bumpReturns(5000);
        return afterEachInvocation(ctx.dump, 0, (inv, byteAt) => {
          const words = new Set(inv.events.flatMap((e) => (e.kind === "write" ? [e.addr & ~3, (e.addr + e.size - 1) & ~3] : [])));
          if (words.size !== 1) return `writes touch ${words.size} counters, want 1`;
          const got = u32At(byteAt, [...words][0]!);
          return got === want[inv.index] ? undefined : `the counter holds ${got}, the call returned ${want[inv.index]}`;
        });
      },
    },
  },
  {
    name: "exit_last",
    program: "exit_last",
    func: "process_item",
    args: ["4"],
    exitCode: 3,
    expect: {
      params: ["i32", "i32"],
      results: ["i32"],
      invocations: 4,
      returns: returnsOf([i32(0), i32(1), i32(4)]),
      exitedLast: 3,
      writes: true,
      check: (ctx) => {
        // exit() flushes stdout, the last item's line and the atexit handler's included, from inside F.
        const last = ctx.dump.invocations[ctx.dump.invocations.length - 1]!;
        const tail = "item 4 of 4\natexit: 3 items handled\n";
        return fdWritten(last, 1).includes(tail) ? undefined : `the exiting invocation did not flush ${JSON.stringify(tail)} to stdout`;
      },
    },
  },
  {
    name: "trap_last",
    program: "trap_last",
    func: "ratio",
    args: ["10", "2", "-9", "4", "7", "0", "1", "1"],
    exitCode: 134,
    trap: true,
    expect: {
      params: ["i32", "i32"],
      results: ["i32"],
      invocations: 3,
      returns: returnsOf([i32(5), i32(-2)]),
      trappedLast: "unreachable",
      writes: true,
      writesIn: "static",
      check: (ctx) => {
        // The trapping call wrote its message to stderr before trapping.
        const last = ctx.dump.invocations[ctx.dump.invocations.length - 1]!;
        const message = "ratio: call 3 divides 7 by zero\n";
        return fdWritten(last, 2).includes(message) ? undefined : `the trapping invocation did not write ${JSON.stringify(message)} to stderr`;
      },
    },
  },
  {
    name: "trap_pure",
    program: "trap_pure",
    func: "scale",
    args: ["5", "-4", "0", "7"],
    exitCode: 134,
    trap: true,
    expect: {
      params: ["i32"],
      results: ["i32"],
      invocations: 3,
      returns: returnsOf([i32(20), i32(-25)]),
      trappedLast: "unreachable",
      writes: true,
      writesIn: "static",
      onlySyscalls: [],
      check: (ctx) => {
        // The trapping call stored k * 3 = 0 over table[3]'s 0: only `calls` changed, to 3.
        const last = ctx.dump.invocations[ctx.dump.invocations.length - 1];
        const writes = last?.events.filter((e) => e.kind === "write") ?? [];
        return writes.length === 1 && writes[0]!.kind === "write" && writes[0]!.size === 1 && writes[0]!.bytes === "03"
          ? undefined
          : `the trapping invocation should write one byte, calls = 3, it has ${JSON.stringify(writes)}`;
      },
    },
  },
  {
    name: "stdin_outside",
    program: "stdin_sum",
    func: "mean_of",
    args: [],
    stdin: stdinText,
    disabledStdin: "",
    exitCode: 0,
    envForm: true,
    expect: {
      params: ["i32", "i32"],
      results: ["f64"],
      invocations: 3,
      returns: returnsOf([f64((1 + 2 + 3 + 4) / 4), f64((5.5 + 6 + -7 + 8) / 4), f64(9 / 1)]),
      writes: false,
      onlySyscalls: [],
      inputsOutside: ["fd_read"],
    },
  },
  {
    name: "stdin_inside",
    program: "stdin_sum",
    func: "read_numbers",
    args: [],
    stdin: stdinText,
    disabledStdin: "999 999 999 999\n",
    exitCode: 0,
    expect: {
      params: ["i32", "i32"],
      results: ["i32"],
      invocations: 4,
      returns: returnsOf([i32(4), i32(4), i32(1), i32(0)]),
      // The last call finds stdin already at EOF (set by the call before): musl's scanf then
      // stores only values the FILE already holds, so nothing is recorded.
      writes: [true, true, true, false],
      syscalls: ["fd_read"],
      inputsInside: ["fd_read"],
      // F parses each batch into the caller's xs[0..n): the doubles' bytes, wherever xs sits.
      check: (ctx) => {
        const batches = [[1, 2, 3, 4], [5.5, 6, -7, 8], [9]];
        const f64Bytes = (x: number) => [...new Uint8Array(new Float64Array([x]).buffer)];
        const stackWrites = (index: number) => ctx.dump.invocations[index]!.events.flatMap((e) => (e.kind === "write" && e.addr >= ctx.stackLow && e.addr < ctx.stackTop ? [e] : []));
        const first = stackWrites(0).map((e) => e.addr & ~7);
        for (const candidate of new Set(first)) {
          const ok = batches.every((xs, index) => {
            const want = xs.flatMap(f64Bytes);
            const inXs = stackWrites(index).flatMap((e) => [...Buffer.from(e.bytes, "hex")].map((b, i) => [e.addr + i - candidate, b] as const)).filter(([o]) => o >= 0 && o < want.length);
            return inXs.length > 0 && inXs.every(([o, b]) => want[o] === b) && (index > 0 || new Set(inXs.map(([o]) => o >> 3)).size === xs.length);
          });
          if (ok) return undefined;
        }
        return `no placement of xs makes F's stack writes the parsed batches ${JSON.stringify(batches)}`;
      },
    },
  },
  {
    name: "epochs_stage",
    program: "epochs",
    func: "stage",
    args: [],
    stdin: epochsInput,
    exitCode: 0,
    disableFlags: ["--strict"],
    expect: {
      params: ["i32", "i32"],
      results: ["i32"],
      invocations: 4,
      returns: returnsOf([i32(12), i32(12), i32(12), i32(epochsInput.length - 36)]),
      writes: true,
      writesIn: "stack",
      onlySyscalls: ["fd_read", "fd_write"],
      inputsInside: ["fd_read"],
      // Stores, then read() into the same buffer, stores, write(), and the restoring store.
      check: (ctx) => checkShapes(ctx, ["write", "fd_read", "write", "fd_write", "write"]),
    },
  },
  {
    name: "epochs_restore",
    program: "epochs",
    func: "restore_echo",
    args: [],
    stdin: epochsInput,
    exitCode: 0,
    envForm: true,
    expect: {
      params: ["i32"],
      results: [],
      invocations: 4,
      returns: voidReturns(4),
      writes: true,
      writesIn: "static",
      onlySyscalls: ["fd_write"],
      // The message changes, is written out, and is put back: both changes are effects even
      // though the bytes end as they began.
      check: (ctx) => checkShapes(ctx, ["write", "fd_write", "write"]),
    },
  },
  {
    name: "slurp_grow_read",
    program: "slurp",
    func: "slurp",
    args: [],
    stdin: slurpInput,
    exitCode: 0,
    expect: {
      params: ["i32"],
      results: ["i32"],
      invocations: 1,
      writes: true,
      grow: true,
      syscalls: ["fd_read"],
      onlySyscalls: ["fd_read"],
      inputsInside: ["fd_read"],
      check: (ctx) => {
        // fd_read filled pages that memory.grow added inside F.
        const inv = ctx.dump.invocations[0]!;
        const grow = inv.events.find((e) => e.kind === "grow");
        if (!grow || grow.kind !== "grow") return "no grow event";
        const oldEnd = grow.from_pages * 65536;
        const intoNew = inv.events.some((e) => e.kind === "syscall" && e.name === "fd_read" && e.writes.some((w) => w.addr + w.size > oldEnd));
        const total = inv.events.reduce((n, e) => n + (e.kind === "syscall" && e.name === "fd_read" ? e.writes.reduce((m, w) => m + w.size, 0) : 0), 0);
        if (!intoNew) return `no fd_read wrote above the memory F started with (0x${oldEnd.toString(16)})`;
        // Every byte of stdin came in through fd_read inside F (iovec results add a few bytes each).
        return total < slurpInput.length ? `fd_read inside F wrote ${total} bytes, stdin has ${slurpInput.length}` : undefined;
      },
    },
  },
  {
    name: "vm_interpreter",
    program: "vm",
    func: "vm_run",
    args: ["10"],
    exitCode: 0,
    envForm: true,
    expect: {
      params: ["i32", "i32", "i32"],
      results: ["i64"],
      invocations: 4,
      writes: true,
      // The first printf to stdout asks whether it is a terminal (fd_fdstat_get).
      onlySyscalls: ["fd_write", "fd_fdstat_get"],
      check: (ctx) => {
        // Each invocation returns what main printed after "->" for that round.
        const printed = lines(ctx.analyzed).flatMap((l) => {
          const m = /^round \d+: input -?\d+ -> (-?\d+) /.exec(l);
          return m ? [m[1]!] : [];
        });
        const got = ctx.dump.invocations.map((inv) => {
          const r = inv.returns[0];
          return r?.type === "i64" ? r.value : JSON.stringify(r);
        });
        return JSON.stringify(got) === JSON.stringify(printed) ? undefined : `returns ${JSON.stringify(got)}, the program printed ${JSON.stringify(printed)}`;
      },
    },
  },
  {
    name: "simd_bulk",
    program: "simd_bulk",
    func: "blend",
    args: ["3"],
    exitCode: 0,
    expect: {
      params: ["i32", "i32"],
      results: ["i32"],
      invocations: 3,
      returns: returnsOf(blendReturns(3).map(i32)),
      writes: true,
      writesIn: "static",
      // dst = src + seed (src changing between rounds), scratch = fill then dst[7..]: every byte
      // of both buffers after each round, wherever they sit.
      check: (ctx) => {
        const want = blendBuffers(3);
        const after = want.map((_, i) => memoryAfter(ctx.dump, i, 0));
        const starts = writeStarts(ctx.dump, 0);
        const candidates = [...new Set(starts.flatMap((a) => [a, a - 4096, a + 4096]))];
        for (const d of candidates) for (const sc of candidates) {
          if (want.every((w, i) => holds(after[i]!, d, w.dst) && holds(after[i]!, sc, w.scratch))) return undefined;
        }
        return "no placement of dst and scratch makes the log's writes the blended buffers";
      },
      onlySyscalls: [],
    },
  },
  {
    name: "matmul_heavy",
    program: "matmul",
    func: "matmul",
    args: ["650", "5"],
    exitCode: 0,
    heavy: { maxRatio: 0.5 },
    expect: {
      params: ["i32", "i32", "i32", "i32"],
      results: [],
      invocations: 5,
      returns: voidReturns(5),
      writes: true,
      writesIn: "heap",
      // The first call's C, sampled: each entry is the dot product the source sums in order.
      check: (ctx) => {
        const n = 650;
        const { a, b } = matmulInputs(n);
        const entry = (i: number, j: number) => {
          let sum = 0;
          for (let k = 0; k < n; k++) sum += a[i * n + k]! * b[k * n + j]!;
          return sum;
        };
        const samples = [[0, 0], [n - 1, n - 1], [123, 456], [n - 1, 0], [0, n - 1], [321, 7]] as const;
        const wants = samples.map(([i, j]) => new Uint8Array(new Float64Array([entry(i, j)]).buffer));
        const inv0 = ctx.dump.invocations[0]!;
        const lowest = Math.min(...writeStarts(ctx.dump, 0)) & ~7;
        for (let base = lowest; base > lowest - 64; base -= 8) {
          const ok = samples.every(([i, j], s) => wants[s]!.every((byte, k) => (writtenByte(inv0, base + 8 * (i * n + j) + k) ?? 0) === byte));
          if (ok) return undefined;
        }
        return "the first call's C does not hold the sampled dot products";
      },
      onlySyscalls: [],
      grow: false,
    },
  },
  {
    name: "primes_heavy",
    program: "primes",
    func: "count_primes",
    args: ["1000", "4000000"],
    exitCode: 0,
    heavy: { maxRatio: 0.5 },
    expect: {
      params: ["i32"],
      results: ["i32"],
      invocations: 2,
      returns: returnsOf([i32(168), i32(283146)]),
      writes: false,
      onlySyscalls: [],
      grow: false,
    },
  },
];
