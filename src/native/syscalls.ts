/**
 * x86-64 Linux syscalls: every number has a name (syscall-names.ts, generated from the kernel
 * headers); the common ones also say which user memory the kernel reads (captured at entry)
 * and writes (captured at exit), and how the disabled run replays them:
 *
 * - reexec: run again in the disabled process (output, files, memory management, process
 *   state). The bytes the call read are put back first, so a buffer in F's own (dropped) frame
 *   holds what it held; the result is compared with the log.
 * - answer: not run; its recorded writes and result stand in (clocks, random bytes, ids,
 *   resource usage): the same policy as the Wasm backend's clock and random calls.
 * - exit: exit/exit_group, run again: the process ends as it did.
 * - skip: rt_sigreturn belongs to a signal handler that ran inside F; nothing to replay.
 * - unreplayable: fork/clone/exec inside F cannot be replayed by injection; disable refuses.
 *
 * A syscall without an entry is recorded with its six arguments and no buffers, and replayed
 * by re-execution: never a crash, at worst a buffer in F's frame that is not restored.
 * Pure: memory arrives through the `MemoryReader` callback.
 */
import type { MemoryRange } from "../log/index.js";
import { SYSCALL_NAMES } from "./syscall-names.js";

export type ReplayPolicy = "reexec" | "answer" | "exit" | "skip" | "unreplayable";

type Arg = 0 | 1 | 2 | 3 | 4 | 5;
/** A length: a constant, an argument, an argument times a size, the result, or the u32 at an argument (after the call). */
type Len = number | { arg: Arg; times?: number } | "result" | { resultTimes: number } | { u32At: Arg };
/** One memory operand of a syscall. */
type Operand =
  | { buf: Arg; len: Len }
  | { cstr: Arg }
  | { strv: Arg }
  | { iov: Arg; count: Arg; upTo?: "result" }
  | { msghdr: Arg; upTo?: "result" }
  | { fdset: Arg; nfds: Arg };

export interface SyscallSpec {
  policy: ReplayPolicy;
  reads: Operand[];
  writes: Operand[];
}

const STAT = 144;
const TIMESPEC = 16;
const RUSAGE = 144;
const SIGINFO = 128;

function spec(policy: ReplayPolicy, reads: Operand[] = [], writes: Operand[] = []): SyscallSpec {
  return { policy, reads, writes };
}
const re = (reads: Operand[] = [], writes: Operand[] = []): SyscallSpec => spec("reexec", reads, writes);
const ans = (writes: Operand[] = []): SyscallSpec => spec("answer", [], writes);

const cstr = (a: Arg): Operand => ({ cstr: a });
const buf = (a: Arg, len: Len): Operand => ({ buf: a, len });

