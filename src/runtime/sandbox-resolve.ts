/**
 * Path resolution for the WASI sandbox (wasi-sandbox.ts): turns a guest path, relative to a
 * directory capability, into a path under that directory made only of real directories, the way
 * a capability-based runtime resolves it. `..` is taken component by component and may not
 * leave the capability's directory; symlinks are read here and followed only where the call
 * asks (always for a component that is not the last), and only while their targets stay inside;
 * absolute paths and absolute symlink targets are refused. The host filesystem is read with
 * lstat and readlink only. Results are WASI errno values, never exceptions.
 */
import { lstatSync, readlinkSync, type Stats } from "node:fs";
import { join } from "node:path";

/** WASI preview1 errno values used by the sandbox. */
export const ERRNO = {
  ACCES: 2, BADF: 8, EXIST: 20, FAULT: 21, ILSEQ: 25, INVAL: 28, IO: 29, ISDIR: 31, LOOP: 32, NAMETOOLONG: 37, NOENT: 44,
  NOSPC: 51, NOTDIR: 54, NOTEMPTY: 55, PERM: 63, ROFS: 69, XDEV: 75, NOTCAPABLE: 76,
} as const;

/** The most symlinks one resolution follows (Linux's limit), then ELOOP. */
const MAX_SYMLINKS = 40;
/** Longest guest path accepted (PATH_MAX). */
export const MAX_PATH_BYTES = 4096;

/**
 * A directory the guest holds a descriptor for: a preopen's real host path, and the components
 * from there to this directory (none for the preopen itself).
 */
export interface DirCapability {
  root: string;
  rel: readonly string[];
}

export interface ResolvedPath {
  /** The path relative to the capability's directory, with no symlink, `.` or `..` in it ("." for itself). */
  rel: string;
  /** The same place on the host. */
  host: string;
  /** Components from the preopen's root: the capability of a directory opened here. */
  fromRoot: string[];
  /** What is at the last component now: absent, a directory, a symlink left unfollowed, or another file. */
  last: "absent" | "dir" | "symlink" | "other";
}

/** Node error codes and the WASI errno each becomes; anything else is EIO. */
const ERRNO_OF_CODE: Readonly<Record<string, number>> = {
  ENOENT: ERRNO.NOENT, ENOTDIR: ERRNO.NOTDIR, EEXIST: ERRNO.EXIST, EACCES: ERRNO.ACCES, EPERM: ERRNO.PERM, EISDIR: ERRNO.ISDIR,
  ELOOP: ERRNO.LOOP, ENAMETOOLONG: ERRNO.NAMETOOLONG, ENOSPC: ERRNO.NOSPC, EROFS: ERRNO.ROFS, EXDEV: ERRNO.XDEV, EINVAL: ERRNO.INVAL,
};

/** A Node error's code as a WASI errno. */
export function errnoOf(error: unknown): number {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (code !== undefined ? ERRNO_OF_CODE[code] : undefined) ?? ERRNO.IO;
}

function lstat(path: string): Stats | number {
  try {
    return lstatSync(path);
  } catch (error) {
    return errnoOf(error);
  }
}

/**
 * Resolves `path` inside `cap`. `followLast` follows a symlink in the last component (the
 * call's LOOKUPFLAGS_SYMLINK_FOLLOW); a trailing slash follows it too. Returns an errno when
 * the path is refused or cannot be resolved: NOTCAPABLE for any way out, LOOP, NOENT, NOTDIR.
 */
export function resolveIn(cap: DirCapability, path: string, followLast: boolean): ResolvedPath | number {
  if (path === "") return ERRNO.NOENT;
  if (path.includes("\0")) return ERRNO.INVAL;
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) return ERRNO.NAMETOOLONG;
  if (path.startsWith("/")) return ERRNO.NOTCAPABLE;
  // The descriptor's own directory must still be where it was opened, reached through real
  // directories only: a guest that renamed it and put a symlink in its place gets nothing.
  for (let i = 1; i <= cap.rel.length; i++) {
    const st = lstat(join(cap.root, ...cap.rel.slice(0, i)));
    if (typeof st === "number" || !st.isDirectory()) return ERRNO.NOENT;
  }
  const floor = cap.rel.length;
  const stack = [...cap.rel];
  const trailingSlash = path.endsWith("/");
  // Components still to walk, the next one last.
  const pending = path.split("/").filter((c) => c !== "").reverse();
  let last: ResolvedPath["last"] = "dir";
  let symlinks = 0;
  while (pending.length > 0) {
    const c = pending.pop()!;
    const isLast = pending.length === 0;
    if (c === ".") {
      last = "dir";
      continue;
    }
    if (c === "..") {
      if (stack.length <= floor) return ERRNO.NOTCAPABLE;
      stack.pop();
      last = "dir";
      continue;
    }
    const host = join(cap.root, ...stack, c);
    const st = lstat(host);
    if (typeof st === "number") {
      if (st === ERRNO.NOENT && isLast) {
        stack.push(c);
        last = "absent";
        break;
      }
      return st;
    }
    if (st.isSymbolicLink() && (!isLast || followLast || trailingSlash)) {
      if (++symlinks > MAX_SYMLINKS) return ERRNO.LOOP;
      let target: string;
      try {
        target = readlinkSync(host, "utf8");
      } catch (error) {
        return errnoOf(error);
      }
      if (target.startsWith("/")) return ERRNO.NOTCAPABLE;
      if (target === "") return ERRNO.NOENT;
      pending.push(...target.split("/").filter((t) => t !== "").reverse());
      continue;
    }
    if (!isLast && !st.isDirectory()) return ERRNO.NOTDIR;
    stack.push(c);
    last = st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "other";
  }
  if (trailingSlash && last === "other") return ERRNO.NOTDIR;
  const rel = stack.slice(floor);
  return { rel: rel.length > 0 ? rel.join("/") : ".", host: join(cap.root, ...stack), fromRoot: stack, last };
}

/**
 * Whether a symlink at `linkFromRoot` (components from the capability's root, the link's own
 * name last) with this target would resolve inside the capability: relative, and never `..`
 * above `floor` components, taken lexically from the link's directory.
 */
export function symlinkTargetInside(linkFromRoot: readonly string[], floor: number, target: string): boolean {
  if (target === "" || target.startsWith("/") || target.includes("\0")) return false;
  let depth = linkFromRoot.length - 1;
  for (const c of target.split("/")) {
    if (c === "" || c === ".") continue;
    if (c === "..") {
      if (depth <= floor) return false;
      depth--;
    } else {
      depth++;
    }
  }
  return true;
}
