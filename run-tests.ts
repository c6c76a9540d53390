/**
 * End-to-end test of analysis and replay (`make e2e`): for every case in test-suite/cases.ts it
 * runs the real CLI on the real test-suite program three ways: plain (`alpaca run`), analyzed
 * (`alpaca analyze`) and disabled (`alpaca disable`), and for some cases also through
 * ALPACA_MODE with `alpaca run`. The analyzed run must equal the plain run, and the disabled run
 * the analyzed run, byte for byte in stdout, stderr, exit status and the files left in every
 * preopened directory. Then `alpaca log dump --json` must show what the C source implies, and
 * for compute-heavy cases the disabled run must use far less CPU than the plain run. Negative
 * cases check Alpaca's own failures: exit status 125, one `alpaca: ` line, no log left behind.
 *
 * Prints one line per case (`ok   name` / `FAIL name: reason`, with an excerpt of the first
 * difference), then `N passed, N failed`; exits 1 on any failure. Runs two cases at a time.
 * Usage: node --import tsx run-tests.ts [--jobs N] [--keep] [NAME-SUBSTRING...]
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { LAUNCHER as CLI, runCli as runAlpaca } from "./test/harness/cli.js";
import { CASES, type Case, type CheckContext, type DumpJson, type EventJson, type Region, type ReturnJson, type RunResult } from "./test-suite/cases.js";

const ROOT = dirname(fileURLToPath(import.meta.url));
const BUILD = join(ROOT, "build", "test-suite");
/** wasm-ld's default shadow stack size. */
const STACK_BYTES = 64 * 1024;
const EXIT_ALPACA_FAILURE = 125;
const RUN_TIMEOUT_MS = 5 * 60 * 1000;

// ---------------------------------------------------------------------------------------------
// Running the CLI

interface Run extends RunResult {
  /** The command, for messages. */
  command: string;
  timedOut: boolean;
  wallMs: number;
  /** User + system CPU time of the whole CLI process, when measured. */
  cpuMs?: number;
}

interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
  stdin?: string;
  /** Measure CPU time with /usr/bin/time. */
  timed?: boolean;
}

/** The environment every run starts from: nothing of the harness's own, no ALPACA_*. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ["PATH", "HOME", "LANG", "TMPDIR"]) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return env;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function describeCommand(args: string[], opts: RunOptions): string {
  const vars = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${shellQuote(v)} `).join("");
  const input = opts.stdin !== undefined ? " < STDIN" : "";
  return `(cd ${shellQuote(opts.cwd)} && ${vars}node ${shellQuote(relative(opts.cwd, CLI) || CLI)} ${args.map(shellQuote).join(" ")}${input})`;
}

async function runCli(args: string[], opts: RunOptions): Promise<Run> {
  const r = await runAlpaca(args, { cwd: opts.cwd, env: { ...baseEnv(), ...opts.env }, stdin: opts.stdin ?? "", timeoutMs: RUN_TIMEOUT_MS, timed: opts.timed ?? false });
  const run: Run = { command: describeCommand(args, opts), stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal, timedOut: r.timedOut, wallMs: r.wallMs };
  if (r.cpuMs !== undefined) run.cpuMs = r.cpuMs;
  return run;
}

// ---------------------------------------------------------------------------------------------
// Comparing runs

/** A short excerpt around the first difference of two outputs. */
function diffExcerpt(label: string, a: Buffer, b: Buffer, aName: string, bName: string): string {
  const at = firstDifference(a, b);
  const textual = !a.includes(0) && !b.includes(0);
  if (!textual) return `${label}: first difference at byte ${at} (${aName} ${a.length} bytes, ${bName} ${b.length} bytes)`;
  const al = a.toString("utf8").split("\n");
  const bl = b.toString("utf8").split("\n");
  let line = 0;
  while (line < al.length && line < bl.length && al[line] === bl[line]) line++;
  const clip = (s: string | undefined): string => (s === undefined ? "<end>" : JSON.stringify(s.length > 160 ? `${s.slice(0, 160)}...` : s));
  const context = (ls: string[]): string => ls.slice(Math.max(0, line - 1), line + 2).map(clip).join(" | ");
  const pad = Math.max(aName.length, bName.length);
  return `${label} differs at line ${line + 1} (byte ${at}; ${aName} ${a.length} bytes, ${bName} ${b.length} bytes)\n` +
    `      ${aName.padEnd(pad)} ${context(al)}\n      ${bName.padEnd(pad)} ${context(bl)}`;
}

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

type Tree = Map<string, Buffer | "dir">;

/** Every file and directory under root, with file contents. */
function snapshotTree(root: string): Tree {
  const tree: Tree = new Map();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const rel = relative(root, path);
      if (statSync(path).isDirectory()) {
        tree.set(rel, "dir");
        walk(path);
      } else {
        tree.set(rel, readFileSync(path));
      }
    }
  };
  if (existsSync(root)) walk(root);
  return tree;
}