/** Buffer semantics and replay policy by name. */
export const SYSCALL_SPECS: Readonly<Record<string, SyscallSpec>> = {
  read: re([], [buf(1, "result")]),
  write: re([buf(1, { arg: 2 })]),
  open: re([cstr(0)]),
  close: re(),
  stat: re([cstr(0)], [buf(1, STAT)]),
  fstat: re([], [buf(1, STAT)]),
  lstat: re([cstr(0)], [buf(1, STAT)]),
  poll: re([buf(0, { arg: 1, times: 8 })], [buf(0, { arg: 1, times: 8 })]),
  lseek: re(),
  mmap: re(),
  mprotect: re(),
  munmap: re(),
  brk: re(),
  rt_sigaction: re([buf(1, 32)], [buf(2, 32)]),
  rt_sigprocmask: re([buf(1, { arg: 3 })], [buf(2, { arg: 3 })]),
  rt_sigreturn: spec("skip"),
  ioctl: re(), // refined by ioctlSpec
  pread64: re([], [buf(1, "result")]),
  pwrite64: re([buf(1, { arg: 2 })]),
  readv: re([buf(1, { arg: 2, times: 16 })], [{ iov: 1, count: 2, upTo: "result" }]),
  writev: re([{ iov: 1, count: 2 }]),
  access: re([cstr(0)]),
  pipe: re([], [buf(0, 8)]),
  select: re([{ fdset: 1, nfds: 0 }, { fdset: 2, nfds: 0 }, { fdset: 3, nfds: 0 }, buf(4, 16)],
    [{ fdset: 1, nfds: 0 }, { fdset: 2, nfds: 0 }, { fdset: 3, nfds: 0 }, buf(4, 16)]),
  sched_yield: re(),
  mremap: re(),
  msync: re(),
  mincore: re([], [buf(2, { arg: 1, times: 1 / 4096 })]),
  madvise: re(),
  dup: re(),
  dup2: re(),
  pause: re(),
  nanosleep: re([buf(0, TIMESPEC)], [buf(1, TIMESPEC)]),
  getitimer: re([], [buf(1, 32)]),
  alarm: re(),
  setitimer: re([buf(1, 32)], [buf(2, 32)]),
  getpid: ans(),
  sendfile: re([buf(2, 8)], [buf(2, 8)]),
  socket: re(),
  connect: re([buf(1, { arg: 2 })]),
  accept: re([buf(2, 4)], [buf(2, 4), buf(1, { u32At: 2 })]),
  sendto: re([buf(1, { arg: 2 }), buf(4, { arg: 5 })]),
  recvfrom: re([buf(5, 4)], [buf(1, "result"), buf(5, 4), buf(4, { u32At: 5 })]),
  sendmsg: re([{ msghdr: 1 }]),
  recvmsg: re([buf(1, 56)], [{ msghdr: 1, upTo: "result" }]),
  shutdown: re(),
  bind: re([buf(1, { arg: 2 })]),
  listen: re(),
  getsockname: re([buf(2, 4)], [buf(2, 4), buf(1, { u32At: 2 })]),
  getpeername: re([buf(2, 4)], [buf(2, 4), buf(1, { u32At: 2 })]),
  socketpair: re([], [buf(3, 8)]),
  setsockopt: re([buf(3, { arg: 4 })]),
  getsockopt: re([buf(4, 4)], [buf(4, 4), buf(3, { u32At: 4 })]),
  clone: spec("unreplayable"),
  fork: spec("unreplayable"),
  vfork: spec("unreplayable"),
  execve: spec("unreplayable", [cstr(0), { strv: 1 }, { strv: 2 }]),
  exit: spec("exit"),
  wait4: re([], [buf(1, 4), buf(3, RUSAGE)]),
  kill: re(),
  uname: ans([buf(0, 390)]),
  fcntl: re(),
  flock: re(),
  fsync: re(),
  fdatasync: re(),
  truncate: re([cstr(0)]),
  ftruncate: re(),
  getdents: re([], [buf(1, "result")]),
  getcwd: ans([buf(0, "result")]),
  chdir: re([cstr(0)]),
  fchdir: re(),
  rename: re([cstr(0), cstr(1)]),
  mkdir: re([cstr(0)]),
  rmdir: re([cstr(0)]),
  creat: re([cstr(0)]),
  link: re([cstr(0), cstr(1)]),
  unlink: re([cstr(0)]),
  symlink: re([cstr(0), cstr(1)]),
  readlink: re([cstr(0)], [buf(1, "result")]),
  chmod: re([cstr(0)]),
  fchmod: re(),
  chown: re([cstr(0)]),
  fchown: re(),
  lchown: re([cstr(0)]),
  umask: re(),
  gettimeofday: ans([buf(0, 16), buf(1, 8)]),
  getrlimit: re([], [buf(1, 16)]),
  getrusage: ans([buf(1, RUSAGE)]),
  sysinfo: ans([buf(0, 112)]),
  times: ans([buf(0, 32)]),
  getuid: ans(),
  getgid: ans(),
  setuid: re(),
  setgid: re(),
  geteuid: ans(),
  getegid: ans(),
  setpgid: re(),
  getppid: ans(),
  getpgrp: ans(),
  setsid: re(),
  getgroups: ans([buf(1, { resultTimes: 4 })]),
  getresuid: ans([buf(0, 4), buf(1, 4), buf(2, 4)]),
  getresgid: ans([buf(0, 4), buf(1, 4), buf(2, 4)]),
  getpgid: ans(),
  getsid: ans(),
  rt_sigpending: re([], [buf(0, { arg: 1 })]),
  rt_sigtimedwait: re([buf(0, { arg: 3 }), buf(2, TIMESPEC)], [buf(1, SIGINFO)]),
  rt_sigsuspend: re([buf(0, { arg: 1 })]),
  sigaltstack: re([buf(0, 24)], [buf(1, 24)]),
  statfs: re([cstr(0)], [buf(1, 120)]),
  fstatfs: re([], [buf(1, 120)]),
  sched_getparam: re([], [buf(1, 4)]),
  sched_setparam: re([buf(1, 4)]),
  sched_setscheduler: re([buf(2, 4)]),
  sched_rr_get_interval: re([], [buf(1, TIMESPEC)]),
  mlock: re(),
  munlock: re(),
  prctl: re(),
  arch_prctl: re([], []), // ARCH_GET_FS/GS write 8 bytes: refined by archPrctlSpec
  setrlimit: re([buf(1, 16)]),
  chroot: re([cstr(0)]),
  sync: re(),
  gettid: ans(),
  readahead: re(),
  setxattr: re([cstr(0), cstr(1), buf(2, { arg: 3 })]),
  getxattr: re([cstr(0), cstr(1)], [buf(2, "result")]),
  listxattr: re([cstr(0)], [buf(1, "result")]),
  time: ans([buf(0, 8)]),
  futex: re(),
  sched_setaffinity: re([buf(2, { arg: 1 })]),
  sched_getaffinity: ans([buf(2, "result")]),
  set_tid_address: re(),
  getdents64: re([], [buf(1, "result")]),
  fadvise64: re(),
  timer_create: re(),
  clock_settime: re([buf(1, TIMESPEC)]),
  clock_gettime: ans([buf(1, TIMESPEC)]),
  clock_getres: ans([buf(1, TIMESPEC)]),
  clock_nanosleep: re([buf(2, TIMESPEC)], [buf(3, TIMESPEC)]),
  exit_group: spec("exit"),
  epoll_wait: re([], [buf(1, { resultTimes: 12 })]),
  epoll_ctl: re([buf(3, 12)]),
  tgkill: re(),
  utimes: re([cstr(0), buf(1, 32)]),
  waitid: re([], [buf(2, SIGINFO), buf(4, RUSAGE)]),
  openat: re([cstr(1)]),
  mkdirat: re([cstr(1)]),
  fchownat: re([cstr(1)]),
  newfstatat: re([cstr(1)], [buf(2, STAT)]),
  unlinkat: re([cstr(1)]),
  renameat: re([cstr(1), cstr(3)]),
  linkat: re([cstr(1), cstr(3)]),
  symlinkat: re([cstr(0), cstr(2)]),
  readlinkat: re([cstr(1)], [buf(2, "result")]),
  fchmodat: re([cstr(1)]),
  faccessat: re([cstr(1)]),
  pselect6: re([{ fdset: 1, nfds: 0 }, { fdset: 2, nfds: 0 }, { fdset: 3, nfds: 0 }, buf(4, TIMESPEC)],
    [{ fdset: 1, nfds: 0 }, { fdset: 2, nfds: 0 }, { fdset: 3, nfds: 0 }]),
  ppoll: re([buf(0, { arg: 1, times: 8 }), buf(2, TIMESPEC), buf(3, { arg: 4 })], [buf(0, { arg: 1, times: 8 })]),
  set_robust_list: re(),
  utimensat: re([cstr(1), buf(2, 32)]),
  epoll_pwait: re([buf(4, { arg: 5 })], [buf(1, { resultTimes: 12 })]),
  timerfd_settime: re([buf(2, 32)], [buf(3, 32)]),
  timerfd_gettime: re([], [buf(1, 32)]),
  accept4: re([buf(2, 4)], [buf(2, 4), buf(1, { u32At: 2 })]),
  eventfd2: re(),
  epoll_create1: re(),
  dup3: re(),
  pipe2: re([], [buf(0, 8)]),
  preadv: re([buf(1, { arg: 2, times: 16 })], [{ iov: 1, count: 2, upTo: "result" }]),
  pwritev: re([{ iov: 1, count: 2 }]),
  prlimit64: re([buf(2, 16)], [buf(3, 16)]),
  getcpu: ans([buf(0, 4), buf(1, 4)]),
  renameat2: re([cstr(1), cstr(3)]),
  getrandom: ans([buf(0, "result")]),
  memfd_create: re([cstr(0)]),
  execveat: spec("unreplayable", [cstr(1), { strv: 2 }, { strv: 3 }]),
  copy_file_range: re([buf(1, 8), buf(3, 8)], [buf(1, 8), buf(3, 8)]),
  preadv2: re([buf(1, { arg: 2, times: 16 })], [{ iov: 1, count: 2, upTo: "result" }]),
  pwritev2: re([{ iov: 1, count: 2 }]),
  statx: re([cstr(1)], [buf(4, 256)]),
  rseq: re(),
  clone3: spec("unreplayable"),
  close_range: re(),
  faccessat2: re([cstr(1)]),
  fchmodat2: re([cstr(1)]),
};

