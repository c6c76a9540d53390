/**
 * Instruction decoding for the analyzer: capstone-wasm disassembles (Intel syntax) and
 * `classifyInstruction` turns each instruction into a decode record saying what memory it
 * writes, in terms the helper can evaluate with the registers of the moment (segment, base,
 * index, scale, displacement, size). The helper caches records by address, so every address
 * is decoded once per run.
 *
 * Rules (Intel syntax puts the destination first):
 * - a memory first operand is written, unless the mnemonic only reads it (cmp, test, bt, nop,
 *   prefetch*, x87 loads, ...);
 * - implicit stack stores (push, call, pushf, enter) write just below rsp; `pop [mem]` forms its
 *   address after rsp moved;
 * - string stores (stos, movs, ins) write at [rdi], times rcx with a rep prefix, in DF's
 *   direction; cmps/scas/lods/outs write nothing;
 * - bts/btr/btc with a register bit offset address memory relative to the signed offset;
 * - xsave/xsaveopt/xsavec write the XSAVE area for the features in EDX:EAX (the helper works out
 *   the extent from XCR0 and CPUID leaf 0xD; xsaves is kernel-only), fxsave 512 bytes,
 *   fnsave 108, fnstenv 28; maskmovdqu/maskmovq write at [rdi]; movdir64b at the register in
 *   its first operand;
 * - a store whose address the helper cannot form (VSIB scatter, a first operand of unknown
 *   size, `int 0x80`/sysenter, undecodable bytes) is K.UNSUPPORTED: the analysis stops with
 *   a clear error instead of missing a write.
 */
import { Capstone, Const, loadCapstone } from "capstone-wasm";
import { F, K, RID_NONE, RID_RIP, SEG, USER_REGS, type DecodeRecord } from "./protocol.js";

const REG64 = new Map<string, number>(USER_REGS.map((r, i) => [r, i]));
/** 32-bit, 16-bit and 8-bit register names -> the 64-bit register's id. */
const SUBREG = new Map<string, number>();
{
  const legacy: Array<[string, string, string, string]> = [
    ["rax", "eax", "ax", "al"], ["rcx", "ecx", "cx", "cl"], ["rdx", "edx", "dx", "dl"], ["rbx", "ebx", "bx", "bl"],
    ["rsp", "esp", "sp", "spl"], ["rbp", "ebp", "bp", "bpl"], ["rsi", "esi", "si", "sil"], ["rdi", "edi", "di", "dil"],
  ];
  for (const [r64, r32, r16, r8] of legacy) {
    const id = REG64.get(r64)!;
    SUBREG.set(r32, id).set(r16, id).set(r8, id);
  }
  for (let n = 8; n <= 15; n++) {
    const id = REG64.get(`r${n}`)!;
    SUBREG.set(`r${n}d`, id).set(`r${n}w`, id).set(`r${n}b`, id);
  }
}

const PTR_SIZES: Record<string, number> = {
  byte: 1, word: 2, dword: 4, fword: 6, qword: 8, tbyte: 10, xword: 10, xmmword: 16, oword: 16, ymmword: 32, zmmword: 64,
};

/** A parsed memory operand. */
export interface MemOperand {
  /** From "<size> ptr"; undefined when the operand has no size (xsave, fxsave). */
  size: number | undefined;
  seg: number;
  base: number;
  index: number;
  scale: number;
  disp: bigint;
  addr32: boolean;
  /** The index is a vector register (VSIB: gathers and scatters). */
  vsib: boolean;
}

const MEM_RE = /^(?:(\w+) )?(?:ptr )?(?:([cdefgs]s):)?\[([^\]]*)\]/;

