/**
 * One run of a program under alpaca-native-helper: start-up (HELLO, errors mapped to Alpaca's
 * error classes), target memory access while the target is stopped, breakpoints, and the exit.
 * The mode drivers (analyze.ts, replay.ts) build on it.
 */
import { spawnSync } from "node:child_process";
import { access, constants as fsConstants } from "node:fs/promises";
import { constants as osConstants } from "node:os";
import { fileURLToPath } from "node:url";
import { ByteWriter } from "../binary/index.js";
import { AlpacaError, EnvironmentError, UsageError } from "../errors/index.js";
import { HelperChannel } from "./channel.js";
import { expectMessage } from "./messages.js";
import { ERR, H, N, PROTOCOL_VERSION, PayloadReader, W, type Frame } from "./protocol.js";

/**
 * The helper: $ALPACA_NATIVE_HELPER when set (an installation elsewhere, or a test), else where
 * `make` puts it, relative to this file (src/native/ -> build/native/).
 */
export function defaultHelperPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.ALPACA_NATIVE_HELPER || fileURLToPath(new URL("../../build/native/alpaca-native-helper", import.meta.url));
}

export async function checkHelper(path: string): Promise<void> {
  try {
    await access(path, fsConstants.X_OK);
  } catch (e) {
    throw new EnvironmentError(`native helper not built: ${path} is missing`, { cause: e, hint: "run make" });
  }
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(osConstants.signals).map(([name, n]) => [n, name]));

export function signalName(signo: number): string {
  return SIGNAL_NAMES.get(signo) ?? `signal ${signo}`;
}

/** How the target ended. */
let pagesProbe: { helperPath: string; missing: string | null } | undefined;

/**
 * Why the page engine cannot run on this machine (the helper's --probe-pages), or null when it
 * can. Asked once per process.
 */
export function pagesEngineMissing(helperPath: string): string | null {
  if (pagesProbe?.helperPath === helperPath) return pagesProbe.missing;
  const r = spawnSync(helperPath, ["--probe-pages"], { encoding: "utf8", timeout: 10_000 });
  const line = (r.stdout ?? "").trim();
  const missing = r.status === 0 && line === "ok" ? null : line || `the probe failed (${r.error?.message ?? `status ${r.status}`})`;
  pagesProbe = { helperPath, missing };
  return missing;
}

export interface TargetExit {
  /** The exit status, or 128 + signal number. */
  exitCode: number;
  signal?: number;
  /** For a signal death: "killed by signal 11 (SIGSEGV)". */
  message?: string;
  /** The signal came from outside the program (another process's kill, or SIGKILL). */
  fromOutside?: boolean;
  /** The in-process stub's call counter when the program ended (0 without a stub). */
  stubCalls: bigint;
  /** CPU time of the program (its threads and reaped children) and of the helper, µs. */
  cpu: { user: number; system: number };
}

/** An ENTRY frame: F's entry rsp, its return address, and the thread (ordinal, 0 the first). */
export function parseEntry(f: Frame): { rsp: bigint; returnAddress: bigint; thread: number } {
  return expectMessage(f, "entry");
}

export function parseExit(f: Frame): TargetExit {
  const { how, code, stubCalls, cpuUserUs, cpuSystemUs } = expectMessage(f, "exit");
  const cpu = { user: Number(cpuUserUs), system: Number(cpuSystemUs) };
  if (how === "exited") return { exitCode: code, stubCalls, cpu };
  const exit: TargetExit = { exitCode: 128 + code, signal: code, message: `killed by signal ${code} (${signalName(code)})`, stubCalls, cpu };
  if (how === "signal-from-outside") exit.fromOutside = true;
  return exit;
}

/** Turns a helper ERROR frame into the error the CLI prints. */
export function helperError(f: Frame, describe?: (addr: bigint) => string): AlpacaError {
  const { code, addr, message } = expectMessage(f, "error");
  switch (code) {
    case ERR.PTRACE:
      return new EnvironmentError(`ptrace is not permitted here (${message})`, {
        hint: "set kernel.yama.ptrace_scope=0 (sysctl -w kernel.yama.ptrace_scope=0) or run as root; in a container allow ptrace (CAP_SYS_PTRACE, seccomp)",
      });
    case ERR.EXEC:
      if (message.startsWith("cannot disable address randomization")) {
        return new EnvironmentError(message, { hint: "allow personality(2) (e.g. docker --security-opt seccomp=unconfined)" });
      }
      if (message.startsWith("cannot install the seccomp filter")) {
        return new EnvironmentError(message, { hint: "allow seccomp(2) in this container, or run with --live-inputs" });
      }
      return new UsageError(message);
    case ERR.ENGINE:
      return new EnvironmentError(`native: the page-tracking analysis engine cannot run here: ${message}`, {
        hint: "use the single-step engine: ALPACA_NATIVE_ENGINE=step",
      });
    case ERR.THREADS:
      return new UsageError(`native: ${message}`);
    case ERR.UNSUPPORTED_INSN:
      return new AlpacaError(`native: cannot locate the memory written by ${describe ? describe(addr) : `the instruction at 0x${addr.toString(16)}`}`);
    default:
      return new AlpacaError(`native helper: ${message}`);
  }
}

