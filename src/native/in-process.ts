/**
 * Installs the in-process replay (stub.ts) in a disabled run's target: the data area made
 * writable (an injected mprotect of the part it needs), the table and the stub written, F's
 * entry patched with a jump to the stub. Decides first whether the run can use it, and says why
 * not when it cannot (the run then stops at every call, as before).
 *
 * One rule for disabled and baseline runs, so that an energy comparison sets F against the stub
 * and nothing else: the replay is in process when the helper reserved the stub region, F is at
 * least 5 bytes long, every invocation is a plain return with writes (no syscall, exit or trap)
 * and all ran on the program's first thread. Then the disabled run has no ptrace stop at F and
 * the baseline run none either (F runs untouched); otherwise both stop at every call.
 */
import { ByteWriter } from "../binary/index.js";
import { readInvocations, type Invocation, type OpenedLog } from "../log/index.js";
import { AlpacaError } from "../errors/index.js";
import type { ElfSymbol } from "./elf.js";
import { H, N } from "./protocol.js";
import { expectMessage } from "./messages.js";
import type { Session } from "./session.js";
import { STUB_DATA_LIMIT, StubDataBuilder, buildControlCode, buildStubCode, jumpPatch, replayableInProcess } from "./stub.js";
import type { TrampolinePlan } from "./trampoline.js";
import { syscallNumber } from "./syscalls.js";

export interface InProcessReplay {
  /** Address of the stub's call counter. */
  counter: bigint;
  /** Invocations in the table. */
  count: number;
  /** The invocations the stub hands to the helper (syscalls, exits, traps), by index. */
  forHelper: Map<number, Invocation>;
  /** Bytes the stub writes over all its invocations. */
  bytesInProcess: number[];
}

const PROT_READ = 1n;
const PROT_WRITE = 2n;
const PAGE = 4096;

/** Why this run cannot replay in process (before the log is read), or null when it may. */
export function inProcessObstacle(session: Session, sym: ElfSymbol, fAddr: bigint): string | null {
  if (session.hello.stubCode === 0n || session.hello.stubData === 0n) return "the helper could not reserve the stub region";
  if (sym.sizeBytes !== 0 && sym.sizeBytes < 5) return `${sym.name} is ${sym.sizeBytes} bytes long, shorter than the 5-byte jump`;
  if (sym.sizeBytes === 0) return `${sym.name}'s size is unknown`;
  if (!jumpPatch(fAddr, session.hello.stubCode)) return "the stub is out of a 5-byte jump's reach";
  return null;
}

/**
 * Writes the table and the stub and patches F; the target is stopped at its exec stop. Returns
 * why not when the log does not allow it (calls on several threads, a table too large).
 */
export async function installInProcessReplay(
  session: Session, log: OpenedLog, fAddr: bigint, control?: TrampolinePlan,
): Promise<InProcessReplay | string> {
  const { stubCode, stubData } = session.hello;
  const builder = new StubDataBuilder(log.invocationCount, stubData);
  const forHelper = new Map<number, Invocation>();
  const bytesInProcess: number[] = [];
  for (const inv of readInvocations(log)) {
    const why = notInProcess(inv);
    if (why) return why;
    builder.add(inv);
    if (builder.length > STUB_DATA_LIMIT) return `the log's table needs more than the stub area's ${STUB_DATA_LIMIT} bytes`;
    if (!replayableInProcess(inv)) forHelper.set(inv.index, inv);
    let n = 0;
    for (const e of inv.events) if (e.kind === "write") n += e.bytes.length;
    bytesInProcess.push(replayableInProcess(inv) ? n : 0);
  }
  const data = builder.bytes();
  const length = BigInt(Math.ceil(data.length / PAGE) * PAGE);
  const mprotect = new ByteWriter().u64(BigInt(syscallNumber("mprotect")!)).u64(stubData).u64(length).u64(PROT_READ | PROT_WRITE);
  for (let i = 3; i < 6; i++) mprotect.u64(0n);
  const r = await session.call(N.INJECT, mprotect.toBytes());
  if (r.type !== H.RESULT) throw new AlpacaError(`native helper: INJECT answered ${r.type}`);
  const result = expectMessage(r, "result").value;
  if (result !== 0n) return `mprotect of the stub area failed (${BigInt.asIntN(64, result)})`;
  await session.writeRanges([{ addr: Number(stubData), bytes: data }]);
  const built = control ? buildControlCode(stubData, stubCode, control) : buildStubCode(stubData);
  if (typeof built === "string") return built;
  const { code, trapOffset } = built;
  await session.writeMem(stubCode, code);
  const patch = jumpPatch(fAddr, stubCode)!;
  const f = await session.call(N.PATCH, new ByteWriter().u64(fAddr).u64(stubCode + BigInt(trapOffset)).u64(stubData).bytes(patch).toBytes());
  if (f.type !== H.OK) throw new AlpacaError(`native helper: PATCH answered ${f.type}`);
  return { counter: stubData, count: log.invocationCount, forHelper, bytesInProcess };
}

/** Why an invocation keeps a run from replaying in process, or null. */
function notInProcess(inv: Invocation): string | null {
  if ((inv.thread ?? 0) !== 0) return "F was called from several threads (each call is matched to its thread)";
  if (!replayableInProcess(inv)) return `invocation ${inv.index} ${inv.status === "returned" ? "makes a syscall" : inv.status}`;
  return null;
}

/**
 * Why a log's runs cannot replay in process, from the log alone (no run): calls on several
 * threads, or an invocation that is not a plain return. Null when they can.
 */
export function logRefusal(log: OpenedLog): string | null {
  for (const inv of readInvocations(log)) {
    const why = notInProcess(inv);
    if (why) return why;
  }
  return null;
}

/** For a baseline run: why its disabled twin stops at every call, or null when it replays in process. */
export function inProcessRefusal(session: Session, log: OpenedLog, sym: ElfSymbol, fAddr: bigint): string | null {
  return inProcessObstacle(session, sym, fAddr) ?? logRefusal(log);
}

/** The stub's call counter now (the call that stopped is counted). */
export async function stubCalls(session: Session, replay: InProcessReplay): Promise<bigint> {
  const b = await session.readMem(replay.counter, 8);
  if (!b) throw new AlpacaError("native: cannot read the stub's call counter");
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

/** Puts F's own first bytes back (extra calls then run F). */
export async function removePatch(session: Session): Promise<void> {
  const f = await session.call(N.UNPATCH);
  if (f.type !== H.OK) throw new AlpacaError(`native helper: UNPATCH answered ${f.type}`);
}
