/**
 * The WASI preview1 effect table: one entry per function, saying which guest memory it reads
 * before running, which it writes, how a disabled run replays it, and whether it is a
 * nondeterministic input. Ranges are computed from the call's arguments and guest memory.
 * Pure: memory arrives as a DataView, process facts (argument sizes) as a context.
 * Spec: https://github.com/WebAssembly/WASI/blob/main/legacy/preview1/docs.md
 */

/** Replay policy: re-run the call with its recorded inputs (output, files, kernel state), answer
 * it from the log (clock, random, stdin), or end the program (proc_exit). */
export type ReplayPolicy = "reexecute" | "answer" | "exit";

export interface Range {
  addr: number;
  len: number;
}

/** What the table needs to know that is not in memory: the guest's argv and environ sizes. */
export interface WasiContext {
  argc: number;
  argvBufBytes: number;
  envc: number;
  environBufBytes: number;
}

/** A call's arguments as the engine passes them: numbers for i32, bigints for i64. */
export type WasiArgs = ReadonlyArray<number | bigint>;

export interface WasiEntry {
  /** Parameter types, one letter each: i = i32, I = i64. */
  params: string;
  reads: (a: WasiArgs, mem: DataView) => Range[];
  /** Ranges written; called after the call returned `errno` (0 = success). */
  writes: (a: WasiArgs, mem: DataView, ctx: WasiContext) => Range[];
  policy: (a: WasiArgs) => ReplayPolicy;
  /** True when this call brings nondeterministic input into the program (recorded everywhere). */
  isInput: (a: WasiArgs) => boolean;
  /** A struct (or array of them) the call fills, whose bytes are not all the host's or not all the program's. */
  output?: OutputStruct;
}

/** Byte fields of a struct: [offset, length]. */
type Fields = ReadonlyArray<readonly [number, number]>;

/**
 * An output struct at the address in argument `ptrArg`, `size` bytes each (a write of n × size
 * bytes is an array of them). `defined`: the fields the host writes; the rest is padding it leaves
 * as it was. `determined`: the fields that depend on the program alone, not on the machine, the
 * file system's history or where stdio goes (inodes, times, stdio's file types and rights).
 */
export interface OutputStruct {
  ptrArg: number;
  size: number;
  defined: Fields;
  determined: (a: WasiArgs) => Fields;
}

/** How a replay treats the bytes of one write a re-executed call made. */
export interface WriteParts {
  /** Bytes that must equal the analyzed run's. */
  compare: Range[];
  /** Bytes the host leaves untouched (padding): a replay copies them from the log. */
  untouched: Range[];
}

const u32 = (a: WasiArgs, i: number): number => Number(a[i] ?? 0) >>> 0;
const none = (): Range[] => [];
const reexecute = (): ReplayPolicy => "reexecute";
const answer = (): ReplayPolicy => "answer";
const never = (): boolean => false;
const always = (): boolean => true;

/** The iovec array itself (8 bytes each). */
function iovecArray(iovs: number, n: number): Range {
  return { addr: iovs, len: n * 8 };
}

/** The iovec array plus every buffer it points to (for writes: what the call reads). */
function iovecsWithBuffers(mem: DataView, iovs: number, n: number): Range[] {
  const out: Range[] = [iovecArray(iovs, n)];
  for (let i = 0; i < n; i++) {
    const buf = mem.getUint32(iovs + i * 8, true);
    const len = mem.getUint32(iovs + i * 8 + 4, true);
    if (len > 0) out.push({ addr: buf, len });
  }
  return out;
}

/** The first `total` bytes of the buffers an iovec array points to (what a read filled). */
function iovecBuffersUpTo(mem: DataView, iovs: number, n: number, total: number): Range[] {
  const out: Range[] = [];
  let left = total;
  for (let i = 0; i < n && left > 0; i++) {
    const buf = mem.getUint32(iovs + i * 8, true);
    const len = Math.min(mem.getUint32(iovs + i * 8 + 4, true), left);
    if (len > 0) out.push({ addr: buf, len });
    left -= len;
  }
  return out;
}

const at = (addr: number, len: number): Range => ({ addr, len });
/** An out-parameter that holds a u32 count written by the call (nread, bufused...). */
const count = (mem: DataView, ptr: number): number => mem.getUint32(ptr, true);

const path = (pi: number, li: number) => (a: WasiArgs): Range[] => [at(u32(a, pi), u32(a, li))];

function entry(params: string, e: Partial<Omit<WasiEntry, "params">> = {}): WasiEntry {
  const out: WasiEntry = { params, reads: e.reads ?? none, writes: e.writes ?? none, policy: e.policy ?? reexecute, isInput: e.isInput ?? never };
  if (e.output) out.output = e.output;
  return out;
}

