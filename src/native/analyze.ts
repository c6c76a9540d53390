/**
 * Analyze mode: the program runs normally under the helper; at each outermost call of F the
 * helper single-steps F's extent (F and everything it calls) and reports, per epoch, the bytes
 * written outside F's frame, every syscall (arguments, the memory the kernel read at entry and
 * wrote by the exit, the result) and, at the return, RAX, RDX, XMM0 and XMM1. This driver
 * decodes code for the helper on demand, captures syscall buffers and streams the effect log.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { AlpacaError, EnvironmentError, UsageError } from "../errors/index.js";
import { LogFile, type RunRequest } from "../backend/index.js";
import { envVars, LogEncoder, type Event, type Invocation, type MemoryRange, type Value } from "../log/index.js";
import { Decoder } from "./decode.js";
import type { ElfInfo, ElfSymbol } from "./elf.js";
import { H, N, encodeDecodeRecords, type Frame } from "./protocol.js";
import { expectMessage } from "./messages.js";
import { helperError, parseEntry, parseExit, type Session, type TargetExit } from "./session.js";
import { captureOperands, specFor, syscallName, type SyscallSpec } from "./syscalls.js";
import { isNativeInput, recordInput } from "./inputs.js";

/**
 * How F is analyzed. step: every instruction single-stepped, stores located from capstone's
 * decoding (precise per instruction, counts instructions, ~50k instructions/s under ptrace).
 * pages: F runs natively between syscalls; written pages come from userfaultfd write-protect
 * and PAGEMAP_SCAN, compared with a copy-on-write snapshot (Linux 6.7+; native speed).
 */
export type NativeEngine = "step" | "pages";

/** F's results in the log: RAX, RDX (i64), XMM0, XMM1 (v128), always all four. */
export const NATIVE_RESULTS = ["i64", "i64", "v128", "v128"] as const;

export interface AnalyzeStats {
  invocations: number;
  /** Instructions single-stepped inside F's extent. */
  instructions: bigint;
  /** Distinct instruction addresses decoded with capstone. */
  decoded: number;
  /** Wall time inside F's extent, from its entry stop to its return, as the helper measured it, ns. */
  tracedNs: bigint;
}

export interface AnalyzeResult {
  exit: TargetExit;
  stats: AnalyzeStats;
}

/** Collects contiguous page-sized WRITES ranges into one write event without quadratic copying. */
class WriteRun {
  private start = 0;
  private end = 0;
  private parts: Uint8Array[] = [];

  constructor(private readonly out: Event[]) {}

  add(addr: number, bytes: Uint8Array): void {
    if (this.parts.length > 0 && addr === this.end) {
      this.parts.push(bytes);
      this.end += bytes.length;
      return;
    }
    this.flush();
    this.start = addr;
    this.end = addr + bytes.length;
    this.parts = [bytes];
  }

  flush(): void {
    if (this.parts.length === 0) return;
    const bytes = this.parts.length === 1 ? this.parts[0]! : new Uint8Array(this.end - this.start);
    if (this.parts.length > 1) {
      let o = 0;
      for (const p of this.parts) {
        bytes.set(p, o);
        o += p.length;
      }
    }
    this.out.push({ kind: "write", addr: this.start, bytes });
    this.parts = [];
  }
}

interface OpenSyscall {
  nr: number;
  args: bigint[];
  reads: MemoryRange[];
  spec: SyscallSpec;
}

/** What analyzeNative takes. */
export interface AnalyzeOptions {
  session: Session;
  elf: ElfInfo;
  sym: ElfSymbol;
  programBytes: Uint8Array;
  args: string[];
  env: Record<string, string>;
  logPath: string;
  /** The user's log key: the log's MAC, and digests of the environment instead of its values. */
  logKey: Uint8Array;
  engine: NativeEngine;
  notify?: RunRequest["notify"];
}

export async function analyzeNative(opts: AnalyzeOptions): Promise<AnalyzeResult> {
  return new NativeAnalysis(opts).run();
}

/**
 * One analysis: the log's header, the breakpoint at F and the standing order to trace every
 * call; then one handler per frame the helper sends while F's extent runs (entry, decode
 * requests, written ranges, syscalls, return) and at the end (exit), each adding to the
 * invocation being recorded or to the log.
 */
