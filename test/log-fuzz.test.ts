/**
 * A structure-aware log fuzzer (issue 16). An analyzed log of test-suite/printf_inside.c's
 * `report` (writes, WASI calls re-executed and compared, i32 results; 100 invocations), and one
 * of the native test-suite/native/printf_loop.c's `print_lines` (writes, system calls), are
 * edited structurally: result types and counts, unknown or mis-sized WASI calls, writes, reads
 * and call outputs outside memory, globals that do not exist, growth from the wrong size,
 * invocations that exit or trap, dropped or repeated invocations, a header for another
 * function, program, signature or backend, wrong end counts, stray blocks, truncation, and
 * random bytes in the header and end blocks. Each edit is re-encoded with valid CRCs and a MAC
 * recomputed with the user's key (so the MAC check does not hide anything), then disabled.
 * Every outcome must be a clean refusal (status 125, one `alpaca:` line, nothing run), a replay
 * identical to the analyzed run, or a replay stopped with a clear message: never a stack trace,
 * an internal error, a hang, or a run that ends normally with other output.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "../src/binary/index.js";
import { createRng } from "../src/energy/stats/stats.js";
import { decodeLog, encodeLog, encodeMacBlock, logMac, type EffectLog, type Event, type Invocation } from "../src/log/index.js";
import { runCliSync, spawnCli } from "./harness/cli.js";

const ROOT = join(import.meta.dirname, "..");
const PROGRAM = join(ROOT, "build/test-suite/printf_inside.wasm");
const FUNC = "report";

/** The programs whose logs are fuzzed: a Wasm one and a native one, each with F making output calls. */
const TARGETS = [
  { backend: "wasm", program: PROGRAM, func: FUNC },
  // print_lines: printf to stdout inside F (write, newfstatat, ioctl and getrandom re-executed or answered), 3 calls.
  { backend: "native", program: join(ROOT, "build/test-suite/native/printf_loop"), func: "print_lines" },
] as const;
const RUN_TIMEOUT_MS = 60_000;
/** Variants of each edit: 3 in `make check`; ALPACA_FUZZ_ROUNDS=N runs more (each draws its own randomness). */
const ROUNDS = Number(process.env.ALPACA_FUZZ_ROUNDS ?? 3);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function runAlpaca(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawnCli(args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on("data", (b: Buffer) => out.push(b));
    child.stderr!.on("data", (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, RUN_TIMEOUT_MS);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), timedOut });
    });
  });
}

/** The log's bytes with a MAC block made with `key`. */
function signed(body: Uint8Array, key: Uint8Array): Uint8Array {
  const mac = logMac(key);
  mac.update(body);
  return Buffer.concat([body, encodeMacBlock(mac.digest())]);
}

/** The blocks of an unsigned log body: [start, kind, payload length]. */
function blocks(body: Uint8Array): Array<{ start: number; kind: number; len: number }> {
  const out = [];
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  for (let pos = 10; pos < body.length;) {
    const len = view.getUint32(pos + 1, true);
    out.push({ start: pos, kind: body[pos]!, len });
    pos += 5 + len + 4;
  }
  return out;
}

function fixCrc(body: Uint8Array, b: { start: number; len: number }): void {
  new DataView(body.buffer, body.byteOffset).setUint32(b.start + 5 + b.len, crc32(body.subarray(b.start, b.start + 5 + b.len)), true);
}

type Edit = { name: string; bytes: (log: EffectLog, rnd: () => number) => Uint8Array };

const withInvocations = (log: EffectLog, invocations: Invocation[]): Uint8Array =>
  encodeLog({ ...log, invocations, end: { ...log.end, invocationCount: invocations.length } });

/** Replaces invocation k (chosen at random) by `f(it)`. */
function onInvocation(f: (inv: Invocation, rnd: () => number) => Invocation): (log: EffectLog, rnd: () => number) => Uint8Array {
  return (log, rnd) => {
    const k = Math.floor(rnd() * log.invocations.length);
    return withInvocations(log, log.invocations.map((inv) => (inv.index === k ? f(inv, rnd) : inv)));
  };
}

