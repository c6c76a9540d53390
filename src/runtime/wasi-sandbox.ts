/**
 * The WASI filesystem sandbox: wraps node:wasi's path calls so that every path the guest names
 * resolves inside the directory descriptor it is relative to (sandbox-resolve.ts), whatever
 * symlinks and `..` it holds. node:wasi (uvwasi) keeps doing the I/O, the descriptor table and
 * the rights checks; it is only ever handed paths already resolved to real directories, so its
 * own lexical checks and its symlink handling are never what keeps the guest in. The wrapper
 * knows every directory descriptor: the preopens (fds 3, 4, ... in order), and what path_open
 * returns, moved by fd_renumber and dropped by fd_close.
 *
 * A resolved path that differs from the guest's is handed to node:wasi through guest memory: it
 * is written over the guest's own path bytes when it fits, else over bytes no argument of the
 * call uses, and every byte is put back before the call returns to the guest.
 * path_symlink is done here (node:wasi refuses every target with `..`, inside or not), and so is
 * set_times on a symlink left unfollowed.
 */
import { lstatSync, lutimesSync, realpathSync, statSync, symlinkSync } from "node:fs";
import { UsageError } from "../errors/index.js";
import { ERRNO, errnoOf, MAX_PATH_BYTES, resolveIn, symlinkTargetInside, type DirCapability, type ResolvedPath } from "./sandbox-resolve.js";
import type { DirMapping } from "../backend/index.js";

type WasiFn = (...a: Array<number | bigint>) => number;

const FIRST_PREOPEN_FD = 3;
const LOOKUP_FOLLOW = 1;
const OFLAGS_CREAT = 1;
const OFLAGS_EXCL = 4;
const FST = { ATIM: 1, ATIM_NOW: 2, MTIM: 4, MTIM_NOW: 8 } as const;

interface Span {
  addr: number;
  len: number;
}

/** A guest path argument to replace by its resolution. */
interface PathArg {
  ptrIndex: number;
  resolved: string;
}

const u32 = (a: Array<number | bigint>, i: number): number => Number(a[i]) >>> 0;

/**
 * Checks the host side of each --dir before the program starts: it must be an existing
 * directory. Returns the preopens object node:wasi takes (guest path → host path).
 */
export function checkedPreopens(dirs: readonly DirMapping[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of dirs) {
    let isDir: boolean;
    try {
      isDir = statSync(d.host).isDirectory();
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      throw new UsageError(`--dir ${d.host}: ${code === "ENOENT" ? "no such directory" : code === "EACCES" ? "permission denied" : String(code)}`, { cause });
    }
    if (!isDir) throw new UsageError(`--dir ${d.host}: not a directory`);
    out[d.guest] = d.host;
  }
  return out;
}

export class WasiSandbox {
  /** Open descriptors the guest got from the sandbox: directories as capabilities, other files as "file". */
  private readonly caps = new Map<number, DirCapability | "file">();
  private memory: WebAssembly.Memory | undefined;

  /** `preopens` in the order node:wasi numbers them (its object's key order). */
  constructor(preopens: Record<string, string>) {
    Object.values(preopens).forEach((host, i) => this.caps.set(FIRST_PREOPEN_FD + i, { root: realpathSync(host), rel: [] }));
  }

  /** The guest's memory, once instantiated: path arguments live there. */
  attach(memory: WebAssembly.Memory): void {
    this.memory = memory;
  }