function compareTrees(label: string, a: Tree, b: Tree, aName: string, bName: string): string | undefined {
  for (const [path, content] of a) {
    const other = b.get(path);
    if (other === undefined) return `${label}: ${path} exists after the ${aName} run but not after the ${bName} run`;
    if (content === "dir" || other === "dir") {
      if (content !== other) return `${label}: ${path} is a directory in one run and a file in the other`;
      continue;
    }
    if (!content.equals(other)) return diffExcerpt(`${label}/${path}`, content, other, aName, bName);
  }
  for (const path of b.keys()) if (!a.has(path)) return `${label}: ${path} exists after the ${bName} run but not after the ${aName} run`;
  return undefined;
}

interface Observed {
  run: Run;
  /** Directory trees after the run, one per DirSpec. */
  trees: Tree[];
}

/** Compares two runs in full; `skipStdout` only for nondeterministic programs (plain vs analyzed). */
function compareRuns(a: Observed, b: Observed, aName: string, bName: string, skipStdout = false): string[] {
  const problems: string[] = [];
  if (a.run.status !== b.run.status || a.run.signal !== b.run.signal) {
    problems.push(`exit status: ${aName} ${statusText(a.run)}, ${bName} ${statusText(b.run)}`);
  }
  if (!skipStdout && !a.run.stdout.equals(b.run.stdout)) problems.push(diffExcerpt("stdout", a.run.stdout, b.run.stdout, aName, bName));
  if (!a.run.stderr.equals(b.run.stderr)) problems.push(diffExcerpt("stderr", a.run.stderr, b.run.stderr, aName, bName));
  a.trees.forEach((tree, i) => {
    const p = compareTrees(`dir ${i}`, tree, b.trees[i] ?? new Map<string, Buffer | "dir">(), aName, bName);
    if (p) problems.push(p);
  });
  return problems.map((p) => `${bName} != ${aName}: ${p}`);
}

/**
 * The run with its expected warning line taken out of stderr (a problem when it is missing), so
 * the rest compares with the plain run's; the run as it is when no warning is expected.
 */
function withoutWarning(o: Observed, warning: RegExp | undefined, problems: string[]): Observed {
  if (!warning) return o;
  const lines = o.run.stderr.toString("utf8").split("\n");
  const at = lines.findIndex((l) => warning.test(l));
  if (at < 0) {
    problems.push(`the analyzed run did not warn ${String(warning)}: ${o.run.command}`);
    return o;
  }
  lines.splice(at, 1);
  return { ...o, run: { ...o.run, stderr: Buffer.from(lines.join("\n")) } };
}

function statusText(r: Run): string {
  if (r.timedOut) return `timed out after ${RUN_TIMEOUT_MS / 1000} s`;
  return r.signal !== null ? `killed by ${r.signal}` : `exit ${String(r.status)}`;
}