class NativeAnalysis {
  private readonly session: Session;
  private readonly sym: ElfSymbol;
  private readonly log: LogFile;
  private readonly enc = new LogEncoder();
  private readonly stats: AnalyzeStats = { invocations: 0, instructions: 0n, decoded: 0, tracedNs: 0n };
  /** capstone is loaded by the first DECODE request: the page engine never sends one. */
  private decoder: Decoder | undefined;
  /** The invocation being recorded, its pending writes, and its syscall between entry and exit. */
  private inv: Invocation | null = null;
  private writes: WriteRun | null = null;
  private open: OpenSyscall | null = null;
  private enteredAt = 0n;

  constructor(private readonly opts: AnalyzeOptions) {
    this.session = opts.session;
    this.sym = opts.sym;
    this.log = new LogFile(opts.logPath, opts.logKey);
  }

  private put(bytes: Uint8Array | null): void {
    if (bytes) this.log.write(bytes);
  }

  async run(): Promise<AnalyzeResult> {
    try {
      await this.start();
      for (;;) {
        const f: Frame = await this.session.ch.next();
        const done = await this.onFrame(f);
        if (done) return done;
      }
    } catch (e) {
      this.log.abort();
      throw e;
    }
  }

  /** The log's header, the breakpoint, the standing trace order, and the program's start. */
  private async start(): Promise<void> {
    const { opts, session, sym } = this;
    this.put(this.enc.encodeStart({
      backend: "x86-64",
      programSha256: new Uint8Array(createHash("sha256").update(opts.programBytes).digest()),
      functionName: sym.name,
      functionIndex: Number(sym.value),
      params: [],
      results: [...NATIVE_RESULTS],
      args: opts.args,
      env: envVars(opts.logKey, opts.env),
    }));
    await session.setBreakpoint(session.runtimeAddress(opts.elf.kind, opts.elf.entry, sym.value));
    // Every call is analyzed the same way: the helper does not wait for an answer at ENTRY and RETURN.
    const how = opts.engine === "pages" ? N.TRACE_PAGES : N.TRACE;
    const ok = await session.call(N.TRACE_ALL, new Uint8Array([how]));
    if (ok.type !== H.OK) throw new AlpacaError(`native helper: TRACE_ALL answered ${ok.type}`);
    await opts.notify?.("start");
    session.ch.send(N.CONT);
  }

  /** Handles one frame; returns the result when the program ended. */
  private async onFrame(f: Frame): Promise<AnalyzeResult | null> {
    const { session, sym } = this;
    switch (f.type) {
      case H.ENTRY:
        this.onEntry(f);
        return null;
      case H.DECODE: {
        const { addr, code } = expectMessage(f, "decode");
        this.decoder ??= await Decoder.create();
        session.ch.send(N.DECODED, encodeDecodeRecords(this.decoder.decodeWindow(addr, code)));
        return null;
      }
      case H.WRITES: {
        if (!this.writes) throw new AlpacaError("native helper: WRITES outside F");
        for (const { addr, bytes } of expectMessage(f, "writes").ranges) this.writes.add(Number(addr), bytes.slice());
        return null;
      }
      case H.SYSCALL_ENTER:
        await this.onSyscallEnter(f);
        return null;
      case H.SYSCALL_EXIT:
        await this.onSyscallExit(f);
        return null;
      case H.RETURN:
        this.onReturn(f);
        return null;
      case H.EXIT:
        return this.onExit(f);
      case H.INPUT:
        this.put(this.enc.addInput(await recordInput(session, f)));
        return null;
      case H.ERROR:
        throw helperError(f, (addr) => this.decoder?.describe(addr) ?? `the instruction at 0x${addr.toString(16)}`);
      case H.ESCAPED: {
        const { rip } = expectMessage(f, "escaped");
        throw new UsageError(
          `native: ${sym.name} left its frame without returning (longjmp or exception) at 0x${rip.toString(16)}: not supported`,
        );
      }
      default:
        throw new AlpacaError(`native helper: unexpected frame ${f.type} during analysis`);
    }
  }