/** Parses one Intel-syntax operand; null when it is not a memory operand. */
export function parseMemOperand(text: string): MemOperand | null {
  const m = MEM_RE.exec(text.trim());
  if (!m) return null;
  let sizeWord = m[1];
  if (sizeWord === "ptr") sizeWord = undefined;
  const size = sizeWord === undefined ? undefined : PTR_SIZES[sizeWord];
  if (sizeWord !== undefined && size === undefined) return null;
  const seg = m[2] === "fs" ? SEG.FS : m[2] === "gs" ? SEG.GS : SEG.NONE;
  const mem: MemOperand = { size, seg, base: RID_NONE, index: RID_NONE, scale: 1, disp: 0n, addr32: false, vsib: false };
  const inner = m[3]!.replace(/\s+/g, "");
  for (const term of inner.match(/[+-]?[^+-]+/g) ?? []) {
    const neg = term.startsWith("-");
    const body = term.replace(/^[+-]/, "");
    if (/^(0x[0-9a-f]+|\d+)$/i.test(body)) {
      const v = BigInt(body);
      mem.disp += neg ? -v : v;
      continue;
    }
    const [reg, scaleText] = body.split("*");
    const scale = scaleText === undefined ? 1 : Number(scaleText);
    if (reg === undefined) return null;
    if (/^[xyz]mm\d+$/.test(reg)) {
      mem.vsib = true;
      mem.scale = scale;
      continue;
    }
    let id: number;
    if (reg === "rip") id = RID_RIP;
    else if (reg === "eip") {
      id = RID_RIP;
      mem.addr32 = true;
    } else if (REG64.has(reg)) id = REG64.get(reg)!;
    else if (SUBREG.has(reg)) {
      id = SUBREG.get(reg)!;
      mem.addr32 = true;
    } else return null;
    if (scaleText !== undefined || mem.base !== RID_NONE) {
      mem.index = id;
      mem.scale = scale;
    } else {
      mem.base = id;
    }
  }
  mem.disp = BigInt.asIntN(64, mem.disp);
  return mem;
}

/** Splits an operand string at top-level commas. */
export function splitOperands(opStr: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of opStr) {
    if (ch === "[" || ch === "{") depth++;
    if (ch === "]" || ch === "}") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur.trim());
      cur = "";
    } else {
      cur += ch;
    }
  }
  if (cur.trim() !== "") out.push(cur.trim());
  return out;
}

const PREFIXES = new Set(["rep", "repe", "repz", "repne", "repnz", "lock", "notrack", "bnd", "xacquire", "xrelease", "data16"]);

/** Mnemonics whose memory first operand is only read. */
const READS_FIRST = new Set([
  "cmp", "test", "bt", "nop", "bound", "verr", "verw", "lgdt", "lidt", "lldt", "ltr", "lmsw", "invlpg", "invlpga",
  "ldmxcsr", "vldmxcsr", "ptwrite", "jmp", "ljmp", "lcall", "clflush", "clflushopt", "clwb", "cldemote",
  "prefetch", "prefetchw", "prefetchwt1", "prefetchnta", "prefetcht0", "prefetcht1", "prefetcht2", "prefetchit0",
  "prefetchit1", "xrstor", "xrstor64", "xrstors", "xrstors64", "vmptrld", "vmclear", "invept", "invvpid", "invpcid",
  "cmpsb", "cmpsw", "cmpsd", "cmpsq", "vpbroadcastmb2q",
]);

/** x87 mnemonics that store to memory (every other f* mnemonic only reads memory). */
const X87_STORES = new Map<string, number | undefined>([
  ["fst", undefined], ["fstp", undefined], ["fist", undefined], ["fistp", undefined], ["fisttp", undefined],
  ["fbstp", 10], ["fnstcw", 2], ["fstcw", 2], ["fnstsw", 2], ["fstsw", 2], ["fnstenv", 28], ["fstenv", 28],
  ["fnsave", 108], ["fsave", 108], ["fxsave", 512], ["fxsave64", 512],
]);

/** XSAVE-family stores: standard format, compacted format (xsaves is kernel-only). */
const XSAVE_STANDARD = new Set(["xsave", "xsave64", "xsaveopt", "xsaveopt64"]);
const XSAVE_COMPACTED = new Set(["xsavec", "xsavec64"]);

/** Sizes of stores whose operand capstone prints without a size. */
const SIZE_OVERRIDES = new Map<string, number>([
  ["sgdt", 10], ["sidt", 10], ["sldt", 2], ["str", 2], ["smsw", 2], ["stmxcsr", 4], ["vstmxcsr", 4],
]);