/** Replaces one event (chosen at random among those `pick` accepts) of a random invocation. */
function onEvent(pick: (e: Event) => boolean, f: (e: Event) => Event | Event[]): (log: EffectLog, rnd: () => number) => Uint8Array {
  return onInvocation((inv, rnd) => {
    const candidates = inv.events.map((e, i) => [e, i] as const).filter(([e]) => pick(e));
    if (candidates.length === 0) return { ...inv, events: [...inv.events, ...[f({ kind: "write", addr: 0, bytes: new Uint8Array(1) })].flat()] };
    const [, at] = candidates[Math.floor(rnd() * candidates.length)]!;
    return { ...inv, events: inv.events.flatMap((e, i) => (i === at ? [f(e)].flat() : [e])) };
  });
}

const isCall = (e: Event): boolean => e.kind === "syscall";
const isWrite = (e: Event): boolean => e.kind === "write";
const FAR = 0xfff0_0000;

const EDITS: Edit[] = [
  { name: "result of another type", bytes: onInvocation((inv) => ({ ...inv, returns: [{ type: "i64", bits: 1n << 40n }] })) },
  { name: "no result", bytes: onInvocation((inv) => ({ ...inv, returns: [] })) },
  { name: "two results", bytes: onInvocation((inv) => ({ ...inv, returns: [...inv.returns, ...inv.returns] })) },
  { name: "unknown WASI call", bytes: onEvent(isCall, (e) => ({ ...(e as Extract<Event, { kind: "syscall" }>), name: "fd_nonsense" })) },
  { name: "call missing an argument", bytes: onEvent(isCall, (e) => ({ ...(e as Extract<Event, { kind: "syscall" }>), args: (e as Extract<Event, { kind: "syscall" }>).args.slice(0, -1) })) },
  { name: "call with an extra argument", bytes: onEvent(isCall, (e) => ({ ...(e as Extract<Event, { kind: "syscall" }>), args: [...(e as Extract<Event, { kind: "syscall" }>).args, 7n] })) },
  { name: "proc_exit with fd_write's arguments", bytes: onEvent(isCall, (e) => ({ ...(e as Extract<Event, { kind: "syscall" }>), name: "proc_exit" })) },
  { name: "call reading outside memory", bytes: onEvent(isCall, (e) => ({ ...(e as Extract<Event, { kind: "syscall" }>), reads: [{ addr: FAR, bytes: new Uint8Array(8) }] })) },
  { name: "call writing outside memory", bytes: onEvent(isCall, (e) => ({ ...(e as Extract<Event, { kind: "syscall" }>), writes: [{ addr: FAR, bytes: new Uint8Array(4) }] })) },
  { name: "write outside memory", bytes: onEvent(isWrite, (e) => ({ ...(e as Extract<Event, { kind: "write" }>), addr: FAR })) },
  { name: "write across memory's end", bytes: onEvent(isWrite, () => ({ kind: "write", addr: 2 * 65536 - 2, bytes: new Uint8Array(64) })) },
  { name: "global that does not exist", bytes: onEvent(isWrite, (e) => [e, { kind: "global", index: 999, value: { type: "i32", bits: 1n } }]) },
  { name: "global of another type", bytes: onEvent(isWrite, (e) => [e, { kind: "global", index: 0, value: { type: "v128", bytes: new Uint8Array(16) } }]) },
  { name: "growth from the wrong size", bytes: onEvent(isWrite, (e) => [e, { kind: "grow", fromPages: 77, toPages: 78 }]) },
  { name: "growth to an absurd size", bytes: onEvent(isWrite, (e) => [e, { kind: "grow", fromPages: 2, toPages: 70000 }]) },
  { name: "exited without proc_exit", bytes: onInvocation((inv) => ({ index: inv.index, status: "exited", exitCode: 3, events: inv.events, returns: [] })) },
  { name: "trapped", bytes: onInvocation((inv) => ({ index: inv.index, status: "trapped", trapMessage: "forged trap", events: inv.events, returns: [] })) },
  {
    name: "invocation dropped",
    bytes: (log, rnd) => {
      const k = Math.floor(rnd() * log.invocations.length);
      return withInvocations(log, log.invocations.filter((inv) => inv.index !== k).map((inv, index) => ({ ...inv, index })));
    },
  },
  {
    name: "invocations block repeated",
    bytes: (log) => {
      const body = encodeLog(log);
      const first = blocks(body).find((b) => b.kind === 2)!;
      const block = body.subarray(first.start, first.start + 5 + first.len + 4);
      return Buffer.concat([body.subarray(0, first.start), block, body.subarray(first.start)]);
    },
  },
  { name: "header for another function", bytes: (log) => encodeLog({ ...log, header: { ...log.header, functionName: "main" } }) },
  { name: "header with other results", bytes: (log) => encodeLog({ ...log, header: { ...log.header, results: ["i64"] }, invocations: log.invocations.map((inv) => ({ ...inv, returns: inv.returns.map((r) => ({ type: "i64" as const, bits: r.type === "v128" ? 0n : r.bits })) })) }) },
  { name: "header with other params", bytes: (log) => encodeLog({ ...log, header: { ...log.header, params: ["f64"] } }) },
  { name: "header for another program", bytes: (log) => encodeLog({ ...log, header: { ...log.header, programSha256: new Uint8Array(32).fill(9) } }) },
  { name: "header for the native backend", bytes: (log) => encodeLog({ ...log, header: { ...log.header, backend: "x86-64" } }) },
  { name: "end counting one more invocation", bytes: (log) => encodeLog({ ...log, end: { ...log.end, invocationCount: log.invocations.length + 1 } }).subarray(0) },
  {
    name: "stray block of an unknown kind",
    bytes: (log) => {
      const body = encodeLog(log);
      const endBlock = blocks(body).at(-1)!;
      const stray = new Uint8Array([9, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
      fixCrc(stray, { start: 0, len: 1 });
      return Buffer.concat([body.subarray(0, endBlock.start), stray, body.subarray(endBlock.start)]);
    },
  },
  { name: "cut short", bytes: (log, rnd) => encodeLog(log).subarray(0, 10 + Math.floor(rnd() * 4000)) },
  {
    name: "random byte in the header or end block",
    bytes: (log, rnd) => {
      const body = encodeLog(log);
      const bs = blocks(body).filter((b) => b.kind === 1 || b.kind === 4);
      const b = bs[Math.floor(rnd() * bs.length)]!;
      body[b.start + 5 + Math.floor(rnd() * b.len)] = Math.floor(rnd() * 256);
      fixCrc(body, b);
      return body;
    },
  },
];

/** How a disabled run of an edited log ended: an allowed outcome, or what is wrong with it. */
function classify(r: Run, reference: Run): { ok: boolean; outcome: string } {
  if (r.timedOut) return { ok: false, outcome: "hang" };
  if (/^\s+at /m.test(r.stderr) || /internal error/i.test(r.stderr)) return { ok: false, outcome: `stack trace or internal error:\n${r.stderr}` };
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  const ours = lines.filter((l) => l.startsWith("alpaca:") || l.startsWith("wasm trap:"));
  const programs = lines.filter((l) => !ours.includes(l)).join("\n");
  if (r.status === 125 && r.stdout === "" && lines.length === 1 && ours.length === 1) return { ok: true, outcome: "refused" };
  const refProgram = reference.stderr.split("\n").filter((l) => l !== "").join("\n");
  if (r.status === reference.status && r.stdout === reference.stdout && programs === refProgram) return { ok: true, outcome: "identical" };
  if (r.status !== 0 && ours.some((l) => !l.startsWith("alpaca: warning:"))) return { ok: true, outcome: "stopped" };
  return { ok: false, outcome: `ended with status ${r.status} and other output; alpaca said: ${ours.join(" | ") || "nothing"}` };
}

describe("log fuzzer", { skip: existsSync(PROGRAM) ? false : "run make test-suite first" }, () => {
  for (const target of TARGETS) {
    it(`every structural edit of a ${target.backend} log is refused, replays identically, or stops with a clear message`, { skip: existsSync(target.program) ? false : `${target.program} is not built` }, async (t) => {
      const { program, func } = target;
      const dir = mkdtempSync(join(tmpdir(), "alpaca-fuzz-"));
      try {
        const env = { ...process.env, ALPACA_LOG_LEVEL: "", XDG_CONFIG_HOME: join(dir, "config") };
        const log = join(dir, "report.alog");
        const reference = await runAlpaca(["analyze", "--func", func, "--log", log, program], env);
        assert.ok(reference.status !== null && reference.status < 125, reference.stderr);
        const key = new Uint8Array(readFileSync(join(dir, "config/alpaca/log-key")));
        const decoded = decodeLog(readFileSync(log));
        const rnd = createRng(16); // deterministic: a failure names a case that can be run again
        const cases = EDITS.flatMap((e) => Array.from({ length: ROUNDS }, (_, i) => i).map((i) => ({ name: `${e.name} #${i}`, bytes: signed(e.bytes(decoded, rnd), key) })));
        const results: Array<{ name: string; ok: boolean; outcome: string }> = [];
        // Two at a time: the machines have two cores.
        for (let i = 0; i < cases.length; i += 2) {
          const batch = cases.slice(i, i + 2).map(async (c, j) => {
            const path = join(dir, `edit-${i + j}.alog`);
            writeFileSync(path, c.bytes);
            const r = await runAlpaca(["disable", "--func", func, "--log", path, program], env);
            return { name: c.name, ...classify(r, reference) };
          });
          results.push(...(await Promise.all(batch)));
        }
        const bad = results.filter((r) => !r.ok);
        assert.deepEqual(bad, [], `${bad.length} of ${results.length} edits ended badly`);
        const counts = results.reduce<Record<string, number>>((m, r) => ({ ...m, [r.outcome]: (m[r.outcome] ?? 0) + 1 }), {});
        t.diagnostic(`${results.length} edits: ${JSON.stringify(counts)}`);
        assert.ok((counts.refused ?? 0) > 0 && (counts.stopped ?? 0) > 0, JSON.stringify(counts));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("refuses an unedited log made with another user's key, and a log with one byte edited", () => {
    const t = mkdtempSync(join(tmpdir(), "alpaca-fuzz-"));
    try {
      const mine = { ...process.env, ALPACA_LOG_LEVEL: "", XDG_CONFIG_HOME: join(t, "mine") };
      const theirs = { ...mine, XDG_CONFIG_HOME: join(t, "theirs") };
      const log = join(t, "report.alog");
      const run = (args: string[], env: NodeJS.ProcessEnv) => runCliSync(args, { env });
      assert.equal(run(["analyze", "--func", FUNC, "--log", log, PROGRAM], mine).status, 0);
      const keyFile = join(t, "mine/alpaca/log-key");
      assert.equal(spawnSync("stat", ["-c", "%a", keyFile], { encoding: "utf8" }).stdout.trim(), "600");
      assert.equal(spawnSync("stat", ["-c", "%a", join(t, "mine/alpaca")], { encoding: "utf8" }).stdout.trim(), "700");

      const ok = run(["disable", "--func", FUNC, "--log", log, PROGRAM], mine);
      assert.equal(ok.status, 0);
      assert.match(run(["log", "dump", log], mine).stdout, /^mac verified with your key$/m);

      const foreign = run(["disable", "--func", FUNC, "--log", log, PROGRAM], theirs);
      assert.equal(foreign.status, 125);
      assert.equal(foreign.stdout, "");
      assert.match(foreign.stderr, /^alpaca: log .* does not verify with your key .*--trust-log.*\n$/);
      assert.equal((JSON.parse(run(["log", "dump", "--json", log], theirs).stdout) as { mac: string }).mac, "mismatch");

      // One byte of a write edited, its block's CRC made right again: only the MAC tells.
      const bytes = new Uint8Array(readFileSync(log));
      const inv = blocks(bytes).find((b) => b.kind === 2)!;
      bytes[inv.start + 5 + inv.len - 1]! ^= 0x01; // the last record's result
      fixCrc(bytes, inv);
      const edited = join(t, "edited.alog");
      writeFileSync(edited, bytes);
      const refused = run(["disable", "--func", FUNC, "--log", edited, PROGRAM], mine);
      assert.equal(refused.status, 125);
      assert.equal(refused.stderr.split("\n").filter(Boolean).length, 1);
      const trusted = run(["disable", "--trust-log", "--func", FUNC, "--log", edited, PROGRAM], mine);
      assert.match(trusted.stderr, /^alpaca: warning: log .* does not verify with your key.*replaying it because of --trust-log$/m);
      const energy = run(["energy", "--func", FUNC, "--log", edited, "--source", "model", "--max-runs", "3", PROGRAM], mine);
      assert.equal(energy.status, 125, energy.stderr);
      assert.match(energy.stderr, /^alpaca: log .* does not verify with your key/);
    } finally {
      rmSync(t, { recursive: true, force: true });
    }
  });
});