/** The run finished on its own, without Alpaca complaining (or trapping, unless expected). */
function sane(r: Run, name: string, trapExpected = false): string | undefined {
  if (r.timedOut || r.signal !== null) return `${name} run ${statusText(r)}: ${r.command}`;
  const own = r.stderr.toString("utf8").split("\n").find((l) => l.startsWith("alpaca:") || (!trapExpected && l.startsWith("wasm trap:")));
  if (own !== undefined) return `${name} run (exit ${String(r.status)}) printed ${JSON.stringify(own.slice(0, 300))}: ${r.command}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Module layout (for the regions writes may land in)

interface Layout {
  stackTop: number;
  globalNames: Map<string, number>;
}

/** The unsigned LEB128 at bytes[pos], and the position after it. */
function readLeb(bytes: Buffer, pos: number): [number, number] {
  let result = 0, shift = 0, b: number, p = pos;
  do {
    b = bytes[p++]!;
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return [result, p];
}

/** Reads the initial __stack_pointer and the global names from a wasm32 module. */
function readLayout(bytes: Buffer): Layout {
  let p = 8;
  const u = (): number => {
    const [value, next] = readLeb(bytes, p);
    p = next;
    return value;
  };
  const s32 = (): number => {
    let result = 0, shift = 0, b: number;
    do {
      b = bytes[p++]!;
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 35);
    return shift < 32 && b & 0x40 ? result | (-1 << shift) : result;
  };
  let importedGlobals = 0;
  const inits: Array<number | undefined> = [];
  const globalNames = new Map<string, number>();
  while (p < bytes.length) {
    const id = bytes[p++]!;
    const size = u();
    const end = p + size;
    if (id === 2) {
      for (let n = u(); n > 0; n--) {
        for (let part = 0; part < 2; part++) {
          const len = u(); // module, then field name
          p += len;
        }
        const kind = bytes[p++]!;
        if (kind === 0) u();
        else if (kind === 1) {
          p++;
          const flags = u();
          u();
          if (flags & 1) u();
        } else if (kind === 2) {
          const flags = u();
          u();
          if (flags & 1) u();
        } else if (kind === 3) {
          p += 2;
          importedGlobals++;
        }
      }
    } else if (id === 6) {
      for (let n = u(); n > 0; n--) {
        p += 2; // type, mutability
        const op = bytes[p++]!;
        inits.push(op === 0x41 ? s32() : undefined);
        while (bytes[p] !== 0x0b) p++; // skip the rest of a non-i32.const init expression
        p++;
      }
    } else if (id === 0) {
      const nameLen = u();
      const name = bytes.subarray(p, p + nameLen).toString("utf8");
      p += nameLen;
      while (name === "name" && p < end) {
        const sub = bytes[p++]!;
        const subSize = u();
        const subEnd = p + subSize;
        if (sub === 7) {
          for (let n = u(); n > 0; n--) {
            const idx = u();
            const len = u();
            globalNames.set(bytes.subarray(p, p + len).toString("utf8"), idx);
            p += len;
          }
        }
        p = subEnd;
      }
    }
    p = end;
  }
  const spIdx = globalNames.get("__stack_pointer") ?? importedGlobals;
  const stackTop = inits[spIdx - importedGlobals];
  if (stackTop === undefined) throw new Error("cannot find the initial __stack_pointer");
  return { stackTop, globalNames };
}

function inRegion(addr: number, size: number, region: Region, stackTop: number): boolean {
  const stackLow = stackTop - STACK_BYTES;
  switch (region) {
    case "stack": return addr >= stackLow && addr + size <= stackTop;
    case "static": return addr + size <= stackLow;
    case "heap": return addr >= stackTop;
  }
}

// ---------------------------------------------------------------------------------------------
// Checking the dump against the case

function sameReturn(got: ReturnJson | undefined, want: ReturnJson): boolean {
  if (!got || got.type !== want.type) return false;
  if (want.type === "f32" || want.type === "f64") {
    return "bits" in got && got.bits.toLowerCase() === want.bits && got.value === want.value;
  }
  if (want.type === "v128") return "bytes" in got && got.bytes === want.bytes;
  return "value" in got && got.value === want.value;
}

function checkDump(c: Case, args: string[], ctx: CheckContext, programSha: string): string[] {
  const { dump } = ctx;
  const e = c.expect;
  const problems: string[] = [];
  const eq = (what: string, got: unknown, want: unknown): void => {
    if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${what} is ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  };
  eq("backend", dump.backend, "wasm");
  eq("program_sha256", dump.program_sha256, programSha);
  eq("function.name", dump.function.name, c.func);
  if (e.params) eq("function.params", dump.function.params, e.params);
  eq("function.results", dump.function.results, e.results);
  eq("args", dump.args, args);
  // The log keeps the environment's names, never its values.
  if (dump.env !== undefined) eq("env", dump.env, Object.keys(c.env ?? {}));
  eq("end", dump.end, { outcome: c.trap ? "trapped" : "exited", exit_code: c.exitCode });

  const invs = dump.invocations;
  const count = typeof e.invocations === "number" ? e.invocations : e.invocations(ctx);
  if (invs.length !== count) problems.push(`${invs.length} invocations, want ${count}`);
  const first = invs[0]?.index ?? 0;
  invs.forEach((inv, k) => {
    if (inv.index !== first + k) problems.push(`invocation ${k} has index ${inv.index}`);
  });
  const exitedAt = e.exitedLast !== undefined ? invs.length - 1 : -1;
  const trappedAt = e.trappedLast !== undefined ? invs.length - 1 : -1;
  invs.forEach((inv, k) => {
    if (k === trappedAt) {
      if (inv.status !== "trapped" || !inv.trap?.includes(e.trappedLast!)) problems.push(`last invocation ${inv.status}${inv.trap !== undefined ? `: ${inv.trap}` : ""}, want trapped: ${String(e.trappedLast)}`);
      if (inv.returns.length !== 0) problems.push(`the trapping invocation has returns ${JSON.stringify(inv.returns)}`);
    } else if (k === exitedAt) {
      if (inv.status !== "exited" || inv.exit_code !== e.exitedLast) problems.push(`last invocation ${inv.status}${inv.exit_code !== undefined ? ` ${inv.exit_code}` : ""}, want exited ${String(e.exitedLast)}`);
      if (inv.returns.length !== 0) problems.push(`the exiting invocation has returns ${JSON.stringify(inv.returns)}`);
    } else if (inv.status !== "returned") {
      problems.push(`invocation ${inv.index} ${inv.status}${inv.trap ? `: ${inv.trap}` : ""}, want returned`);
    } else if (inv.returns.length !== e.results.length) {
      problems.push(`invocation ${inv.index} returns ${JSON.stringify(inv.returns)}, want ${e.results.length} value(s) of ${JSON.stringify(e.results)}`);
    }
  });
  const badReturns = (e.returns ?? []).flatMap((want, k) => {
    const got = invs[k]?.returns ?? [];
    const ok = got.length === want.length && want.every((w, i) => sameReturn(got[i], w));
    return ok ? [] : [`invocation ${k} returned ${JSON.stringify(got)}, want ${JSON.stringify(want)}`];
  });
  if (badReturns.length > 0) problems.push(`${badReturns.length} wrong return(s), first: ${badReturns[0]!}`);

  const writesOf = (events: EventJson[]): Array<Extract<EventJson, { kind: "write" }>> => events.flatMap((ev) => (ev.kind === "write" ? [ev] : []));
  if (e.writes !== undefined) {
    const want = typeof e.writes === "boolean" ? invs.map(() => e.writes as boolean) : e.writes;
    const bad = invs.flatMap((inv, k) => (writesOf(inv.events).length > 0 !== want[k] ? [`invocation ${inv.index} ${want[k] ? "records no write" : `records ${writesOf(inv.events).length} write(s), first ${JSON.stringify(writesOf(inv.events)[0])}`}`] : []));
    if (bad.length > 0) problems.push(`writes: ${bad.slice(0, 3).join("; ")}${bad.length > 3 ? ` (+${bad.length - 3} more)` : ""}`);
  }
  if (e.writesIn !== undefined) {
    const region = e.writesIn;
    const outside = invs.flatMap((inv) => writesOf(inv.events).filter((w) => !inRegion(w.addr, w.size, region, ctx.stackTop)).map((w) => ({ inv: inv.index, addr: w.addr, size: w.size })));
    if (outside.length > 0) {
      const w = outside[0]!;
      problems.push(`${outside.length} write(s) outside the ${region} region (stack 0x${ctx.stackLow.toString(16)}..0x${ctx.stackTop.toString(16)}), first: invocation ${w.inv} 0x${w.addr.toString(16)} +${w.size}`);
    }
  }
  const calls = new Set(invs.flatMap((inv) => inv.events.flatMap((ev) => (ev.kind === "syscall" ? [ev.name] : []))));
  for (const name of e.syscalls ?? []) if (!calls.has(name)) problems.push(`no ${name} inside F (saw ${JSON.stringify([...calls])})`);
  if (e.onlySyscalls) {
    const extra = [...calls].filter((n) => !e.onlySyscalls!.includes(n));
    if (extra.length > 0) problems.push(`unexpected syscalls inside F: ${extra.join(", ")}`);
  }
  const grows = invs.flatMap((inv) => inv.events.filter((ev) => ev.kind === "grow"));
  if (e.grow === true && grows.length === 0) problems.push("no memory growth recorded");
  if (e.grow === false && grows.length > 0) problems.push(`unexpected memory growth ${JSON.stringify(grows[0])}`);
  for (const [want, inside] of [[e.inputsInside, true], [e.inputsOutside, false]] as const) {
    for (const name of want ?? []) {
      if (!dump.inputs.some((i) => i.inside_function === inside && i.name === name)) {
        problems.push(`no recorded input ${name} ${inside ? "inside" : "outside"} F (inputs: ${JSON.stringify(dump.inputs.map((i) => `${i.name}${i.inside_function ? "@F" : ""}`))})`);
      }
    }
  }
  if (problems.length === 0 && e.check) {
    const p = e.check(ctx);
    if (p) problems.push(p);
  }
  return problems.map((p) => `log: ${p}`);
}

// ---------------------------------------------------------------------------------------------
// One case

interface Outcome {
  name: string;
  problems: string[];
  note?: string;
}

function wasmPath(program: string): string {
  return join(BUILD, `${program}.wasm`);
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function parseDump(r: Run): DumpJson | string {
  if (r.status !== 0) return `log dump failed (${statusText(r)}): ${r.stderr.toString("utf8").trim().slice(0, 300)}`;
  try {
    return JSON.parse(r.stdout.toString("utf8")) as DumpJson;
  } catch (error) {
    return `log dump --json printed invalid JSON: ${(error as Error).message}`;
  }
}

/**
 * One case's runs, in order: plain, analyzed, disabled, control, then the log's checks (dump,
 * replay statistics, text dump), the ALPACA_MODE form and the CPU check of heavy cases. Each
 * step adds what is wrong to `problems`; the runs share the case's folders (fresh contents for
 * every run) through `observe`.
 */
class CaseRun {
  readonly problems: string[] = [];
  note: string | undefined;
  private readonly program: string;
  private readonly hostDirs: string[];
  private readonly dirOpts: string[];
  private readonly args: string[];
  private readonly envOpts: string[];
  private readonly work: string;
  private readonly log: string;
  private readonly logOpts: string[];
  private readonly statsFile: string;
  private readonly controlStats: string;

  constructor(private readonly c: Case, private readonly tmp: string) {
    this.program = wasmPath(c.program);
    const dirs = c.dirs ?? [];
    this.hostDirs = dirs.map((_, i) => join(tmp, `dir${i}`));
    this.dirOpts = dirs.flatMap((d, i) => ["--dir", d.samePath ? this.hostDirs[i]! : `${this.hostDirs[i]!}:${d.guest}`]);
    this.args = c.args.map((a) => a.replace(/\{dir(\d+)\}/g, (_, i: string) => this.hostDirs[Number(i)] ?? `{dir${i}}`));
    this.envOpts = Object.entries(c.env ?? {}).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
    this.work = join(tmp, "work");
    mkdirSync(this.work);
    this.log = join(this.work, `${c.func}.alog`);
    this.logOpts = c.defaultLog ? [] : ["--log", this.log];
    this.statsFile = join(tmp, "stats.json");
    this.controlStats = join(tmp, "control-stats.json");
  }

  /** The program and its arguments, after alpaca's own options. */
  private programArgs(): string[] {
    return [...this.dirOpts, ...this.envOpts, this.program, ...this.args];
  }

  /** Fresh directories, the run, then what the directories hold. */
  private async observe(args: string[], env: Record<string, string> = {}, timed = false, stdin = this.c.stdin): Promise<Observed> {
    (this.c.dirs ?? []).forEach((d, i) => {
      rmSync(this.hostDirs[i]!, { recursive: true, force: true });
      mkdirSync(this.hostDirs[i]!, { recursive: true });
      for (const [name, text] of Object.entries(d.files)) writeFileSync(join(this.hostDirs[i]!, name), text);
    });
    const opts: RunOptions = { cwd: this.work, env, timed };
    if (stdin !== undefined) opts.stdin = stdin;
    const run = await runCli(args, opts);
    return { run, trees: this.hostDirs.map(snapshotTree) };
  }

  /** Adds the problem `sane` finds with a run; returns whether it found one. */
  private insane(run: Run, what: string): boolean {
    const problem = sane(run, what, this.c.trap);
    if (problem) this.problems.push(problem);
    return problem !== undefined;
  }

  async run(): Promise<void> {
    const { c, problems } = this;
    const heavy = c.heavy !== undefined;
    const plain = await this.observe(["run", ...this.programArgs()], {}, heavy);
    if (!this.insane(plain.run, "plain") && plain.run.status !== c.exitCode) problems.push(`plain run exited ${String(plain.run.status)}, want ${c.exitCode}: ${plain.run.command}`);

    const analyzed = withoutWarning(await this.observe(["analyze", "--func", c.func, ...this.logOpts, ...this.programArgs()]), c.analyzeWarning, problems);
    this.insane(analyzed.run, "analyzed");
    problems.push(...compareRuns(plain, analyzed, "plain", "analyzed", c.nondeterministic));
    const leftovers = readdirSync(this.work).filter((f) => f !== `${c.func}.alog`);
    if (leftovers.length > 0) problems.push(`analyze left ${JSON.stringify(leftovers)} beside the log`);
    if (!existsSync(this.log)) {
      problems.push(`analyze wrote no log at ${this.log}: ${analyzed.run.command}`);
      return;
    }

    const disabled = await this.observe(["disable", "--func", c.func, ...(c.disableFlags ?? []), ...this.logOpts, ...this.programArgs()], { ALPACA_STATS_FILE: this.statsFile }, heavy, c.disabledStdin ?? c.stdin);
    const disabledSane = !this.insane(disabled.run, "disabled");
    problems.push(...compareRuns(analyzed, disabled, "analyzed", "disabled"));

    // The energy comparison's control variant: F runs, then its logged effects are applied again;
    // the program must not be able to tell.
    const control = await this.observe(["run", ...this.programArgs()], { ALPACA_MODE: "c", ALPACA_FUNC: c.func, ALPACA_LOG: this.log, ALPACA_STATS_FILE: this.controlStats }, false, c.stdin);
    const controlSane = !this.insane(control.run, "control");
    problems.push(...compareRuns(analyzed, control, "analyzed", "control"));

    const dump = parseDump(await runCli(["log", "dump", "--json", this.log], { cwd: this.work }));
    if (typeof dump === "string") {
      problems.push(dump);
    } else {
      this.checkLog(dump, plain, analyzed, { disabled: disabledSane, control: controlSane });
      const text = await runCli(["log", "dump", this.log], { cwd: this.work });
      if (text.status !== 0 || text.stdout.length === 0) problems.push(`log dump (text) ${statusText(text)}: ${text.stderr.toString("utf8").trim().slice(0, 200)}`);
      if (c.envForm) await this.checkEnvForm(plain, dump);
    }
    if (c.heavy) this.checkHeavy(plain.run, disabled.run, c.heavy.maxRatio);
  }

  /** The dump shows what the source implies, and each replay applied every invocation. */
  private checkLog(dump: DumpJson, plain: Observed, analyzed: Observed, ranSanely: { disabled: boolean; control: boolean }): void {
    const { c, problems } = this;
    const layout = readLayout(readFileSync(this.program));
    const ctx: CheckContext = {
      dump,
      plain: plain.run,
      analyzed: analyzed.run,
      stackTop: layout.stackTop,
      stackLow: layout.stackTop - STACK_BYTES,
      globalIndex: (name) => layout.globalNames.get(name),
    };
    problems.push(...checkDump(c, this.args, ctx, sha256(this.program)));
    if (existsSync(this.controlStats)) {
      const stats = JSON.parse(readFileSync(this.controlStats, "utf8")) as { invocations?: number };
      if (stats.invocations !== dump.invocations.filter((i) => i.status === "returned").length) {
        problems.push(`the control run applied ${String(stats.invocations)} invocations, the log has ${dump.invocations.length}`);
      }
    } else if (ranSanely.control) {
      problems.push("the control run wrote no replay statistics (ALPACA_STATS_FILE)");
    }
    if (existsSync(this.statsFile)) {
      const stats = JSON.parse(readFileSync(this.statsFile, "utf8")) as { invocations?: number };
      if (stats.invocations !== dump.invocations.length) problems.push(`the disabled run replayed ${String(stats.invocations)} invocations, the log has ${dump.invocations.length}`);
    } else if (ranSanely.disabled) {
      problems.push("the disabled run wrote no replay statistics (ALPACA_STATS_FILE)");
    }
  }

  /** Analysis and replay through ALPACA_MODE with `alpaca run`: the same runs and, for a deterministic case, the same log. */
  private async checkEnvForm(plain: Observed, dump: DumpJson): Promise<void> {
    const { c, problems } = this;
    const envLog = join(this.tmp, "env-form.alog");
    const vars = { ALPACA_FUNC: c.func, ALPACA_LOG: envLog };
    const ea = withoutWarning(await this.observe(["run", ...this.programArgs()], { ...vars, ALPACA_MODE: "a" }), c.analyzeWarning, problems);
    this.insane(ea.run, "ALPACA_MODE=a");
    problems.push(...compareRuns(plain, ea, "plain", "ALPACA_MODE=a", c.nondeterministic));
    const ed = await this.observe(["run", ...this.programArgs()], { ...vars, ALPACA_MODE: "d" });
    this.insane(ed.run, "ALPACA_MODE=d");
    problems.push(...compareRuns(ea, ed, "ALPACA_MODE=a", "ALPACA_MODE=d"));
    const envDump = parseDump(await runCli(["log", "dump", "--json", envLog], { cwd: this.work }));
    if (typeof envDump === "string") problems.push(`ALPACA_MODE=a log: ${envDump}`);
    else if (!c.nondeterministic && JSON.stringify(envDump) !== JSON.stringify(dump)) {
      problems.push("the ALPACA_MODE=a log differs from the analyze log of the same deterministic run");
    }
  }

  /** A compute-heavy case's disabled run must do measurably less work than its plain run. */
  private checkHeavy(plain: Run, disabled: Run, maxRatio: number): void {
    const p = plain.cpuMs ?? plain.wallMs;
    const d = disabled.cpuMs ?? disabled.wallMs;
    const what = plain.cpuMs !== undefined ? "CPU" : "wall";
    this.note = `disabled/plain ${what} ${(d / 1000).toFixed(2)}s/${(p / 1000).toFixed(2)}s = ${(d / p).toFixed(2)}`;
    if (!(d < maxRatio * p)) this.problems.push(`the disabled run did not do measurably less work: ${this.note}, want < ${maxRatio}`);
  }
}

async function runCase(c: Case, keep: boolean): Promise<Outcome> {
  const program = wasmPath(c.program);
  if (!existsSync(program)) return { name: c.name, problems: [`${program} is not built (make test-suite)`] };
  const tmp = mkdtempSync(join(tmpdir(), `alpaca-e2e-${c.name}-`));
  let run: CaseRun | undefined;
  const problems: string[] = [];
  try {
    run = new CaseRun(c, tmp);
    await run.run();
  } catch (error) {
    problems.push(`harness error: ${(error as Error).stack ?? String(error)}`);
  } finally {
    if (!keep) rmSync(tmp, { recursive: true, force: true });
  }
  const all = [...(run?.problems ?? []), ...problems];
  return run?.note !== undefined ? { name: c.name, problems: all, note: run.note } : { name: c.name, problems: all };
}

// ---------------------------------------------------------------------------------------------
// Negative cases: Alpaca's own failures

interface NegativeCase {
  name: string;
  /** Builds the command in a fresh directory; returns the CLI arguments and what to watch. */
  setup: (dir: string) => Promise<{ args: string[]; env?: Record<string, string>; watch: string; guestMayRun?: boolean; stderrMatch?: RegExp }>;
}

/** A copy of a module without its "name" custom section (as `wasm-strip`/`llvm-strip` leave it). */
function withoutNameSection(bytes: Buffer): Buffer {
  const parts: Buffer[] = [bytes.subarray(0, 8)];
  let p = 8;
  const u = (): number => {
    const [value, next] = readLeb(bytes, p);
    p = next;
    return value;
  };
  while (p < bytes.length) {
    const start = p;
    const id = bytes[p++]!;
    const size = u();
    const end = p + size;
    let name = "";
    if (id === 0) {
      const len = u();
      name = bytes.subarray(p, p + len).toString("utf8");
    }
    if (!(id === 0 && name === "name")) parts.push(bytes.subarray(start, end));
    p = end;
  }
  return Buffer.concat(parts);
}

/** A valid copy of a module with one custom section appended: same code, different SHA-256. */
function withCustomSection(bytes: Buffer): Buffer {
  const name = Buffer.from("alpaca-e2e");
  const payload = Buffer.concat([Buffer.from([name.length]), name, Buffer.from("different bytes")]);
  return Buffer.concat([bytes, Buffer.from([0, payload.length]), payload]);
}

async function goodLog(dir: string, args = ["27", "97"]): Promise<string> {
  const log = join(dir, "good", "collatz_delta.alog");
  mkdirSync(dirname(log), { recursive: true });
  const r = await runCli(["analyze", "--func", "collatz_delta", "--log", log, wasmPath("ret_i32"), ...args], { cwd: dir });
  if (!existsSync(log)) throw new Error(`could not make a log to damage: ${statusText(r)} ${r.stderr.toString("utf8").trim()}`);
  return log;
}

const NEGATIVE: NegativeCase[] = [
  {
    name: "cli_missing_program",
    setup: (dir) => Promise.resolve({ args: ["analyze", "--func", "main", "--log", join(dir, "x.alog"), join(dir, "no-such-program.wasm")], watch: dir }),
  },
  {
    name: "cli_not_wasm",
    setup: (dir) => {
      const p = join(dir, "notes.wasm");
      writeFileSync(p, "this is a text file, not a WebAssembly module\n");
      return Promise.resolve({ args: ["analyze", "--func", "main", "--log", join(dir, "x.alog"), p], watch: dir });
    },
  },
  {
    name: "cli_unknown_function",
    setup: (dir) => Promise.resolve({
      args: ["analyze", "--func", "colatz_delta", "--log", join(dir, "x.alog"), wasmPath("ret_i32"), "27"],
      watch: dir,
      stderrMatch: /collatz_delta/,
    }),
  },
  {
    name: "cli_imported_function",
    setup: (dir) => Promise.resolve({
      args: ["analyze", "--func", "__imported_wasi_snapshot_preview1_fd_write", "--log", join(dir, "x.alog"), wasmPath("ret_i32"), "27"],
      watch: dir,
    }),
  },
  {
    name: "cli_unwritable_log",
    setup: (dir) => {
      writeFileSync(join(dir, "a-file"), "");
      // A path under a regular file cannot be created, even by root.
      return Promise.resolve({ args: ["analyze", "--func", "collatz_delta", "--log", join(dir, "a-file", "x.alog"), wasmPath("ret_i32"), "27"], watch: dir });
    },
  },
  {
    name: "cli_missing_log",
    setup: (dir) => Promise.resolve({ args: ["disable", "--func", "collatz_delta", "--log", join(dir, "none.alog"), wasmPath("ret_i32"), "27"], watch: dir }),
  },
  {
    name: "cli_truncated_log",
    setup: async (dir) => {
      const log = await goodLog(dir);
      const bytes = readFileSync(log);
      writeFileSync(log, bytes.subarray(0, Math.floor(bytes.length / 2)));
      return { args: ["disable", "--func", "collatz_delta", "--log", log, wasmPath("ret_i32"), "27", "97"], watch: dir };
    },
  },
  {
    name: "cli_corrupted_log",
    setup: async (dir) => {
      const log = await goodLog(dir);
      const bytes = readFileSync(log);
      const at = Math.floor(bytes.length * 0.6);
      bytes[at] = bytes[at]! ^ 0x5a;
      writeFileSync(log, bytes);
      return { args: ["disable", "--func", "collatz_delta", "--log", log, wasmPath("ret_i32"), "27", "97"], watch: dir };
    },
  },
  {
    name: "cli_dump_truncated_log",
    setup: async (dir) => {
      const log = await goodLog(dir);
      const bytes = readFileSync(log);
      writeFileSync(log, bytes.subarray(0, bytes.length - 3));
      return { args: ["log", "dump", "--json", log], watch: dir };
    },
  },
  {
    name: "cli_program_hash_mismatch",
    setup: async (dir) => {
      const log = await goodLog(dir);
      const other = join(dir, "ret_i32-rebuilt.wasm");
      writeFileSync(other, withCustomSection(readFileSync(wasmPath("ret_i32"))));
      return { args: ["disable", "--func", "collatz_delta", "--log", log, other, "27", "97"], watch: dir };
    },
  },
  {
    name: "cli_log_of_other_function",
    setup: async (dir) => {
      const log = await goodLog(dir);
      return { args: ["disable", "--func", "main", "--log", log, wasmPath("ret_i32"), "27", "97"], watch: dir };
    },
  },
  {
    name: "cli_no_name_section",
    setup: (dir) => {
      const p = join(dir, "stripped.wasm");
      writeFileSync(p, withoutNameSection(readFileSync(wasmPath("ret_i32"))));
      return Promise.resolve({ args: ["analyze", "--func", "collatz_delta", "--log", join(dir, "x.alog"), p, "27"], watch: dir });
    },
  },
  {
    name: "cli_unknown_option",
    setup: (dir) => Promise.resolve({
      args: ["analyze", "--func", "collatz_delta", "--log", join(dir, "x.alog"), "--frobnicate", wasmPath("ret_i32"), "27"],
      watch: dir,
    }),
  },
  {
    name: "cli_more_calls_than_logged",
    setup: async (dir) => {
      const log = await goodLog(dir, ["27", "97"]);
      // Three calls against a log of two: the third has nothing to replay.
      return { args: ["disable", "--func", "collatz_delta", "--log", log, wasmPath("ret_i32"), "27", "97", "871"], watch: dir, guestMayRun: true };
    },
  },
];

async function runNegative(n: NegativeCase, keep: boolean): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), `alpaca-e2e-${n.name}-`));
  const problems: string[] = [];
  try {
    const spec = await n.setup(dir);
    const before = [...snapshotTree(spec.watch).keys()].join("\n");
    const r = await runCli(spec.args, { cwd: dir, ...(spec.env ? { env: spec.env } : {}) });
    if (r.status !== EXIT_ALPACA_FAILURE) problems.push(`${statusText(r)}, want exit ${EXIT_ALPACA_FAILURE}`);
    const err = r.stderr.toString("utf8");
    if (!/^alpaca: [^\n]*\n$/.test(err)) problems.push(`stderr is not exactly one "alpaca: " line: ${JSON.stringify(err.slice(0, 400))}`);
    if (spec.stderrMatch && !spec.stderrMatch.test(err)) problems.push(`stderr does not mention ${String(spec.stderrMatch)}: ${JSON.stringify(err.trim())}`);
    if (!spec.guestMayRun && r.stdout.length > 0) problems.push(`stdout is not empty: ${JSON.stringify(r.stdout.toString("utf8").slice(0, 200))}`);
    const after = [...snapshotTree(spec.watch).keys()].join("\n");
    if (after !== before) problems.push(`files changed: before ${JSON.stringify(before.split("\n"))}, after ${JSON.stringify(after.split("\n"))}`);
    if (problems.length > 0) problems.push(`command: ${r.command}`);
  } catch (error) {
    problems.push(`harness error: ${(error as Error).message}`);
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
  return { name: n.name, problems };
}

// ---------------------------------------------------------------------------------------------
// Main

async function pool<T>(tasks: Array<() => Promise<T>>, jobs: number, onDone: (t: T) => void): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      onDone(await task());
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
}

function report(o: Outcome): boolean {
  if (o.problems.length === 0) {
    console.log(`ok   ${o.name}${o.note ? ` (${o.note})` : ""}`);
    return true;
  }
  const [firstProblem, ...rest] = o.problems;
  console.log(`FAIL ${o.name}: ${firstProblem!}`);
  for (const p of rest) console.log(`     ${p}`);
  return false;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let jobs = 2;
  let keep = false;
  const filters: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--jobs") jobs = Math.max(1, Math.min(2, Number(argv[++i])));
    else if (a === "--keep") keep = true;
    else filters.push(a);
  }
  const wanted = (name: string): boolean => filters.length === 0 || filters.some((f) => name.includes(f));
  // The long compute-heavy cases first, so they do not end up running alone at the end.
  const cases = [...CASES.filter((c) => c.heavy), ...CASES.filter((c) => !c.heavy)].filter((c) => wanted(c.name));
  const tasks: Array<() => Promise<Outcome>> = [
    ...cases.map((c) => () => runCase(c, keep)),
    ...NEGATIVE.filter((n) => wanted(n.name)).map((n) => () => runNegative(n, keep)),
  ];
  let passed = 0, failed = 0;
  await pool(tasks, jobs, (o) => {
    if (report(o)) passed++;
    else failed++;
  });
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 || passed === 0 ? 1 : 0;
}

process.exitCode = await main();