const TCGETS = 0x5401n;
const TCSETS = 0x5402n;
const TCSETSW = 0x5403n;
const TCSETSF = 0x5404n;
const TIOCGWINSZ = 0x5413n;
const TIOCSWINSZ = 0x5414n;
const FIONREAD = 0x541bn;
const ARCH_GET_FS = 0x1003n;
const ARCH_GET_GS = 0x1004n;

/** The spec for syscall `nr` with these arguments (ioctl and arch_prctl depend on them). */
export function specFor(nr: number, args: readonly bigint[]): SyscallSpec {
  const name = syscallName(nr);
  if (name === "ioctl") {
    const req = args[1] ?? 0n;
    if (req === TCGETS) return re([], [buf(2, 36)]);
    if (req === TCSETS || req === TCSETSW || req === TCSETSF) return re([buf(2, 36)]);
    if (req === TIOCGWINSZ) return re([], [buf(2, 8)]);
    if (req === TIOCSWINSZ) return re([buf(2, 8)]);
    if (req === FIONREAD) return re([], [buf(2, 4)]);
  }
  if (name === "arch_prctl") {
    const code = args[0] ?? 0n;
    if (code === ARCH_GET_FS || code === ARCH_GET_GS) return re([], [buf(1, 8)]);
  }
  return SYSCALL_SPECS[name] ?? re();
}

