/**
 * Disable and baseline modes. Disable: at the k-th outermost call of F the helper stops at F's
 * first instruction; this driver applies invocation k's events in order (writes; syscalls
 * re-executed by injection or answered from the log, per syscalls.ts), then F returns to its
 * caller with the recorded RAX, RDX, XMM0, XMM1, or the process ends the way it ended inside F.
 * Baseline: the same stops at F, and F runs natively, so baseline and disabled runs differ only
 * in F.
 */
import { ByteWriter } from "../binary/index.js";
import { AlpacaError, ReplayError, UsageError } from "../errors/index.js";
import { readInvocations, type Invocation, type MemoryRange, type OpenedLog, type SyscallEvent } from "../log/index.js";
import type { ReplayStats, RunRequest } from "../backend/index.js";
import type { ElfInfo, ElfSymbol } from "./elf.js";
import { H, N, type Frame } from "./protocol.js";
import { expectMessage } from "./messages.js";
import { helperError, parseEntry, parseExit, type Session, type TargetExit } from "./session.js";
import { specFor, syscallNumber } from "./syscalls.js";
import { NativeInputFeeder } from "./inputs.js";
import { Decoder } from "./decode.js";
import { planTrampoline, type TrampolinePlan } from "./trampoline.js";
import { inProcessObstacle, inProcessRefusal, installInProcessReplay, removePatch, stubCalls, type InProcessReplay } from "./in-process.js";

export interface ReplayResult {
  exit: TargetExit;
  warnings: string[];
  stats: ReplayStats;
  /** true when F's calls were replayed in process (in-process.ts), else why not. */
  inProcess: true | string;
}

function returnPayload(inv: Invocation): Uint8Array {
  const w = new ByteWriter(48);
  const [rax, rdx, x0, x1] = inv.returns;
  w.u64(rax && rax.type !== "v128" ? rax.bits : 0n);
  w.u64(rdx && rdx.type !== "v128" ? rdx.bits : 0n);
  w.bytes(x0 && x0.type === "v128" ? x0.bytes : new Uint8Array(16));
  w.bytes(x1 && x1.type === "v128" ? x1.bytes : new Uint8Array(16));
  return w.toBytes();
}

/**
 * How a trapped invocation ended the program, from the message analysis wrote: a signal ("killed
 * by signal 11 (SIGSEGV)"), or an exit made elsewhere while F ran ("exited with status 3 inside
 * F": another thread's exit_group). A log saying anything else is refused.
 */
function trapEnding(inv: Invocation): { signal: number } | { exitCode: number } {
  const message = inv.trapMessage ?? "";
  const signal = /signal (\d+)/.exec(message);
  if (signal) return { signal: Number(signal[1]) };
  const exit = /^exited with status (\d+)/.exec(message);
  if (exit) return { exitCode: Number(exit[1]) };
  throw new ReplayError(`log: invocation ${inv.index} trapped with "${message}", which names no signal and no exit status`);
}

