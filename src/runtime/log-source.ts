/**
 * An effect log read from its file block by block (the decoder's LogSource), so that a replay
 * holds one block of the log at a time whatever the log's size: a disabled run of a 600 MB log
 * does not load 600 MB. Every read is a fresh array (a block being decoded is never overwritten
 * by the next read); the decoder checks each block's CRC again when the replay reads it, so a
 * file changed after it was opened is refused, not replayed.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { LogSource } from "../log/index.js";

export class FileLogSource implements LogSource {
  readonly size: number;
  private fd: number | undefined;

  /** Opens `path`; throws the fs error (the caller words it). */
  constructor(path: string) {
    this.fd = openSync(path, "r");
    try {
      const st = fstatSync(this.fd);
      if (st.isDirectory()) throw Object.assign(new Error(`${path} is a directory`), { code: "EISDIR" });
      this.size = st.size;
    } catch (e) {
      this.close();
      throw e;
    }
  }

  read(offset: number, length: number): Uint8Array {
    if (this.fd === undefined) throw new RangeError("log source: read after close");
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, out, done, length - done, offset + done);
      if (n === 0) break; // the file shrank: the decoder reports the short block
      done += n;
    }
    return done === length ? out : out.subarray(0, done);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
