/**
 * Writes an effect log the safe way: to a temporary file beside the target, renamed over the
 * target only when complete and closed by its MAC block (src/log/mac.ts). The target is checked
 * before the guest runs (a directory, or a folder that cannot be written, fails at once); a
 * failed write (a full disk) removes the temporary file and says so; abort() removes it too. A
 * sentinel process (/bin/sh, in its own session) removes the temporary file if alpaca dies
 * before either: a Wasm guest runs on the main thread, so no JavaScript signal handler can run
 * during it, and Ctrl-C or SIGTERM must still leave nothing behind. An existing log at the
 * target is kept until the new one replaces it.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { EnvironmentError, fileErrorReason, UsageError } from "../errors/index.js";
import { encodeMacBlock, logMac } from "../log/index.js";

/** Refuses a --log path that cannot hold a log: a directory. */
function checkTarget(path: string): void {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // absent (the usual case) or unreadable: opening the temporary file says what is wrong
  }
  if (isDir) throw new UsageError(`--log ${path}: is a directory`);
}

/** Removes `path` once this process has exited, however it exits; nothing if it is gone by then. */
function removeAfterExit(path: string): void {
  const sentinel = spawn("/bin/sh", ["-c", 'while read -r _; do :; done; rm -f -- "$1"', "alpaca-log-sentinel", path], {
    stdio: ["pipe", "ignore", "ignore"],
    detached: true,
  });
  sentinel.on("error", () => undefined);
  sentinel.unref();
  // The pipe stays open, unreferenced, until this process ends: then the sentinel reads EOF.
  (sentinel.stdin as unknown as { unref?: () => void }).unref?.();
}

export class LogFile {
  private fd: number | undefined;
  readonly tempPath: string;
  bytesWritten = 0;
  private readonly mac: ReturnType<typeof logMac>;

  /** `key`: the user's log key (src/log/user-key.ts), for the MAC. */
  constructor(readonly path: string, key: Uint8Array) {
    checkTarget(path);
    this.tempPath = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
    try {
      this.fd = openSync(this.tempPath, "w", 0o644);
    } catch (cause) {
      throw new EnvironmentError(`cannot write log ${path}: ${fileErrorReason(cause, "no such directory")}`, { cause });
    }
    this.mac = logMac(key);
    removeAfterExit(this.tempPath);
  }

  write(bytes: Uint8Array): void {
    if (this.fd === undefined || bytes.length === 0) return;
    this.mac.update(bytes);
    this.writeRaw(bytes);
  }

  private writeRaw(bytes: Uint8Array): void {
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(this.fd!, bytes, off, bytes.length - off);
    } catch (cause) {
      this.abort();
      throw new EnvironmentError(`cannot write log ${this.path}: ${fileErrorReason(cause)}; ${this.keptWords()}`, { cause });
    }
    this.bytesWritten += bytes.length;
  }

  /** Appends the MAC block, closes, and renames the temporary file onto `path`. */
  commit(): void {
    if (this.fd === undefined) return;
    this.writeRaw(encodeMacBlock(this.mac.digest()));
    try {
      closeSync(this.fd);
      this.fd = undefined;
      renameSync(this.tempPath, this.path);
    } catch (cause) {
      this.abort();
      throw new EnvironmentError(`cannot write log ${this.path}: ${fileErrorReason(cause)}; ${this.keptWords()}`, { cause });
    }
  }

  /** What a failed write leaves at the target, in words. */
  private keptWords(): string {
    return existsSync(this.path) ? "the previous log is kept" : "no partial log was kept";
  }

  /** Closes and deletes the temporary file; safe to call more than once. */
  abort(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // closing a file on a full disk may fail too; it is removed below all the same
      }
      this.fd = undefined;
    }
    try {
      unlinkSync(this.tempPath);
    } catch {
      // already gone
    }
  }
}
