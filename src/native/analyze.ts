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

export async function analyzeNative(opts: {
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
}): Promise<AnalyzeResult> {
  const { session, elf, sym } = opts;
  const ch = session.ch;
  // capstone is loaded by the first DECODE request: the page engine never sends one.
  let decoder: Decoder | undefined;
  const log = new LogFile(opts.logPath, opts.logKey);
  const put = (bytes: Uint8Array | null): void => {
    if (bytes) log.write(bytes);
  };
  const enc = new LogEncoder();
  const stats: AnalyzeStats = { invocations: 0, instructions: 0n, decoded: 0, tracedNs: 0n };
  try {
    put(enc.encodeStart({
      backend: "x86-64",
      programSha256: new Uint8Array(createHash("sha256").update(opts.programBytes).digest()),
      functionName: sym.name,
      functionIndex: Number(sym.value),
      params: [],
      results: [...NATIVE_RESULTS],
      args: opts.args,
      env: envVars(opts.logKey, opts.env),
    }));
    await session.setBreakpoint(session.runtimeAddress(elf.kind, elf.entry, sym.value));
    // Every call is analyzed the same way: the helper does not wait for an answer at ENTRY and RETURN.
    const how = opts.engine === "pages" ? N.TRACE_PAGES : N.TRACE;
    const ok = await session.call(N.TRACE_ALL, new Uint8Array([how]));
    if (ok.type !== H.OK) throw new AlpacaError(`native helper: TRACE_ALL answered ${ok.type}`);
    await opts.notify?.("start");
    ch.send(N.CONT);

    let inv: Invocation | null = null;
    let writes: WriteRun | null = null;
    let open: OpenSyscall | null = null;
    let enteredAt = 0n;
    for (;;) {
      const f: Frame = await ch.next();
      switch (f.type) {
        case H.ENTRY: {
          const thread = parseEntry(f).thread;
          inv = { index: stats.invocations, status: "returned", events: [], returns: [] };
          if (thread !== 0) inv.thread = thread;
          writes = new WriteRun(inv.events);
          enteredAt = process.hrtime.bigint();
          break;
        }
        case H.DECODE: {
          const { addr, code } = expectMessage(f, "decode");
          decoder ??= await Decoder.create();
          ch.send(N.DECODED, encodeDecodeRecords(decoder.decodeWindow(addr, code)));
          break;
        }
        case H.WRITES: {
          if (!writes) throw new AlpacaError("native helper: WRITES outside F");
          for (const { addr, bytes } of expectMessage(f, "writes").ranges) writes.add(Number(addr), bytes.slice());
          break;
        }
        case H.SYSCALL_ENTER: {
          if (!inv || !writes) throw new AlpacaError("native helper: syscall stop outside F");
          writes.flush();
          const { nr, args } = expectMessage(f, "syscall-enter");
          const spec = specFor(nr, args);
          const reads = await captureOperands(spec.reads, args, undefined, session.readMem);
          open = { nr, args, reads, spec };
          ch.send(N.CONT);
          break;
        }
        case H.SYSCALL_EXIT: {
          if (!inv || !open) throw new AlpacaError("native helper: syscall exit without entry");
          const { result } = expectMessage(f, "syscall-exit");
          const w = await captureOperands(open.spec.writes, open.args, result, session.readMem);
          const call = { kind: "syscall", name: syscallName(open.nr), args: open.args, reads: open.reads, writes: w, result } as const;
          inv.events.push(call);
          // A baseline run lets F take its own inputs: it is fed these too.
          if (isNativeInput(call.name)) put(enc.addInput({ insideF: true, call }));
          open = null;
          ch.send(N.CONT);
          break;
        }
        case H.RETURN: {
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
          put(enc.addInvocation(inv));
          stats.invocations++;
          inv = null;
          writes = null;
          break;
        }
        case H.EXIT: {
          const exit = parseExit(f);
          await opts.notify?.("end", exit.cpu);
          if (exit.fromOutside) {
            // Not the program's doing, so not F's effect: no log (an older one at the path stays).
            throw new EnvironmentError(
              `the program was ${exit.message}, sent from outside it, ${inv ? `during ${sym.name}'s invocation ${inv.index}` : "while it was analyzed"}: no log written${existsSync(opts.logPath) ? ` (${opts.logPath} is left as it was)` : ""}`,
            );
          }
          if (inv && writes) {
            writes.flush();
            stats.tracedNs += process.hrtime.bigint() - enteredAt;
            const name = open ? syscallName(open.nr) : "";
            if (open && (name === "exit_group" || name === "exit")) {
              inv.events.push({ kind: "syscall", name, args: open.args, reads: open.reads, writes: [], result: 0n });
              inv.status = "exited";
              inv.exitCode = exit.exitCode;
            } else {
              inv.status = "trapped";
              inv.trapMessage = exit.message ?? `exited with status ${exit.exitCode} inside ${sym.name}`;
            }
            put(enc.addInvocation(inv));
            stats.invocations++;
          }
          put(enc.finish({ outcome: exit.signal === undefined ? "exited" : "trapped", exitCode: exit.exitCode }));
          log.commit();
          stats.decoded = decoder?.decodedCount ?? 0;
          return { exit, stats };
        }
        case H.INPUT:
          put(enc.addInput(await recordInput(session, f)));
          break;
        case H.ERROR:
          throw helperError(f, (addr) => decoder?.describe(addr) ?? `the instruction at 0x${addr.toString(16)}`);
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
  } catch (e) {
    log.abort();
    throw e;
  }
}
