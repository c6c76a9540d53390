/**
 * The trampoline that lets a control run execute F although F's first bytes hold the jump to
 * the stub: F's first whole instructions covering the 5-byte jump, copied, then a jump back to
 * the instruction after them. Only instructions that mean the same anywhere are copied: none
 * may address memory relative to rip or transfer control, and no branch in F may land inside
 * the copied bytes (it would land inside the jump). Pure but for capstone.
 */
import type { Decoder } from "./decode.js";

export interface TrampolinePlan {
  /** F's first instructions, copied as they are. */
  displaced: Uint8Array;
  /** Where F continues after them. */
  resume: bigint;
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
  for (const i of insns) {
    if (n >= JUMP_BYTES) break;
    if (TRANSFERS.test(i.mnemonic)) return `F's first instructions include \`${i.mnemonic}\``;
    if (/\brip\b/.test(i.opStr)) return `F's first instructions address memory relative to rip (\`${i.mnemonic} ${i.opStr}\`)`;
    displaced.push(...i.bytes);
    n += i.size;
  }
  for (const i of insns) {
    if (!/^(j|call|loop|jrcxz|jecxz|xbegin)/.test(i.mnemonic)) continue;
    const target = /^0x[0-9a-f]+$/.test(i.opStr) ? BigInt(i.opStr) : null;
    if (target !== null && target > fAddr && target < fAddr + BigInt(n)) return `a branch in F lands inside its first ${n} bytes`;
  }
  return { displaced: new Uint8Array(displaced), resume: fAddr + BigInt(n) };
}