/** The syscall's name; numbers this table does not know read `syscall_<nr>`. */
export function syscallName(nr: number): string {
  const name = SYSCALL_NAMES[nr];
  return name ? name : `syscall_${nr}`;
}

/** Inverse of syscallName. */
export function syscallNumber(name: string): number | undefined {
  const m = /^syscall_(\d+)$/.exec(name);
  if (m) return Number(m[1]);
  const i = SYSCALL_NAMES.indexOf(name);
  return i >= 0 ? i : undefined;
}

/** Reads target memory; null when the range is not readable. */
export type MemoryReader = (addr: bigint, len: number) => Promise<Uint8Array | null>;

/** A result in -4095..-1 is an error code. */
export function isErrorResult(result: bigint): boolean {
  const s = BigInt.asIntN(64, result);
  return s < 0n && s >= -4095n;
}

const MAX_CSTR = 1 << 16;
const MAX_VECTOR = 1 << 12;
const MAX_CAPTURE = 1 << 30;

async function readU64(read: MemoryReader, addr: bigint): Promise<bigint | null> {
  const b = await read(addr, 8);
  return b ? new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true) : null;
}

async function readCString(read: MemoryReader, addr: bigint): Promise<Uint8Array | null> {
  const parts: Uint8Array[] = [];
  let total = 0;
  let at = addr;
  while (total < MAX_CSTR) {
    // Never read past the page: the next one may be unmapped.
    const chunk = Math.min(256, 4096 - Number(at % 4096n));
    const b = await read(at, chunk);
    if (!b) return parts.length ? concat(parts) : null;
    const nul = b.indexOf(0);
    if (nul >= 0) {
      parts.push(b.subarray(0, nul + 1));
      return concat(parts);
    }
    parts.push(b);
    total += b.length;
    at += BigInt(b.length);
  }
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function u32At(b: Uint8Array | null): number | null {
  return b && b.length >= 4 ? new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true) : null;
}