const hex = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16)}`;

/** What disableNative takes. */
export interface DisableOptions {
  session: Session;
  elf: ElfInfo;
  sym: ElfSymbol;
  /** Opened, not decoded: the invocations are read one at a time. */
  log: OpenedLog;
  strict: boolean;
  onExtraCalls: "error" | "run";
  /** Let the program read real clocks and random bytes instead of the log's inputs. */
  liveInputs: boolean;
  /** Replay plain returns inside the process (in-process.ts) where the run allows it. */
  inProcess: boolean;
  /** control: F runs and its writes are applied again after it returns (in process only). */
  variant?: "disable" | "control";
  warnings: string[];
  notify?: RunRequest["notify"];
}

export async function disableNative(opts: DisableOptions): Promise<ReplayResult> {
  return new NativeReplay(opts).run();
}

/**
 * One disabled (or control) run: the breakpoint at F and, where the run allows it, the stub
 * that replays plain returns in process (in-process.ts); then every stop at F replays its
 * invocation's events (writes batched, syscalls re-executed or answered per syscalls.ts) and
 * returns, traps or exits as F did; calls beyond the log run F or are refused.
 */
class NativeReplay {
  private readonly session: Session;
  private readonly sym: ElfSymbol;
  private readonly log: OpenedLog;
  private readonly warnings: string[];
  private readonly stats: ReplayStats = { invocations: 0, bytesWritten: 0, callsReexecuted: 0, callsAnswered: 0, replayNs: 0 };
  private readonly logged: number;
  private stub: InProcessReplay | null = null;
  private inProcess: true | string = "not asked for";
  private calls = 0;
  private extraWarned = false;
  /**
   * Invocations per thread ordinal, in log order: the k-th call on a thread replays that
   * thread's k-th invocation, whatever order the threads reach F in this run.
   */
  private readonly queues = new Map<number, Invocation[]>();
  /** Calls after F's patch was taken away (extra calls that run F): the stub counted the others. */
  private callsUnpatched = 0;
  private unpatched = false;
  /** Writes waiting to go to the helper in one batch (flushed before any injected syscall). */
  private pending: MemoryRange[] = [];

  constructor(private readonly opts: DisableOptions) {
    this.session = opts.session;
    this.sym = opts.sym;
    this.log = opts.log;
    this.warnings = [...opts.warnings];
    this.logged = opts.log.invocationCount;
  }

  async run(): Promise<ReplayResult> {
    const { opts, session } = this;
    await this.setUp();
    // F does not run, so its own inputs are not asked for: only those outside it are fed.
    const feeder = opts.liveInputs ? null : new NativeInputFeeder(session, this.log.inputs.filter((i) => !i.insideF), (w) => this.warnings.push(w));
    await opts.notify?.("start");
    session.ch.send(N.CONT);
    for (const inv of this.stub ? [] : readInvocations(this.log)) {
      const q = this.queues.get(inv.thread ?? 0) ?? [];
      q.push(inv);
      this.queues.set(inv.thread ?? 0, q);
    }
    for (;;) {
      const f = await session.ch.next();
      switch (f.type) {
        case H.ENTRY: {
          this.calls++;
          const inv = await this.invocationFor(f);
          if (!inv) {
            await this.extraCall(f);
            break;
          }
          const ended = await this.replay(inv);
          if (ended) return this.finish(ended);
          break;
        }
        case H.INPUT:
          await feeder?.answer(f);
          break;
        case H.EXIT:
          return this.finish(f);
        case H.ERROR:
          throw helperError(f);
        default:
          throw new AlpacaError(`native helper: unexpected frame ${f.type} during replay`);
      }
    }
  }

  /** The breakpoint at F, and the in-process stub (and for control runs, F's trampoline) where possible. */
  private async setUp(): Promise<void> {
    const { opts, session, sym } = this;
    if (sym.sizeBytes !== 0 && sym.sizeBytes < 2) {
      throw new AlpacaError(`native: ${sym.name} is ${sym.sizeBytes} byte long; replay needs 2 bytes of it for syscalls`);
    }
    const fAddr = session.runtimeAddress(opts.elf.kind, opts.elf.entry, sym.value);
    const control = opts.variant === "control";
    const obstacle = opts.inProcess || control ? inProcessObstacle(session, sym, fAddr) : "not asked for";
    // Read before the breakpoint goes in: the trampoline copies F's own first bytes.
    const plan = control && !obstacle ? await trampolineFor(session, sym, fAddr) : undefined;
    await session.setBreakpoint(fAddr);
    // Plain returns replayed by a stub inside the process; the others stop here as ENTRY.
    if (opts.inProcess || control) {
      const installed = obstacle ?? (typeof plan === "string" ? plan : await installInProcessReplay(session, this.log, fAddr, plan));
      if (typeof installed === "string") this.inProcess = installed;
      else [this.stub, this.inProcess] = [installed, true];
      if (control && !this.stub) throw new UsageError(`native control runs replay in process, which this run cannot: ${String(this.inProcess)}`);
    }
  }

  /** The invocation this call of F replays; undefined past the log's end. */
  private async invocationFor(entry: Frame): Promise<Invocation | undefined> {
    const stub = this.stub;
    if (!stub) return this.queues.get(parseEntry(entry).thread)?.shift();
    if (this.unpatched) {
      this.callsUnpatched++;
      return undefined;
    }
    const k = Number((await stubCalls(this.session, stub)) - 1n);
    if (k >= this.logged) return undefined;
    const inv = stub.forHelper.get(k);
    if (!inv) throw new AlpacaError(`native: the stub handed over invocation ${k}, which it replays itself`);
    return inv;
  }

  /** A call beyond the log: refused, or (--on-extra-calls run) F runs, warned about once. */
  private async extraCall(entry: Frame): Promise<void> {
    const { opts, sym } = this;
    const thread = parseEntry(entry).thread;
    if (opts.onExtraCalls === "error") {
      throw new ReplayError(`${sym.name} was called more often than when analyzed (${this.logged} calls logged)`);
    }
    if (!this.extraWarned) this.warnings.push(`${sym.name} was called more than the ${this.logged} logged times${thread ? ` (or more often on thread ${thread})` : ""}; extra calls ran`);
    this.extraWarned = true;
    if (this.stub && !this.unpatched) {
      await removePatch(this.session);
      this.unpatched = true;
    }
    this.session.ch.send(N.RUN);
  }

  /** Applies invocation `inv`'s events and ends the call as F did; returns the exit frame if the process ended. */
  private async replay(inv: Invocation): Promise<Frame | null> {
    const ch = this.session.ch;
    const k = inv.index;
    const t0 = process.hrtime.bigint();
    let ended: Frame | null = null;
    for (const ev of inv.events) {
      if (ev.kind === "write") {
        this.pending.push(ev);
        this.stats.bytesWritten += ev.bytes.length;
      } else if (ev.kind === "syscall") {
        ended = await this.replaySyscall(ev, k);
        if (ended) break;
      } else {
        throw new ReplayError(`log: ${ev.kind} event in an x86-64 log (invocation ${k})`);
      }
    }
    if (!ended) await this.flushWrites();
    this.stats.replayNs += Number(process.hrtime.bigint() - t0);
    this.stats.invocations++;
    if (ended) return ended;
    if (inv.status === "returned") {
      ch.send(N.RETURN, returnPayload(inv));
      return null;
    }
    // Analysis ends an exited invocation with its exit call, which ended the process above.
    if (inv.status === "exited") throw new ReplayError(`log: invocation ${k} exited, but its last event is not an exit or exit_group call`);
    const ending = trapEnding(inv);
    if ("signal" in ending) {
      ch.send(N.KILL, new ByteWriter(4).u32(ending.signal).toBytes());
      return null;
    }
    return this.exitGroup(ending.exitCode);
  }

  /** Ends the program with exit_group(code), as another thread's exit did while F ran. */
  private async exitGroup(code: number): Promise<Frame> {
    const w = new ByteWriter(56).u64(BigInt(syscallNumber("exit_group")!)).u64(BigInt(code));
    for (let i = 1; i < 6; i++) w.u64(0n);
    const e = await this.session.ch.request(N.INJECT, w.toBytes());
    if (e.type === H.EXIT) return e;
    throw new AlpacaError(`native helper: exit_group did not end the program`);
  }

  private async flushWrites(): Promise<void> {
    if (this.pending.length === 0) return;
    await this.session.writeRanges(this.pending);
    this.pending = [];
  }

  /** Runs one logged syscall; returns the exit frame if it ended the process. */
  private async replaySyscall(ev: SyscallEvent, k: number): Promise<Frame | null> {
    const { session, stats } = this;
    const nr = syscallNumber(ev.name);
    if (nr === undefined) throw new ReplayError(`log: unknown x86-64 syscall ${ev.name} in invocation ${k}`);
    const policy = specFor(nr, ev.args).policy;
    switch (policy) {
      case "skip":
        return null;
      case "unreplayable":
        throw new ReplayError(`${this.sym.name} called ${ev.name} (invocation ${k}): a process-creating call cannot be replayed`);
      case "answer":
        for (const w of ev.writes) {
          this.pending.push(w);
          stats.bytesWritten += w.bytes.length;
        }
        stats.callsAnswered++;
        return null;
      case "reexec":
      case "exit": {
        await this.flushWrites();
        // The buffers the call read may live in F's frame, which the replay never wrote.
        await session.writeRanges(ev.reads, true);
        const w = new ByteWriter(56).u64(BigInt(nr));
        for (let i = 0; i < 6; i++) w.u64(ev.args[i] ?? 0n);
        const f = await session.ch.request(N.INJECT, w.toBytes());
        stats.callsReexecuted++;
        if (f.type === H.EXIT) return f;
        if (f.type === H.ERROR) throw helperError(f);
        if (f.type !== H.RESULT) throw new AlpacaError(`native helper: INJECT answered ${f.type}`);
        const result = expectMessage(f, "result").value;
        if (result !== ev.result) {
          const msg = `${ev.name} returned ${hex(result)} in the disabled run, ${hex(ev.result)} when analyzed (invocation ${k})`;
          if (this.opts.strict) throw new ReplayError(msg);
          this.warnings.push(msg);
        }
        return null;
      }
    }
  }

  /** The process ended: the counts the stub kept, a warning for fewer calls than logged. */
  private async finish(f: Frame): Promise<ReplayResult> {
    const { stub, stats, logged } = this;
    const exit = parseExit(f);
    await this.opts.notify?.("end", exit.cpu);
    if (stub) {
      this.calls = Number(exit.stubCalls) + this.callsUnpatched;
      const reached = Math.min(Number(exit.stubCalls), logged);
      for (let k = 0; k < reached; k++) {
        if (stub.forHelper.has(k)) continue;
        stats.invocations++;
        stats.bytesWritten += stub.bytesInProcess[k]!;
      }
    }
    if (this.calls < logged) {
      this.warnings.push(`${this.sym.name} was called ${this.calls} time${this.calls === 1 ? "" : "s"}; the log has ${logged} invocations`);
    }
    return { exit, warnings: this.warnings, stats, inProcess: this.inProcess };
  }
}

/** The trampoline plan for F, read from the target's memory, or why there is none. */
async function trampolineFor(session: Session, sym: ElfSymbol, fAddr: bigint): Promise<TrampolinePlan | string> {
  const body = await session.readMem(fAddr, sym.sizeBytes);
  if (!body) return `cannot read ${sym.name}'s code`;
  return planTrampoline(await Decoder.create(), fAddr, body);
}