  /** node:wasi's import object with every path call, fd_close and fd_renumber going through the sandbox. */
  wrap(wasiImport: NodeJS.Dict<unknown>): Record<string, WasiFn> {
    const real = { ...wasiImport } as Record<string, WasiFn>;
    const calls: Record<string, WasiFn> = { ...real };
    const call = (name: string, a: Array<number | bigint>) => real[name]!(...a);
    const guarded = (name: string, body: (a: Array<number | bigint>) => number) => {
      if (real[name]) calls[name] = (...a) => (this.memory ? body(a) : call(name, a));
    };
    guarded("path_open", (a) => {
      const r = this.resolveArg(a, 0, 2, (u32(a, 1) & LOOKUP_FOLLOW) !== 0);
      if (typeof r === "number") return r;
      if (r.last === "symlink") return (u32(a, 4) & OFLAGS_CREAT) !== 0 && (u32(a, 4) & OFLAGS_EXCL) !== 0 ? ERRNO.EXIST : ERRNO.LOOP;
      const out = u32(a, 8);
      const errno = this.callWith("path_open", call, a, [{ ptrIndex: 2, resolved: r.rel }], [{ addr: out, len: 4 }]);
      if (errno === 0) {
        const fd = new DataView(this.memory!.buffer).getUint32(out, true);
        const dir = this.caps.get(u32(a, 0)) as DirCapability;
        this.caps.set(fd, r.last === "dir" ? { root: dir.root, rel: r.fromRoot } : "file");
      }
      return errno;
    });
    guarded("path_filestat_get", (a) => this.simple("path_filestat_get", call, a, 0, 2, (u32(a, 1) & LOOKUP_FOLLOW) !== 0, [{ addr: u32(a, 4), len: 64 }]));
    guarded("path_filestat_set_times", (a) => {
      const r = this.resolveArg(a, 0, 2, (u32(a, 1) & LOOKUP_FOLLOW) !== 0);
      if (typeof r === "number") return r;
      if (r.last === "symlink") return setSymlinkTimes(r.host, BigInt(a[4]!), BigInt(a[5]!), u32(a, 6));
      return this.callWith("path_filestat_set_times", call, a, [{ ptrIndex: 2, resolved: r.rel }], []);
    });
    for (const name of ["path_create_directory", "path_remove_directory", "path_unlink_file"]) {
      guarded(name, (a) => this.simple(name, call, a, 0, 1, false, []));
    }
    guarded("path_readlink", (a) => this.simple("path_readlink", call, a, 0, 1, false, [{ addr: u32(a, 3), len: u32(a, 4) }, { addr: u32(a, 5), len: 4 }]));
    guarded("path_link", (a) => {
      const from = this.resolveArg(a, 0, 2, (u32(a, 1) & LOOKUP_FOLLOW) !== 0);
      if (typeof from === "number") return from;
      const to = this.resolveArg(a, 4, 5, false);
      if (typeof to === "number") return to;
      return this.callWith("path_link", call, a, [{ ptrIndex: 2, resolved: from.rel }, { ptrIndex: 5, resolved: to.rel }], []);
    });
    guarded("path_rename", (a) => {
      const from = this.resolveArg(a, 0, 1, false);
      if (typeof from === "number") return from;
      const to = this.resolveArg(a, 3, 4, false);
      if (typeof to === "number") return to;
      return this.callWith("path_rename", call, a, [{ ptrIndex: 1, resolved: from.rel }, { ptrIndex: 4, resolved: to.rel }], []);
    });
    guarded("path_symlink", (a) => this.symlink(a));
    guarded("fd_close", (a) => {
      const errno = call("fd_close", a);
      if (errno === 0) this.caps.delete(u32(a, 0));
      return errno;
    });
    guarded("fd_renumber", (a) => {
      const errno = call("fd_renumber", a);
      if (errno === 0) {
        const cap = this.caps.get(u32(a, 0));
        this.caps.delete(u32(a, 0));
        if (cap !== undefined) this.caps.set(u32(a, 1), cap);
        else this.caps.delete(u32(a, 1));
      }
      return errno;
    });
    return calls;
  }

  /** A call with one path (descriptor at `fdIndex`, pointer and length at `ptrIndex`, +1). */
  private simple(name: string, call: (n: string, a: Array<number | bigint>) => number, a: Array<number | bigint>, fdIndex: number, ptrIndex: number, follow: boolean, outputs: Span[]): number {
    const r = this.resolveArg(a, fdIndex, ptrIndex, follow);
    if (typeof r === "number") return r;
    return this.callWith(name, call, a, [{ ptrIndex, resolved: r.rel }], outputs);
  }

  /**
   * Resolves the path at a[ptrIndex], a[ptrIndex + 1] against descriptor a[fdIndex]. A
   * descriptor that is not a directory the sandbox knows yields ENOTDIR when it is open (stdio,
   * files) and EBADF when it is not, without reaching node:wasi.
   */
  private resolveArg(a: Array<number | bigint>, fdIndex: number, ptrIndex: number, follow: boolean): ResolvedPath | number {
    const cap = this.caps.get(u32(a, fdIndex));
    if (cap === undefined) return u32(a, fdIndex) <= 2 ? ERRNO.NOTDIR : ERRNO.BADF;
    if (cap === "file") return ERRNO.NOTDIR;
    const path = this.readPath(u32(a, ptrIndex), u32(a, ptrIndex + 1));
    if (typeof path === "number") return path;
    return resolveIn(cap, path, follow);
  }