export interface Hello {
  pid: number;
  /** AT_ENTRY of the started program. */
  atEntry: bigint;
  xsaveBytes: number;
  /** The stub region the helper reserved (0n when it could not): a code page near the executable, a data area. */
  stubCode: bigint;
  stubData: bigint;
}

export class Session {
  private constructor(
    readonly ch: HelperChannel,
    readonly hello: Hello,
  ) {}

  /**
   * Starts the program under the helper and waits for its exec stop. `inputs`: syscall numbers
   * the helper stops at and reports as INPUT (src/native/inputs.ts).
   */
  static async start(
    helperPath: string, programPath: string, args: readonly string[], env: Record<string, string>, inputs: readonly number[] = [],
  ): Promise<Session> {
    await checkHelper(helperPath);
    const ch = HelperChannel.start(helperPath, programPath, args, env, inputs.length > 0 ? ["--inputs", inputs.join(",")] : []);
    let f: Frame;
    try {
      f = await ch.next();
    } catch (e) {
      ch.kill();
      throw new EnvironmentError(`native helper did not start: ${e instanceof Error ? e.message : String(e)}`, { cause: e, hint: "run make" });
    }
    if (f.type === H.ERROR) {
      ch.kill();
      throw helperError(f);
    }
    if (f.type !== H.HELLO) {
      ch.kill();
      throw new AlpacaError(`native helper: expected HELLO, got frame ${f.type}`);
    }
    // The version first: another version's HELLO may have another layout.
    const version = new PayloadReader(f.payload, "HELLO").u32();
    if (version !== PROTOCOL_VERSION) {
      ch.kill();
      throw new EnvironmentError(`native helper speaks protocol ${version}, expected ${PROTOCOL_VERSION}`, { hint: "run make" });
    }
    const { pid, atEntry, xsaveBytes, stubCode, stubData } = expectMessage(f, "hello");
    return new Session(ch, { pid, atEntry, xsaveBytes, stubCode, stubData });
  }

  /** Runtime address of a link-time address (PIE: load base = AT_ENTRY - e_entry). */
  runtimeAddress(kind: "exec" | "dyn", entry: bigint, value: bigint): bigint {
    return kind === "dyn" ? this.hello.atEntry - entry + value : value;
  }

  /** Sends a command that the helper answers, failing on ERROR. */
  async call(type: number, payload?: Uint8Array): Promise<Frame> {
    const f = await this.ch.request(type, payload);
    if (f.type === H.ERROR) throw helperError(f);
    return f;
  }

  async setBreakpoint(addr: bigint): Promise<void> {
    const f = await this.call(N.SET_BP, new ByteWriter(8).u64(addr).toBytes());
    if (f.type !== H.OK) throw new AlpacaError(`native helper: SET_BP answered ${f.type}`);
  }

  /** Reads target memory in chunks; null when any part is unreadable. */
  readonly readMem = async (addr: bigint, len: number): Promise<Uint8Array | null> => {
    const out = new Uint8Array(len);
    const CHUNK = 1 << 20;
    for (let done = 0; done < len; done += CHUNK) {
      const n = Math.min(CHUNK, len - done);
      const f = await this.call(N.READ, new ByteWriter(12).u64(addr + BigInt(done)).u32(n).toBytes());
      const m = expectMessage(f, "mem");
      if (!m.ok) return null;
      if (m.bytes.length !== n) throw new AlpacaError(`native helper: READ of ${n} bytes answered ${m.bytes.length}`);
      out.set(m.bytes, done);
    }
    return out;
  };

  async writeMem(addr: bigint, bytes: Uint8Array): Promise<void> {
    const CHUNK = 1 << 20;
    for (let done = 0; done < bytes.length; done += CHUNK) {
      const part = bytes.subarray(done, Math.min(bytes.length, done + CHUNK));
      const f = await this.call(N.WRITE, new ByteWriter().u64(addr + BigInt(done)).bytes(part).toBytes());
      if (f.type !== H.OK) throw new AlpacaError(`native helper: WRITE answered ${f.type}`);
    }
  }

  /**
   * Writes many ranges in one round trip (chunked at about 4 MiB). With ifDifferent the helper
   * leaves ranges that already hold the bytes alone (no copy-on-write of read-only pages).
   */
  async writeRanges(ranges: ReadonlyArray<{ addr: number; bytes: Uint8Array }>, ifDifferent = false): Promise<void> {
    const LIMIT = 4 << 20;
    let batch: Array<{ addr: number; bytes: Uint8Array }> = [];
    let size = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const w = new ByteWriter().bytes(new Uint8Array([ifDifferent ? W.IF_DIFFERENT : 0])).u32(batch.length);
      for (const r of batch) w.u64(BigInt(r.addr)).u32(r.bytes.length).bytes(r.bytes);
      const f = await this.call(N.WRITES, w.toBytes());
      if (f.type !== H.OK) throw new AlpacaError(`native helper: WRITES answered ${f.type}`);
      batch = [];
      size = 0;
    };
    for (const r of ranges) {
      if (r.bytes.length > LIMIT) {
        await flush();
        await this.writeMem(BigInt(r.addr), r.bytes);
        continue;
      }
      if (size + r.bytes.length > LIMIT) await flush();
      batch.push(r);
      size += r.bytes.length + 12;
    }
    await flush();
  }

  /** Ends the helper and the target if they are still running, and reaps the helper. */
  async close(): Promise<void> {
    this.ch.kill();
    await this.ch.exited;
  }
}
