/**
 * Whether a program is an ELF file (the native backend's) or not (a Wasm module): the one
 * definition of the magic test. Kept apart from src/native/elf.ts, which loads elfy, so the CLI
 * and its launcher can tell the backends apart at no start-up cost.
 */
import { closeSync, openSync, readSync } from "node:fs";

/** First four bytes of every ELF file. */
export const ELF_MAGIC = new Uint8Array([0x7f, 0x45, 0x4c, 0x46]);

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ELF_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Whether the file at `path` starts with the ELF magic. A file that cannot be read is not one:
 * the backend that then opens it reports why in its own words.
 */
export function isElfFile(path: string): boolean {
  const head = new Uint8Array(4);
  try {
    const fd = openSync(path, "r");
    try {
      readSync(fd, head, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
  return isElf(head);
}
