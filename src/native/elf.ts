/**
 * ELF lookup for the native backend: `elfy` parses the headers and sections; this module checks
 * that the file is an x86-64 Linux executable and reads function symbols from `.symtab`, else
 * `.dynsym` (Elf64_Sym: name u32, info u8, other u8, shndx u16, value u64, size u64). Pure.
 */
import { createRequire } from "node:module";
import { DecodeError, UsageError } from "../errors/index.js";
import { resolveFunctionName } from "../names/resolve-name.js";
import { isElf } from "../backend/program-kind.js";

interface ElfySection {
  name: string;
  type: string | number;
  addr: number;
  link: number;
  data: Uint8Array;
}
interface ElfyFile {
  class: string;
  endian: string;
  type: string;
  machine: string;
  entry: number;
  body: { sections: ElfySection[]; programs: Array<{ type: string | number }> };
}

const require = createRequire(import.meta.url);
const elfy = require("elfy") as { parse(buf: Buffer): ElfyFile };

export { ELF_MAGIC, isElf } from "../backend/program-kind.js";

export interface ElfSymbol {
  name: string;
  /** st_value: the link-time address (add the load base for a PIE). */
  value: bigint;
  sizeBytes: number;
  /** Position in the symbol table it came from. */
  index: number;
}

export interface ElfInfo {
  /** "exec": fixed addresses; "dyn": position independent (PIE or static-pie). */
  kind: "exec" | "dyn";
  /** e_entry: the link-time entry point; AT_ENTRY minus this is the load base of a PIE. */
  entry: bigint;
  /** Which table the functions came from. */
  symbolTable: ".symtab" | ".dynsym";
  /** Defined functions (STT_FUNC, STT_GNU_IFUNC excluded) in table order. */
  functions: ElfSymbol[];
}

const STT_FUNC = 2;
const SHN_UNDEF = 0;
const DT_NULL = 0n;
const DT_FLAGS_1 = 0x6ffffffbn;
const DF_1_PIE = 0x08000000n;

/** DT_FLAGS_1 from the .dynamic section (Elf64_Dyn: tag i64, value u64), 0 when absent. */
function dynamicFlags1(sections: readonly ElfySection[]): bigint {
  const dyn = sections.find((s) => s.name === ".dynamic");
  if (!dyn) return 0n;
  const dv = new DataView(dyn.data.buffer, dyn.data.byteOffset, dyn.data.byteLength);
  for (let off = 0; off + 16 <= dyn.data.length; off += 16) {
    const tag = dv.getBigInt64(off, true);
    if (tag === DT_NULL) break;
    if (tag === DT_FLAGS_1) return dv.getBigUint64(off + 8, true);
  }
  return 0n;
}

/**
 * Why a position-independent ELF file is not a program to run, or null when it is one: a PIE
 * has an interpreter (PT_INTERP) or, static-pie, DF_1_PIE; a shared library has neither.
 */
function notAnExecutable(f: ElfyFile): string | null {
  const isPie = f.body.programs.some((p) => p.type === "interp") || (dynamicFlags1(f.body.sections) & DF_1_PIE) !== 0n;
  if (f.type === "dyn" && !isPie) return "it is a shared library, not an executable (no program interpreter, not marked PIE)";
  if (f.entry === 0) return "it has no entry point";
  return null;
}

function readSymbols(table: ElfySection, strtab: ElfySection): ElfSymbol[] {
  const data = table.data;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const strs = strtab.data;
  const out: ElfSymbol[] = [];
  for (let i = 0, off = 0; off + 24 <= data.length; i++, off += 24) {
    const nameOff = dv.getUint32(off, true);
    const info = dv.getUint8(off + 4);
    const shndx = dv.getUint16(off + 6, true);
    const value = dv.getBigUint64(off + 8, true);
    const size = dv.getBigUint64(off + 16, true);
    if ((info & 0xf) !== STT_FUNC || shndx === SHN_UNDEF || value === 0n) continue;
    let end = nameOff;
    while (end < strs.length && strs[end] !== 0) end++;
    const name = Buffer.from(strs.subarray(nameOff, end)).toString("utf8");
    if (name === "") continue;
    out.push({ name, value, sizeBytes: Number(size), index: i });
  }
  return out;
}

/**
 * Parses and checks an executable. Throws UsageError for a file that is not an x86-64 Linux
 * executable (saying what it is instead) and DecodeError for a malformed one.
 */
export function readElf(bytes: Uint8Array, path: string): ElfInfo {
  if (!isElf(bytes)) throw new UsageError(`${path}: not an ELF file`);
  let f: ElfyFile;
  try {
    f = elfy.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new DecodeError(`${path}: malformed ELF file (${e instanceof Error ? e.message : String(e)})`, 0, { cause: e });
  }
  if (f.class !== "64" || f.machine !== "amd64") {
    throw new UsageError(`${path}: wrong architecture: ${f.class}-bit ${f.machine} ELF; the native backend runs x86-64 programs`);
  }
  if (f.endian !== "lsb") throw new UsageError(`${path}: big-endian ELF; the native backend runs x86-64 programs`);
  if (f.type !== "exec" && f.type !== "dyn") {
    throw new UsageError(`${path}: ELF type ${f.type} is not an executable (relocatable object or core file?)`);
  }
  const why = notAnExecutable(f);
  if (why) throw new UsageError(`${path}: cannot run this ELF file as PROGRAM: ${why}`);
  const sections = f.body.sections;
  let symbolTable: ".symtab" | ".dynsym" = ".symtab";
  let table = sections.find((s) => s.type === "symtab");
  if (!table) {
    table = sections.find((s) => s.type === "dynsym");
    symbolTable = ".dynsym";
  }
  const strtab = table ? sections[table.link] : undefined;
  const functions = table && strtab ? readSymbols(table, strtab) : [];
  return { kind: f.type, entry: BigInt(f.entry), symbolTable, functions };
}

/** A function's code, from the section that holds it (null when no section does). */
export function functionCode(bytes: Uint8Array, sym: ElfSymbol): Uint8Array | null {
  const f = elfy.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const at = Number(sym.value);
  const s = f.body.sections.find((x) => x.type !== "nobits" && x.addr <= at && at + sym.sizeBytes <= x.addr + x.data.length && x.addr !== 0);
  return s ? s.data.slice(at - s.addr, at - s.addr + sym.sizeBytes) : null;
}

/** F's symbol; UsageError when the binary is stripped or has no such function. */
export function findFunction(elf: ElfInfo, name: string, path: string): ElfSymbol {
  const exact = elf.functions.find((s) => s.name === name);
  if (exact) return exact;
  // As users type it (src/names/resolve-name.ts): demangled, a ::-suffix, #ADDRESS.
  if (elf.functions.length > 0 && elf.symbolTable !== ".dynsym") {
    return resolveFunctionName(name, elf.functions.map((sym) => ({ index: Number(sym.value), name: sym.name, sym })), path).sym;
  }
  if (elf.symbolTable === ".dynsym") {
    throw new UsageError(`${path}: no symbol table (stripped binary): cannot find function ${name}`, {
      hint: "rebuild without -s / strip, or keep the symbol table",
    });
  }
  throw new UsageError(`${path}: no function named ${name} in ${elf.symbolTable}`);
}