/**
 * The memory ranges an operand covers, with their bytes now. `result` is undefined at entry.
 * Null pointers and unreadable memory give nothing (the kernel would have said EFAULT).
 */
export async function captureOperands(
  operands: readonly Operand[],
  args: readonly bigint[],
  result: bigint | undefined,
  read: MemoryReader,
): Promise<MemoryRange[]> {
  const out: MemoryRange[] = [];
  const push = async (addr: bigint, len: number): Promise<void> => {
    if (addr === 0n || len <= 0) return;
    const n = Math.min(len, MAX_CAPTURE);
    const bytes = await read(addr, n);
    if (bytes) out.push({ addr: Number(addr), bytes });
  };
  const resultLen = result === undefined || isErrorResult(result) ? 0 : Number(BigInt.asIntN(64, result));
  for (const op of operands) {
    if ("buf" in op) {
      const addr = args[op.buf] ?? 0n;
      let len: number;
      const l = op.len;
      if (typeof l === "number") len = l;
      else if (l === "result") len = resultLen;
      else if ("resultTimes" in l) len = resultLen * l.resultTimes;
      else if ("u32At" in l) len = u32At(await read(args[l.u32At] ?? 0n, 4)) ?? 0;
      else len = Math.ceil(Number(args[l.arg] ?? 0n) * (l.times ?? 1));
      await push(addr, len);
    } else if ("cstr" in op) {
      const addr = args[op.cstr] ?? 0n;
      if (addr === 0n) continue;
      const s = await readCString(read, addr);
      if (s) out.push({ addr: Number(addr), bytes: s });
    } else if ("strv" in op) {
      let at = args[op.strv] ?? 0n;
      if (at === 0n) continue;
      for (let i = 0; i < MAX_VECTOR; i++, at += 8n) {
        await push(at, 8);
        const p = await readU64(read, at);
        if (!p) break;
        const s = await readCString(read, p);
        if (s) out.push({ addr: Number(p), bytes: s });
      }
    } else if ("iov" in op) {
      const base = args[op.iov] ?? 0n;
      const count = Math.min(Number(args[op.count] ?? 0n), MAX_VECTOR);
      let budget = op.upTo === "result" ? resultLen : Infinity;
      const vec = base === 0n ? null : await read(base, count * 16);
      if (!vec) continue;
      const dv = new DataView(vec.buffer, vec.byteOffset, vec.byteLength);
      for (let i = 0; i < count && budget > 0; i++) {
        const p = dv.getBigUint64(i * 16, true);
        const n = Math.min(Number(dv.getBigUint64(i * 16 + 8, true)), budget);
        await push(p, n);
        budget -= n;
      }
    } else if ("msghdr" in op) {
      const base = args[op.msghdr] ?? 0n;
      const hdr = base === 0n ? null : await read(base, 56);
      if (!hdr) continue;
      if (op.upTo === undefined) out.push({ addr: Number(base), bytes: hdr });
      const dv = new DataView(hdr.buffer, hdr.byteOffset, 56);
      const name = dv.getBigUint64(0, true);
      const nameLen = dv.getUint32(8, true);
      const iov = dv.getBigUint64(16, true);
      const iovLen = dv.getBigUint64(24, true);
      const control = dv.getBigUint64(32, true);
      const controlLen = Number(dv.getBigUint64(40, true));
      await push(name, nameLen);
      if (op.upTo === undefined) await push(iov, Number(iovLen) * 16);
      out.push(...(await captureOperands([{ iov: 0, count: 1, ...(op.upTo ? { upTo: op.upTo } : {}) }], [iov, iovLen], result, read)));
      await push(control, controlLen);
    } else {
      const addr = args[op.fdset] ?? 0n;
      const nfds = Number(args[op.nfds] ?? 0n);
      await push(addr, Math.ceil(nfds / 64) * 8);
    }
  }
  return out;
}
