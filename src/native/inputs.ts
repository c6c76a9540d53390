/**
 * Nondeterministic inputs outside F's analysis, for native programs: random bytes and clocks
 * that reach the kernel (getrandom, clock_gettime, gettimeofday, time). The analyzed run records
 * each call wherever the program makes it; disabled and baseline runs are answered from the log
 * in the same order, as the Wasm backend feeds its recorded inputs. This keeps memory outside F
 * the same in every run: glibc's malloc writes a key from getrandom into every chunk it frees,
 * and a replay that assumes equal memory would otherwise diverge (docs/native.md).
 */
import { ByteWriter } from "../binary/index.js";
import { AlpacaError } from "../errors/index.js";
import type { InputRecord, SyscallEvent } from "../log/index.js";
import { H, N, type Frame } from "./protocol.js";
import { expectMessage } from "./messages.js";
import { helperError, type Session } from "./session.js";
import { captureOperands, specFor, syscallName, syscallNumber } from "./syscalls.js";

/**
 * The syscalls treated as inputs (each has the "answer" replay policy in syscalls.ts), with the
 * number of arguments they take: the other argument registers hold whatever the caller left
 * there, which differs between runs, so a recorded call is matched on these only.
 */
const INPUT_ARITY: Readonly<Record<string, number>> = { getrandom: 3, clock_gettime: 2, gettimeofday: 2, time: 1 };
export const NATIVE_INPUT_SYSCALLS: readonly string[] = Object.keys(INPUT_ARITY);

/** Whether a syscall (by name) is an input. */
export function isNativeInput(name: string): boolean {
  return INPUT_ARITY[name] !== undefined;
}

/** The input syscalls' numbers, for Session.start: the helper stops at these (a seccomp filter). */
export function inputSyscallNumbers(): number[] {
  return NATIVE_INPUT_SYSCALLS.map((name) => syscallNumber(name)!);
}

interface InputStop {
  insideF: boolean;
  nr: number;
  args: bigint[];
}

function parseInput(f: Frame): InputStop {
  const { insideF, nr, args } = expectMessage(f, "input");
  return { insideF, nr, args };
}

/** Lets an input syscall run and returns it as the log records it. */
async function runInput(session: Session, stop: InputStop): Promise<SyscallEvent> {
  const spec = specFor(stop.nr, stop.args);
  const reads = await captureOperands(spec.reads, stop.args, undefined, session.readMem);
  const exit = await session.ch.request(N.CONT);
  if (exit.type === H.ERROR) throw helperError(exit);
  if (exit.type !== H.SYSCALL_EXIT) throw new AlpacaError(`native helper: expected the input's exit, got frame ${exit.type}`);
  const { result } = expectMessage(exit, "syscall-exit");
  const writes = await captureOperands(spec.writes, stop.args, result, session.readMem);
  session.ch.send(N.CONT);
  return { kind: "syscall", name: syscallName(stop.nr), args: stop.args, reads, writes, result };
}

/** Analysis: runs the input syscall at this INPUT frame and returns its record. */
export async function recordInput(session: Session, f: Frame): Promise<InputRecord> {
  const stop = parseInput(f);
  return { insideF: stop.insideF, call: await runInput(session, stop) };
}

/**
 * Disabled and baseline runs: answers each INPUT frame with the next recorded input. At the
 * first call that differs from the log (another syscall or other arguments) it warns once and
 * lets the rest run live.
 */
export class NativeInputFeeder {
  private next = 0;
  private live: boolean;

  constructor(
    private readonly session: Session,
    private readonly inputs: readonly InputRecord[],
    private readonly warn: (message: string) => void,
    live = false,
  ) {
    this.live = live;
  }

  /** Number of inputs answered from the log. */
  get answered(): number {
    return this.next;
  }

  async answer(f: Frame): Promise<void> {
    const stop = parseInput(f);
    const name = syscallName(stop.nr);
    const rec = this.inputs[this.next];
    if (!this.live && (!rec || !sameCall(rec.call, name, stop.args))) {
      this.live = true;
      const what = rec ? `the log has ${rec.call.name} next` : "the log has no more inputs";
      this.warn(`recorded inputs diverged at input ${this.next} (${name}; ${what}); the rest of the run reads live inputs`);
    }
    if (this.live || !rec) {
      await runInput(this.session, stop);
      return;
    }
    this.next++;
    await this.session.writeRanges(rec.call.writes);
    this.session.ch.send(N.ANSWER, new ByteWriter(8).u64(rec.call.result).toBytes());
  }
}

function sameCall(call: SyscallEvent, name: string, args: readonly bigint[]): boolean {
  const arity = INPUT_ARITY[name] ?? 6;
  return call.name === name && args.slice(0, arity).every((a, i) => a === call.args[i]);
}