const STRING_STORES = /^(stos|movs|ins)[bwdq]$/;

function blank(addr: bigint, len: number): DecodeRecord {
  return { addr, len, kind: K.NONE, size: 0, disp: 0n, seg: SEG.NONE, base: RID_NONE, index: RID_NONE, scale: 1, flags: 0, bitreg: RID_NONE };
}

function unsupported(addr: bigint, len: number): DecodeRecord {
  return { ...blank(addr, len), kind: K.UNSUPPORTED };
}

function memRecord(addr: bigint, len: number, mem: MemOperand, size: number, flags = 0): DecodeRecord {
  return {
    ...blank(addr, len),
    kind: K.MEM,
    size,
    disp: mem.disp,
    seg: mem.seg,
    base: mem.base,
    index: mem.index,
    scale: mem.scale,
    flags: flags | (mem.addr32 ? F.ADDR32 : 0),
  };
}

function regSize(name: string): number | undefined {
  if (REG64.has(name)) return 8;
  if (/^(e[a-z]{2}|r\d+d)$/.test(name)) return 4;
  if (/^([a-d]x|[sd]i|[sb]p|r\d+w)$/.test(name)) return 2;
  return undefined;
}

/**
 * What the instruction `mnemonic opStr` of `len` bytes at `addr` writes. Pure; the whole
 * analysis depends on it, so every rule is covered in decode.test.ts.
 */
export function classifyInstruction(addr: bigint, len: number, mnemonic: string, opStr: string): DecodeRecord {
  const words = mnemonic.trim().split(/\s+/);
  let rep = false;
  while (words.length > 1 && PREFIXES.has(words[0]!)) {
    const p = words.shift()!;
    if (p.startsWith("rep")) rep = true;
  }
  const m = words.join(" ");
  const ops = splitOperands(opStr);
  const op0 = ops[0] ?? "";
  const mem0 = parseMemOperand(op0);

  if (m === "syscall") return { ...blank(addr, len), kind: K.SYSCALL };
  if (m === "sysenter" || (m === "int" && /^0x80$/.test(op0))) return unsupported(addr, len);

  // Implicit stack stores.
  if (m === "push" || m === "pushw") {
    const reg = regSize(op0);
    const size = mem0?.size ?? reg ?? (m === "pushw" ? 2 : 8);
    return { ...blank(addr, len), kind: K.PUSH, size };
  }
  if (m === "pushfq" || m === "pushf") return { ...blank(addr, len), kind: K.PUSH, size: m === "pushf" ? 2 : 8 };
  if (m === "call") return { ...blank(addr, len), kind: K.PUSH, size: 8 };
  if (m === "enter") {
    const level = Number(ops[1] ?? "0") & 31;
    return { ...blank(addr, len), kind: K.PUSH, size: 8 * (1 + level) };
  }
  if (m === "pop" || m === "popw") {
    if (!mem0) return blank(addr, len);
    return memRecord(addr, len, mem0, mem0.size ?? 8, F.POP);
  }

  // Stores whose address is not in the operand text.
  if (m === "maskmovdqu" || m === "vmaskmovdqu" || m === "maskmovq") {
    const rdi = parseMemOperand("[rdi]")!;
    return memRecord(addr, len, rdi, m === "maskmovq" ? 8 : 16);
  }
  if (m === "movdir64b") {
    const dest = parseMemOperand(`[${op0}]`);
    return dest ? memRecord(addr, len, dest, 64) : unsupported(addr, len);
  }
  if (m === "clzero") return unsupported(addr, len);

  // String stores.
  if (STRING_STORES.test(m) && mem0) {
    return memRecord(addr, len, mem0, mem0.size ?? 1, rep ? F.REP : 0);
  }

  // Exchanges: either operand may be the memory one.
  if (m === "xchg" || m === "xadd" || m.startsWith("cmpxchg")) {
    for (const op of ops) {
      const mem = parseMemOperand(op);
      if (mem) return mem.size === undefined ? unsupported(addr, len) : memRecord(addr, len, mem, mem.size);
    }
    return blank(addr, len);
  }

  if (!mem0) return blank(addr, len);
  if (READS_FIRST.has(m)) return blank(addr, len);
  if (m.startsWith("prefetch")) return blank(addr, len);

  if (m.startsWith("f")) {
    if (!X87_STORES.has(m)) return blank(addr, len);
    const size = X87_STORES.get(m) ?? mem0.size;
    return size === undefined ? unsupported(addr, len) : memRecord(addr, len, mem0, size);
  }
  if (XSAVE_STANDARD.has(m)) return memRecord(addr, len, mem0, 0, F.XSAVE);
  if (XSAVE_COMPACTED.has(m)) return memRecord(addr, len, mem0, 0, F.XSAVEC);

  if (mem0.vsib) return unsupported(addr, len);

  if ((m === "bts" || m === "btr" || m === "btc") && ops[1] !== undefined) {
    const bitreg = REG64.get(ops[1]) ?? SUBREG.get(ops[1]);
    const size = mem0.size;
    if (size === undefined) return unsupported(addr, len);
    if (bitreg !== undefined) return { ...memRecord(addr, len, mem0, size), kind: K.BTMEM, bitreg };
    return memRecord(addr, len, mem0, size);
  }

  const size = mem0.size ?? SIZE_OVERRIDES.get(m);
  if (size === undefined) return unsupported(addr, len);
  return memRecord(addr, len, mem0, size);
}

