/**
 * The trampoline that lets a control run execute F although F's first bytes hold the jump to
 * the stub: F's first whole instructions covering the 5-byte jump, copied, then a jump back to
 * the instruction after them. None of them may transfer control; an operand relative to rip is
 * moved (its 32-bit displacement rewritten for the copy's address); no branch in F may land
 * inside the copied bytes (it would land inside the jump). Pure but for capstone.
 */
import type { Decoder } from "./decode.js";

export interface TrampolinePlan {
  /** F's first instructions, copied as they are but for the displacements in `relocations`. */
  displaced: Uint8Array;
  /** Where F continues after them. */
  resume: bigint;
  /** rip-relative operands: the displacement's offset in `displaced`, the address it means, and where its instruction ends. */
  relocations: Array<{ at: number; target: bigint; end: number }>;
}

const JUMP_BYTES = 5;
const TRANSFERS = /^(j|call|ret|loop|jrcxz|jecxz|xbegin|syscall|sysenter|int|iret|enter|leave)/;

/** The plan for F (its code `body` at `fAddr`, the whole symbol), or why F cannot have one. */
export function planTrampoline(decoder: Decoder, fAddr: bigint, body: Uint8Array): TrampolinePlan | string {
  const insns = decoder.instructions(fAddr, body);
  const decoded = insns.reduce((n, i) => n + i.size, 0);
  if (decoded !== body.length) return `capstone decodes ${decoded} of F's ${body.length} bytes`;
  let n = 0;
  const displaced: number[] = [];
  const relocations: TrampolinePlan["relocations"] = [];
  for (const i of insns) {
    if (n >= JUMP_BYTES) break;
    if (TRANSFERS.test(i.mnemonic)) return `F's first instructions include \`${i.mnemonic}\``;
    const rip = /\[rip ([+-]) (0x[0-9a-f]+|\d+)\]/.exec(i.opStr);
    if (rip || /\brip\b/.test(i.opStr)) {
      const at = rip ? displacementOffset(i.bytes, (rip[1] === "-" ? -1 : 1) * Number(rip[2])) : -1;
      if (at < 0) return `cannot move \`${i.mnemonic} ${i.opStr}\` (an operand relative to rip)`;
      const disp = BigInt(new DataView(i.bytes.buffer, i.bytes.byteOffset).getInt32(at, true));
      relocations.push({ at: n + at, target: i.addr + BigInt(i.size) + disp, end: n + i.size });
    }
    displaced.push(...i.bytes);
    n += i.size;
  }
  for (const i of insns) {
    if (!/^(j|call|loop|jrcxz|jecxz|xbegin)/.test(i.mnemonic)) continue;
    const target = /^0x[0-9a-f]+$/.test(i.opStr) ? BigInt(i.opStr) : null;
    if (target !== null && target > fAddr && target < fAddr + BigInt(n)) return `a branch in F lands inside its first ${n} bytes`;
  }
  return { displaced: new Uint8Array(displaced), resume: fAddr + BigInt(n), relocations };
}

/**
 * Where an instruction's 32-bit rip displacement sits: before an immediate of 0, 1, 2 or 4
 * bytes at its end; the one offset whose int32 equals the displacement capstone printed, or -1
 * when none or several do.
 */
function displacementOffset(bytes: Uint8Array, disp: number): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = [0, 1, 2, 4].map((imm) => bytes.length - 4 - imm).filter((at) => at >= 1 && dv.getInt32(at, true) === disp);
  return found.length === 1 ? found[0]! : -1;
}
