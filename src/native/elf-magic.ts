/**
 * Whether bytes are an ELF file: the one definition of the magic test, kept apart from elf.ts
 * (which loads elfy) so the CLI can tell a native program from a Wasm module at no start-up cost.
 */

/** First four bytes of every ELF file. */
export const ELF_MAGIC = new Uint8Array([0x7f, 0x45, 0x4c, 0x46]);

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ELF_MAGIC.every((b, i) => bytes[i] === b);
}