const isStdin = (a: WasiArgs): boolean => u32(a, 0) === 0;
/** stdin, stdout and stderr: what they are (file, pipe, terminal) is the caller's choice, not the program's. */
const isStdio = (a: WasiArgs): boolean => u32(a, 0) <= 2;

const FDSTAT: Fields = [[0, 1], [2, 2], [8, 16]];
const FILESTAT: Fields = [[0, 17], [24, 40]];
const FILESTAT_FILETYPE: Fields = [[16, 1]];
const EVENT: Fields = [[0, 8], [8, 2], [10, 1], [16, 8], [24, 2]];
const nothing: Fields = [];

function output(ptrArg: number, size: number, defined: Fields, determined: (a: WasiArgs) => Fields): OutputStruct {
  return { ptrArg, size, defined, determined };
}

export const WASI_TABLE: Readonly<Record<string, WasiEntry>> = {
  args_get: entry("ii", { writes: (a, _m, c) => [at(u32(a, 0), c.argc * 4), at(u32(a, 1), c.argvBufBytes)] }),
  args_sizes_get: entry("ii", { writes: (a) => [at(u32(a, 0), 4), at(u32(a, 1), 4)] }),
  environ_get: entry("ii", { writes: (a, _m, c) => [at(u32(a, 0), c.envc * 4), at(u32(a, 1), c.environBufBytes)] }),
  environ_sizes_get: entry("ii", { writes: (a) => [at(u32(a, 0), 4), at(u32(a, 1), 4)] }),
  clock_res_get: entry("ii", { writes: (a) => [at(u32(a, 1), 8)], policy: answer, isInput: always }),
  clock_time_get: entry("iIi", { writes: (a) => [at(u32(a, 2), 8)], policy: answer, isInput: always }),
  fd_advise: entry("iIIi"),
  fd_allocate: entry("iII"),
  fd_close: entry("i"),
  fd_datasync: entry("i"),
  fd_fdstat_get: entry("ii", { writes: (a) => [at(u32(a, 1), 24)], output: output(1, 24, FDSTAT, (a) => (isStdio(a) ? nothing : FDSTAT)) }),
  fd_fdstat_set_flags: entry("ii"),
  fd_fdstat_set_rights: entry("iII"),
  fd_filestat_get: entry("ii", { writes: (a) => [at(u32(a, 1), 64)], output: output(1, 64, FILESTAT, (a) => (isStdio(a) ? nothing : FILESTAT_FILETYPE)) }),
  fd_filestat_set_size: entry("iI"),
  fd_filestat_set_times: entry("iIIi"),
  fd_pread: entry("iiiIi", {
    reads: (a) => [iovecArray(u32(a, 1), u32(a, 2))],
    writes: (a, m) => [...iovecBuffersUpTo(m, u32(a, 1), u32(a, 2), count(m, u32(a, 4))), at(u32(a, 4), 4)],
  }),
  fd_prestat_get: entry("ii", { writes: (a) => [at(u32(a, 1), 8)], output: output(1, 8, [[0, 1], [4, 4]], () => [[0, 1], [4, 4]]) }),
  fd_prestat_dir_name: entry("iii", { writes: (a) => [at(u32(a, 1), u32(a, 2))] }),
  fd_pwrite: entry("iiiIi", { reads: (a, m) => iovecsWithBuffers(m, u32(a, 1), u32(a, 2)), writes: (a) => [at(u32(a, 4), 4)] }),
  fd_read: entry("iiii", {
    reads: (a) => [iovecArray(u32(a, 1), u32(a, 2))],
    writes: (a, m) => [...iovecBuffersUpTo(m, u32(a, 1), u32(a, 2), count(m, u32(a, 3))), at(u32(a, 3), 4)],
    policy: (a) => (isStdin(a) ? "answer" : "reexecute"),
    isInput: isStdin,
  }),
  // Entries hold inodes and come in the file system's order: the bytes are the host's, not the program's.
  fd_readdir: entry("iiiIi", {
    writes: (a, m) => [at(u32(a, 1), Math.min(count(m, u32(a, 4)), u32(a, 2))), at(u32(a, 4), 4)],
    output: output(1, 1, [[0, 1]], () => nothing),
  }),
  fd_renumber: entry("ii"),
  fd_seek: entry("iIii", { writes: (a) => [at(u32(a, 3), 8)] }),
  fd_sync: entry("i"),
  fd_tell: entry("ii", { writes: (a) => [at(u32(a, 1), 8)] }),
  fd_write: entry("iiii", { reads: (a, m) => iovecsWithBuffers(m, u32(a, 1), u32(a, 2)), writes: (a) => [at(u32(a, 3), 4)] }),
  path_create_directory: entry("iii", { reads: path(1, 2) }),
  path_filestat_get: entry("iiiii", { reads: path(2, 3), writes: (a) => [at(u32(a, 4), 64)], output: output(4, 64, FILESTAT, () => FILESTAT_FILETYPE) }),
  path_filestat_set_times: entry("iiiiIIi", { reads: path(2, 3) }),
  path_link: entry("iiiiiii", { reads: (a) => [...path(2, 3)(a), ...path(5, 6)(a)] }),
  path_open: entry("iiiiiIIii", { reads: path(2, 3), writes: (a) => [at(u32(a, 8), 4)] }),
  path_readlink: entry("iiiiii", {
    reads: path(1, 2),
    writes: (a, m) => [at(u32(a, 3), Math.min(count(m, u32(a, 5)), u32(a, 4))), at(u32(a, 5), 4)],
  }),
  path_remove_directory: entry("iii", { reads: path(1, 2) }),
  path_rename: entry("iiiiii", { reads: (a) => [...path(1, 2)(a), ...path(4, 5)(a)] }),
  path_symlink: entry("iiiii", { reads: (a) => [...path(0, 1)(a), ...path(3, 4)(a)] }),
  path_unlink_file: entry("iii", { reads: path(1, 2) }),
  poll_oneoff: entry("iiii", {
    reads: (a) => [at(u32(a, 0), u32(a, 2) * 48)],
    writes: (a, m) => [at(u32(a, 1), count(m, u32(a, 3)) * 32), at(u32(a, 3), 4)],
    // Userdata, error and type are the program's; bytes ready and hang-up depend on the other end.
    output: output(1, 32, EVENT, () => [[0, 8], [8, 2], [10, 1]]),
  }),
  proc_exit: entry("i", { policy: () => "exit" }),
  proc_raise: entry("i"),
  sched_yield: entry(""),
  random_get: entry("ii", { writes: (a) => [at(u32(a, 0), u32(a, 1))], policy: answer, isInput: always }),
  sock_accept: entry("iii", { writes: (a) => [at(u32(a, 2), 4)] }),
  sock_recv: entry("iiiiii", {
    reads: (a) => [iovecArray(u32(a, 1), u32(a, 2))],
    writes: (a, m) => [...iovecBuffersUpTo(m, u32(a, 1), u32(a, 2), count(m, u32(a, 4))), at(u32(a, 4), 4), at(u32(a, 5), 2)],
  }),
  sock_send: entry("iiiii", { reads: (a, m) => iovecsWithBuffers(m, u32(a, 1), u32(a, 2)), writes: (a) => [at(u32(a, 4), 4)] }),
  sock_shutdown: entry("ii"),
};