/** The text of a decoded instruction, kept for error messages. */
export interface DecodedText {
  addr: bigint;
  text: string;
  bytes: Uint8Array;
}

let loaded: Promise<void> | undefined;

/** Decodes windows of x86-64 code into records; one instance per run. */
export class Decoder {
  private readonly texts = new Map<bigint, DecodedText>();
  /** Instructions decoded so far (each address once: the helper caches the records). */
  decodedCount = 0;

  private constructor(private readonly cs: Capstone) {}

  static async create(): Promise<Decoder> {
    loaded ??= loadCapstone();
    await loaded;
    return new Decoder(new Capstone(Const.CS_ARCH_X86, Const.CS_MODE_64));
  }

  /**
   * Records for the instructions in `code` (read at `addr`), decoded linearly. An instruction
   * that starts within 15 bytes of a full window's end is left for a later window, since its
   * bytes may be cut. If nothing decodes, one K.UNSUPPORTED record for `addr` comes back.
   */
  decodeWindow(addr: bigint, code: Uint8Array, fullWindow = 64): DecodeRecord[] {
    let insns: ReturnType<Capstone["disasm"]> = [];
    try {
      insns = this.cs.disasm(code, { address: addr });
    } catch {
      insns = [];
    }
    const out: DecodeRecord[] = [];
    const truncated = code.length >= fullWindow;
    for (const insn of insns) {
      const at = BigInt(insn.address);
      const offset = Number(at - addr);
      if (out.length > 0 && truncated && offset + 15 > code.length) break;
      this.texts.set(at, { addr: at, text: `${insn.mnemonic} ${insn.opStr}`.trim(), bytes: insn.bytes.slice() });
      out.push(classifyInstruction(at, insn.size, insn.mnemonic, insn.opStr));
      this.decodedCount++;
    }
    if (out.length === 0) {
      this.texts.set(addr, { addr, text: "(undecodable)", bytes: code.slice(0, 15) });
      out.push(unsupported(addr, 1));
    }
    return out;
  }

  /** Instructions of `code` read at `addr`, decoded linearly (stops where capstone stops). */
  instructions(addr: bigint, code: Uint8Array): Array<{ addr: bigint; size: number; mnemonic: string; opStr: string; bytes: Uint8Array }> {
    try {
      return this.cs.disasm(code, { address: addr }).map((i) => ({ addr: BigInt(i.address), size: i.size, mnemonic: i.mnemonic, opStr: i.opStr, bytes: i.bytes.slice() }));
    } catch {
      return [];
    }
  }

  /** The decoded text at an address, for messages. */
  describe(addr: bigint): string {
    const t = this.texts.get(addr);
    if (!t) return `0x${addr.toString(16)}`;
    const hex = Array.from(t.bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
    return `\`${t.text}\` (${hex}) at 0x${addr.toString(16)}`;
  }
}