  /** F was entered: a new invocation, on the thread the helper names. */
  private onEntry(f: Frame): void {
    const thread = parseEntry(f).thread;
    const inv: Invocation = { index: this.stats.invocations, status: "returned", events: [], returns: [] };
    if (thread !== 0) inv.thread = thread;
    this.inv = inv;
    this.writes = new WriteRun(inv.events);
    this.enteredAt = process.hrtime.bigint();
  }

  /** A syscall inside F's extent: what it will read, captured now. */
  private async onSyscallEnter(f: Frame): Promise<void> {
    if (!this.inv || !this.writes) throw new AlpacaError("native helper: syscall stop outside F");
    this.writes.flush();
    const { nr, args } = expectMessage(f, "syscall-enter");
    const spec = specFor(nr, args);
    const reads = await captureOperands(spec.reads, args, undefined, this.session.readMem);
    this.open = { nr, args, reads, spec };
    this.session.ch.send(N.CONT);
  }

  /** The syscall returned: what it wrote, and the call as an event (and an input when it is one). */
  private async onSyscallExit(f: Frame): Promise<void> {
    const { inv, open } = this;
    if (!inv || !open) throw new AlpacaError("native helper: syscall exit without entry");
    const { result } = expectMessage(f, "syscall-exit");
    const w = await captureOperands(open.spec.writes, open.args, result, this.session.readMem);
    const call = { kind: "syscall", name: syscallName(open.nr), args: open.args, reads: open.reads, writes: w, result } as const;
    inv.events.push(call);
    // A baseline run lets F take its own inputs: it is fed these too.
    if (isNativeInput(call.name)) this.put(this.enc.addInput({ insideF: true, call }));
    this.open = null;
    this.session.ch.send(N.CONT);
  }

  /** F returned: its registers as results, the invocation into the log. */
  private onReturn(f: Frame): void {
    const { inv, writes, stats } = this;
    if (!inv || !writes) throw new AlpacaError("native helper: RETURN outside F");
    writes.flush();
    const ret = expectMessage(f, "return");
    const returns: Value[] = [
      { type: "i64", bits: ret.rax },
      { type: "i64", bits: ret.rdx },
      { type: "v128", bytes: ret.xmm0.slice() },
      { type: "v128", bytes: ret.xmm1.slice() },
    ];
    stats.instructions += ret.steps;
    stats.tracedNs += ret.ns;
    inv.returns = returns;
    this.put(this.enc.addInvocation(inv));
    stats.invocations++;
    this.inv = null;
    this.writes = null;
  }

  /**
   * The program ended: an invocation still open ends as F's exit or trap, the log is closed and
   * committed. Killed from outside, nothing is written (an older log at the path stays).
   */
  private async onExit(f: Frame): Promise<AnalyzeResult> {
    const { opts, sym, inv, writes, open, stats } = this;
    const exit = parseExit(f);
    await opts.notify?.("end", exit.cpu);
    if (exit.fromOutside) {
      throw new EnvironmentError(
        `the program was ${exit.message}, sent from outside it, ${inv ? `during ${sym.name}'s invocation ${inv.index}` : "while it was analyzed"}: no log written${existsSync(opts.logPath) ? ` (${opts.logPath} is left as it was)` : ""}`,
      );
    }
    if (inv && writes) {
      writes.flush();
      stats.tracedNs += process.hrtime.bigint() - this.enteredAt;
      const name = open ? syscallName(open.nr) : "";
      if (open && (name === "exit_group" || name === "exit")) {
        inv.events.push({ kind: "syscall", name, args: open.args, reads: open.reads, writes: [], result: 0n });
        inv.status = "exited";
        inv.exitCode = exit.exitCode;
      } else {
        inv.status = "trapped";
        inv.trapMessage = exit.message ?? `exited with status ${exit.exitCode} inside ${sym.name}`;
      }
      this.put(this.enc.addInvocation(inv));
      stats.invocations++;
    }
    this.put(this.enc.finish({ outcome: exit.signal === undefined ? "exited" : "trapped", exitCode: exit.exitCode }));
    this.log.commit();
    stats.decoded = this.decoder?.decodedCount ?? 0;
    return { exit, stats };
  }
}