/**
 * The parts of write `w` (one of entry.writes(a)) that a replay compares, and those the host
 * leaves untouched. Without an output struct at `w`, every byte is compared.
 */
export function writeParts(entry: WasiEntry, a: WasiArgs, w: Range): WriteParts {
  const o = entry.output;
  if (!o || w.addr !== u32(a, o.ptrArg) || w.len % o.size !== 0) return { compare: [w], untouched: [] };
  const fields = (base: number, fs: Fields): Range[] => fs.filter(([off]) => off < o.size).map(([off, len]) => at(base + off, len));
  const compare: Range[] = [];
  const untouched: Range[] = [];
  const determined = o.determined(a);
  for (let base = w.addr; base < w.addr + w.len; base += o.size) {
    compare.push(...fields(base, determined));
    let pos = 0;
    for (const [off, len] of [...o.defined].sort((x, y) => x[0] - y[0])) {
      if (off > pos) untouched.push(at(base + pos, off - pos));
      pos = Math.max(pos, off + len);
    }
    if (pos < o.size) untouched.push(at(base + pos, o.size - pos));
  }
  return { compare, untouched };
}

/** Converts a call's arguments to 64-bit patterns for the log. */
export function argsToBits(a: WasiArgs): bigint[] {
  return a.map((x) => (typeof x === "bigint" ? BigInt.asUintN(64, x) : BigInt(x >>> 0)));
}

/** Converts logged 64-bit patterns back to engine arguments for `params`. */
export function bitsToArgs(bits: readonly bigint[], params: string): Array<number | bigint> {
  return bits.map((b, i) => (params[i] === "I" ? BigInt.asIntN(64, b) : Number(BigInt.asIntN(32, b))));
}