/**
 * Baseline: stop at each outermost call of F as disable does, and let F run; or, where the
 * disabled twin replays in process (in-process.ts), let F run with no stop at all. Every input the
 * analyzed run took, F's own included, is fed from the log.
 */
export async function baselineNative(opts: {
  session: Session;
  elf: ElfInfo;
  sym: ElfSymbol;
  log: OpenedLog;
  liveInputs: boolean;
  /** As for disableNative: where its disabled twin replays in process, F runs with no stop at all. */
  inProcess: boolean;
  warnings: string[];
  notify?: RunRequest["notify"];
}): Promise<{ exit: TargetExit; calls: number; warnings: string[]; inProcess: true | string }> {
  const { session, elf, sym } = opts;
  const warnings = [...opts.warnings];
  const fAddr = session.runtimeAddress(elf.kind, elf.entry, sym.value);
  const inProcess = opts.inProcess ? (inProcessRefusal(session, opts.log, sym, fAddr) ?? true) : "not asked for";
  if (inProcess !== true) await session.setBreakpoint(fAddr);
  const feeder = opts.liveInputs ? null : new NativeInputFeeder(session, opts.log.inputs, (w) => warnings.push(w));
  await opts.notify?.("start");
  session.ch.send(N.CONT);
  let calls = 0;
  for (;;) {
    const f = await session.ch.next();
    if (f.type === H.ENTRY) {
      calls++;
      session.ch.send(N.RUN);
    } else if (f.type === H.INPUT) {
      await feeder?.answer(f);
    } else if (f.type === H.EXIT) {
      const exit = parseExit(f);
      await opts.notify?.("end", exit.cpu);
      return { exit, calls, warnings, inProcess };
    } else if (f.type === H.ERROR) {
      throw helperError(f);
    } else {
      throw new AlpacaError(`native helper: unexpected frame ${f.type} in a baseline run`);
    }
  }
}

/** Plain: no breakpoint; the helper detaches after the exec stop and reports the exit. */
export async function plainNative(opts: { session: Session; notify?: RunRequest["notify"] }): Promise<TargetExit> {
  await opts.notify?.("start");
  opts.session.ch.send(N.DETACH);
  const f = await opts.session.ch.next();
  if (f.type === H.ERROR) throw helperError(f);
  if (f.type !== H.EXIT) throw new AlpacaError(`native helper: unexpected frame ${f.type} in a plain run`);
  const exit = parseExit(f);
  await opts.notify?.("end", exit.cpu);
  return exit;
}
