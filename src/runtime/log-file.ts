/**
 * Writes an effect log the safe way: to a temporary file beside the target, renamed over the
 * target only when complete. Opening happens before the guest runs, so an unwritable path fails
 * early; abort() removes the temporary file, so no half-written log is ever left behind.
 */
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { EnvironmentError } from "../errors/index.js";

export class LogFile {
  private fd: number | undefined;
  readonly tempPath: string;
  bytesWritten = 0;

  constructor(readonly path: string) {
    this.tempPath = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
    try {
      this.fd = openSync(this.tempPath, "w", 0o644);
    } catch (cause) {
      const why = (cause as NodeJS.ErrnoException).code ?? "error";
      throw new EnvironmentError(`cannot write log ${path}: ${why}`, { cause });
    }
  }

  write(bytes: Uint8Array): void {
    if (this.fd === undefined || bytes.length === 0) return;
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
    this.bytesWritten += bytes.length;
  }

  /** Closes and renames the temporary file onto `path`. */
  commit(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    renameSync(this.tempPath, this.path);
  }

  /** Closes and deletes the temporary file; safe to call more than once. */
  abort(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    try {
      unlinkSync(this.tempPath);
    } catch {
      // already gone
    }
  }
}
