/**
 * The effect log (.alog) format: constants and the in-memory model. Human documentation with
 * byte layouts is in docs/log-format.md; every field here says the version that added it.
 *
 * File  = LOG_MAGIC (8 bytes, v1) · version u16 LE (v1) · Block*
 * Block = kind u8 (v1) · payloadLength u32 LE (v1) · payload · crc32 u32 LE of kind+length+payload (v1)
 * A complete log has exactly one HEADER block first and one END block last; a log without END
 * was cut short and is refused.
 */

/** First 8 bytes of every log (v1). */
export const LOG_MAGIC = new Uint8Array([0x41, 0x4c, 0x50, 0x41, 0x43, 0x41, 0x4c, 0x47]); // "ALPACALG"
/** The version this code writes; the reader accepts 1..LOG_VERSION and refuses newer ones. */
export const LOG_VERSION = 4;
/** Largest block payload the reader accepts (declared lengths are capped before allocating). */
export const MAX_BLOCK_BYTES = 1 << 30;

/** Block kinds (v1). */
export const BLOCK = { header: 1, invocations: 2, inputs: 3, end: 4, mac: 5 } as const;
export type BlockKind = keyof typeof BLOCK;

/** Backends (v1). */
export const BACKEND = { wasm: 1, "x86-64": 2 } as const;
export type Backend = keyof typeof BACKEND;

/** Event tags inside an invocation record (v1). */
export const EVENT = { write: 1, global: 2, grow: 3, syscall: 4 } as const;

/**
 * How an invocation record is written (v2; v1 records are all "full" and have no form byte):
 * "full" spells everything out; "repeat" has the shape of the previous record in the same block
 * (returned, writes only, the same write addresses and lengths, the same result types) and holds
 * only the write bytes and the result bits. See docs/log-format.md.
 */
export const FORM = { full: 0, repeat: 1 } as const;

/** How an invocation ended (v1). */
export const STATUS = { returned: 0, exited: 1, trapped: 2 } as const;
/**
 * Or-ed into a full record's status byte (v4): the invocation ran on another thread than the
 * program's first (x86-64), and its thread ordinal follows the status byte as a varUint.
 */
export const STATUS_THREAD_FLAG = 0x80;
export type InvocationStatus = keyof typeof STATUS;

/** Value types, with the Wasm binary encoding's type codes (v1). x86-64 uses i64 and v128. */
export const VALTYPE = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type ValType = keyof typeof VALTYPE;

/** A value as its exact bit pattern: i32/f32 in the low 32 bits, i64/f64 all 64, v128 as 16 bytes. */
export type Value =
  | { type: "i32" | "i64" | "f32" | "f64"; bits: bigint }
  | { type: "v128"; bytes: Uint8Array };

/** A contiguous range of guest memory and its bytes. */
export interface MemoryRange {
  addr: number;
  bytes: Uint8Array;
}

/** Bytes written outside F's own frames; the last value per byte within one epoch (v1). */
export interface WriteEvent {
  kind: "write";
  addr: number;
  bytes: Uint8Array;
}
/** Final value of a mutable global that F changed (v1). */
export interface GlobalEvent {
  kind: "global";
  index: number;
  value: Value;
}
/** Linear memory grew from `fromPages` to `toPages` 64 KiB pages (v1). */
export interface GrowEvent {
  kind: "grow";
  fromPages: number;
  toPages: number;
}
/**
 * A system call (WASI import or x86-64 syscall) with its arguments as 64-bit patterns, the guest
 * memory it read before running, the memory it wrote, and its result (WASI errno or rax) (v1).
 */
export interface SyscallEvent {
  kind: "syscall";
  name: string;
  args: bigint[];
  reads: MemoryRange[];
  writes: MemoryRange[];
  result: bigint;
}
export type Event = WriteEvent | GlobalEvent | GrowEvent | SyscallEvent;

/** One outermost call of F (v1). */
export interface Invocation {
  index: number;
  status: InvocationStatus;
  /** With status "exited": the code passed to proc_exit / exit_group. */
  exitCode?: number;
  /** With status "trapped": the engine's message. */
  trapMessage?: string;
  events: Event[];
  /** F's results, empty unless status is "returned". */
  returns: Value[];
  /**
   * x86-64 (v4): the thread F ran on, by ordinal (0 the program's first thread, then in the order
   * threads were created); absent for the first thread.
   */
  thread?: number;
}

/** A nondeterministic input (clock, random, stdin) taken anywhere in the program (v1). */
export interface InputRecord {
  /** True when the call happened inside F's extent. */
  insideF: boolean;
  call: SyscallEvent;
}

/** What the header block holds (v1). */
export interface LogHeader {
  backend: Backend;
  /** SHA-256 of the program file, 32 bytes. */
  programSha256: Uint8Array;
  functionName: string;
  /** Function index (Wasm) or symbol address (x86-64). */
  functionIndex: number;
  params: ValType[];
  results: ValType[];
  /** The program's arguments in the analyzed run (argv[1..]). */
  args: string[];
  /** The program's environment in the analyzed run (memory layout depends on it), without its values (v3). */
  env: EnvVar[];
}

/**
 * One environment variable of the analyzed run: its name and a keyed digest of `NAME=value`
 * (src/log/mac.ts envDigest), so a later run can tell which variables differ while the log
 * holds no value. v1 and v2 logs held the value itself instead of a digest.
 */
export interface EnvVar {
  name: string;
  digest?: Uint8Array;
  value?: string;
}

/** Bytes of an environment variable's digest in the header (a truncated HMAC-SHA-256). */
export const ENV_DIGEST_BYTES = 16;
/** Bytes of the MAC block's payload: an HMAC-SHA-256 tag. */
export const MAC_BYTES = 32;

/** How the analyzed run ended, kept in the END block (v1). */
export interface RunEnd {
  invocationCount: number;
  inputCount: number;
  /** "exited" with a code, or "trapped". */
  outcome: "exited" | "trapped";
  exitCode: number;
}

export interface EffectLog {
  version: number;
  header: LogHeader;
  invocations: Invocation[];
  inputs: InputRecord[];
  end: RunEnd;
}

const inverses = new WeakMap<object, Map<number, string>>();

/** Inverse lookup of a tag table: code → name (the inverse is built once per table). */
export function nameOfCode<T extends Record<string, number>>(table: T, code: number): keyof T | undefined {
  let inverse = inverses.get(table);
  if (!inverse) {
    inverse = new Map(Object.entries(table).map(([name, c]) => [c, name]));
    inverses.set(table, inverse);
  }
  return inverse.get(code);
}
