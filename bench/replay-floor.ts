/**
 * How fast can JavaScript apply a log's write events at all? For one effect log, side by side in
 * one process: the replay's own path (InvocationCursor into a scratch memory, the decoder's
 * copyWrites loop) and the least a JS loop can do with the same events (tag, two LEB128s, copy;
 * no checks, no shape, no visitor), each on a fresh copy of the bytes so the first pass is cold
 * (what a disabled run gets: F's one invocation runs before V8 has optimized the loop) and the
 * later passes warm. A third column, when `make bench-build` has built bench/replay-core, runs
 * the same events through a Wasm replay core that stores into a second instance through its
 * exported stores (the design without multi-memory); its memory is checked against the JS
 * loops' afterwards. Prints ms, ns per event and MB/s of write bytes. Not part of `make check`:
 *   node bin/alpaca.js analyze -f kernel_seidel_2d -l /tmp/seidel.alog build/bench/seidel-2d.wasm
 *   node --import tsx bench/replay-floor.ts /tmp/seidel.alog [PASSES]
 */
import * as fs from "node:fs";
import { ByteWriter } from "../src/binary/index.js";
import { InvocationCursor, decodeLog, openLog, type EventVisitor } from "../src/log/index.js";
import { encodeEvent } from "../src/log/encoder.js";

const file = process.argv[2];
if (!file) {
  console.error("usage: node --import tsx bench/replay-floor.ts LOG [PASSES]");
  process.exit(125);
}
const passes = Number(process.argv[3] ?? 4);
const logBytes = new Uint8Array(fs.readFileSync(file));

// The write events, in log order, as the minimal stream: tag 1, LEB address, LEB length, bytes.
const stream = new ByteWriter();
let events = 0;
let writeBytes = 0;
let top = 0;
for (const inv of decodeLog(logBytes).invocations) {
  for (const e of inv.events) {
    if (e.kind !== "write") continue;
    encodeEvent(stream, e); // the log's own write-event bytes: tag 1, LEB128 address and length, bytes
    events++;
    writeBytes += e.bytes.length;
    top = Math.max(top, e.addr + e.bytes.length);
  }
}
const minimal = stream.toBytes();
const scratch = new Uint8Array(top);

/** The floor: parse and copy, nothing else. */
function minimalLoop(src: Uint8Array, mem: Uint8Array): number {
  const end = src.length;
  let p = 0;
  let n = 0;
  while (p < end && src[p] === 1) {
    let q = p + 1;
    let x = src[q++]!;
    let addr = x & 0x7f;
    for (let s = 7; x >= 0x80; s += 7) addr |= ((x = src[q++]!) & 0x7f) << s;
    x = src[q++]!;
    let len = x & 0x7f;
    for (let s = 7; x >= 0x80; s += 7) len |= ((x = src[q++]!) & 0x7f) << s;
    if (len > 32) mem.set(src.subarray(q, q + len), addr);
    else for (let k = 0; k < len; k++) mem[addr + k] = src[q + k]!;
    p = q + len;
    n++;
  }
  return n;
}

const visitor: EventVisitor = {
  memory: scratch,
  wrote() {},
  write() { throw new Error("a write outside the scratch memory"); },
  global() {},
  grow() {},
  syscall() {},
};

function timed(run: () => void): number {
  const t0 = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

interface WasmCore {
  apply(from: number, to: number): number;
  guestMemory: WebAssembly.Memory;
  coreMemory: WebAssembly.Memory;
  base: number;
}

/** The experiment's core and stand-in guest, or null when they are not built. */
function loadWasmCore(): WasmCore | null {
  const dir = new URL("../build/bench/replay-core/", import.meta.url);
  const load = (name: string) => new WebAssembly.Module(fs.readFileSync(new URL(name, dir)));
  let guest: WebAssembly.Instance;
  let core: WebAssembly.Instance;
  try {
    guest = new WebAssembly.Instance(load("guest.wasm"), {});
    core = new WebAssembly.Instance(load("core.wasm"), { guest: { store8: guest.exports.store8!, store64: guest.exports.store64! } });
  } catch {
    return null;
  }
  const c = core.exports as unknown as { apply(from: number, to: number): number; events_base(): number; memory: WebAssembly.Memory };
  return { apply: (from, to) => c.apply(from, to), guestMemory: guest.exports.memory as WebAssembly.Memory, coreMemory: c.memory, base: c.events_base() };
}

/** Copies the events into the core's memory and applies them: what a replay would do per block. */
function wasmCorePass(core: WasmCore): number {
  const need = core.base + minimal.length;
  const have = core.coreMemory.buffer.byteLength;
  if (have < need) core.coreMemory.grow(Math.ceil((need - have) / 65536));
  new Uint8Array(core.coreMemory.buffer).set(minimal, core.base);
  return core.apply(core.base, core.base + minimal.length);
}

const wasmCore = top <= 32 << 20 ? loadWasmCore() : null;
const opened = openLog(logBytes);
console.log(`${file}: ${events} write events, ${writeBytes} bytes, ${(writeBytes / events).toFixed(1)} bytes/event on average`);
console.log("pass  replay-path ms  ns/event  MB/s   | minimal-loop ms  ns/event  MB/s   | wasm-core ms  ns/event  MB/s");
for (let pass = 1; pass <= passes; pass++) {
  const cursor = new InvocationCursor(opened);
  const a = timed(() => { while (cursor.next(visitor)) { /* applies every invocation */ } });
  const b = timed(() => minimalLoop(minimal, scratch));
  let applied = events;
  const c = wasmCore ? timed(() => { applied = wasmCorePass(wasmCore); }) : NaN;
  if (applied !== events) throw new Error(`the Wasm core applied ${applied} of ${events} events`);
  const row = (ms: number) => `${ms.toFixed(2).padStart(8)}  ${((ms * 1e6) / events).toFixed(1).padStart(8)}  ${(writeBytes / 1e3 / ms).toFixed(0).padStart(5)}`;
  console.log(`${String(pass).padStart(4)}  ${row(a)}    | ${row(b)}    | ${wasmCore ? row(c) : top > 32 << 20 ? "(writes beyond the stand-in guest's 32 MiB)" : "(make bench-build)"}`);
}
if (wasmCore) {
  const same = Buffer.compare(new Uint8Array(wasmCore.guestMemory.buffer, 0, top), scratch) === 0;
  console.log(same ? "wasm core: same memory as the JS loops" : "wasm core: DIFFERENT memory from the JS loops");
  if (!same) process.exitCode = 1;
}