  private readPath(ptr: number, len: number): string | number {
    const buf = this.memory!.buffer;
    if (len > MAX_PATH_BYTES) return ERRNO.NAMETOOLONG;
    if (ptr + len > buf.byteLength) return ERRNO.FAULT;
    const bytes = Buffer.from(buf, ptr, len);
    const text = bytes.toString("utf8");
    // Names that are not UTF-8 cannot be resolved faithfully through Node's string paths.
    return Buffer.byteLength(text) === len && Buffer.from(text).equals(bytes) ? text : ERRNO.ILSEQ;
  }

  /**
   * Calls node:wasi with each path argument replaced by its resolution, and puts back every
   * guest byte used for that. `outputs` are the call's result areas: they are never used.
   */
  private callWith(name: string, call: (n: string, a: Array<number | bigint>) => number, a: Array<number | bigint>, paths: PathArg[], outputs: Span[]): number {
    const mem = new Uint8Array(this.memory!.buffer);
    const args = [...a];
    const saved: Array<{ addr: number; bytes: Uint8Array }> = [];
    const taken: Span[] = [...outputs, ...paths.map((p) => ({ addr: u32(a, p.ptrIndex), len: u32(a, p.ptrIndex + 1) }))];
    for (const p of paths) {
      const want = Buffer.from(p.resolved);
      const ptr = u32(a, p.ptrIndex);
      const len = u32(a, p.ptrIndex + 1);
      if (want.length === len && want.equals(mem.subarray(ptr, ptr + len))) continue;
      const addr = want.length <= len ? ptr : freeSpan(mem.length, want.length, taken);
      if (addr < 0) return ERRNO.NAMETOOLONG;
      saved.push({ addr, bytes: mem.slice(addr, addr + want.length) });
      mem.set(want, addr);
      taken.push({ addr, len: want.length });
      args[p.ptrIndex] = addr;
      args[p.ptrIndex + 1] = want.length;
    }
    try {
      return call(name, args);
    } finally {
      // The call may not grow memory, but take the buffer afresh all the same.
      const now = new Uint8Array(this.memory!.buffer);
      for (const s of saved.reverse()) now.set(s.bytes, s.addr);
    }
  }

  private symlink(a: Array<number | bigint>): number {
    const target = this.readPath(u32(a, 0), u32(a, 1));
    if (typeof target === "number") return target;
    const link = this.resolveArg(a, 2, 3, false);
    if (typeof link === "number") return link;
    if (link.last !== "absent") return ERRNO.EXIST;
    const cap = this.caps.get(u32(a, 2)) as DirCapability;
    if (!symlinkTargetInside(link.fromRoot, cap.rel.length, target)) return ERRNO.NOTCAPABLE;
    // Lexically inside, the target may still name a symlink that leads out (`x -> out`, where
    // `out -> ../elsewhere`): resolved now from the link's folder, a way out is refused too. A
    // target that does not exist (yet) or loops is created, as a kernel would: following it
    // later is checked again.
    const fromCap = [...link.fromRoot.slice(cap.rel.length, -1), target].join("/");
    if (resolveIn(cap, fromCap, true) === ERRNO.NOTCAPABLE) return ERRNO.NOTCAPABLE;
    try {
      symlinkSync(target, link.host);
      return 0;
    } catch (error) {
      return errnoOf(error);
    }
  }
}

/**
 * An address for `len` bytes inside memory that overlaps none of `taken`, or -1. It keeps a
 * page clear of memory's end: uvwasi's path code reads past the length it is given, and a read
 * beyond the last page is a segmentation fault in the host, not a trap.
 */
function freeSpan(memLen: number, len: number, taken: readonly Span[]): number {
  const overlaps = (addr: number) => taken.some((t) => addr < t.addr + t.len && t.addr < addr + len);
  for (let addr = memLen - len - 4096; addr >= 0; addr -= 4096) if (!overlaps(addr)) return addr;
  return -1;
}

/** path_filestat_set_times on a symlink itself (lookup without follow), as the kernel's lutimes does. */
function setSymlinkTimes(host: string, atimNs: bigint, mtimNs: bigint, flags: number): number {
  if ((flags & FST.ATIM && flags & FST.ATIM_NOW) || (flags & FST.MTIM && flags & FST.MTIM_NOW)) return ERRNO.INVAL;
  try {
    const st = lstatSync(host, { bigint: true });
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const pick = (set: number, now: number, given: bigint, old: bigint) => (flags & set ? given : flags & now ? nowNs : old);
    const atim = pick(FST.ATIM, FST.ATIM_NOW, atimNs, st.atimeNs);
    const mtim = pick(FST.MTIM, FST.MTIM_NOW, mtimNs, st.mtimeNs);
    lutimesSync(host, Number(atim) / 1e9, Number(mtim) / 1e9);
    return 0;
  } catch (error) {
    return errnoOf(error);
  }
}
