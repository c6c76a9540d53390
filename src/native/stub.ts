/**
 * In-process replay for native disabled runs: the log's invocations as a table in the stub data
 * area the helper reserved at the exec stop, and a small x86-64 stub in its code page. F's entry
 * is patched with `jmp stub`. Per call the stub takes the next invocation: when it is a plain
 * return with memory writes (no syscall, no exit, no trap) it copies the writes, loads RAX, RDX,
 * XMM0 and XMM1 and returns to F's caller, with no ptrace stop; otherwise, or past the log's end,
 * it executes an int3 with every register and the stack as they were at F's entry, and the
 * helper hands the call to the CLI as an ordinary ENTRY (replay.ts). Pure: builds bytes.
 *
 * Data area layout (little-endian):
 *   +0  u64 calls so far (the stub increments it on every call, before anything else)
 *   +8  u64 number of table entries
 *   +64 entries of 64 bytes: u64 flags (bit 0: the helper replays it), u64 address of its write
 *       list, u64 RAX, u64 RDX, 16 bytes XMM0, 16 bytes XMM1
 *   then write lists: u32 count, count x (u64 address, u32 length, bytes)
 */
import { AlpacaError } from "../errors/index.js";
import type { Invocation } from "../log/index.js";

export const STUB_TABLE_OFFSET = 64;
const ENTRY_BYTES = 64;
/** The data area the helper reserves (native/alpaca-native-helper.c STUB_DATA_BYTES). */
export const STUB_DATA_LIMIT = 4 * 2 ** 30;

/** Whether the stub can replay an invocation by itself: a return with writes only. */
export function replayableInProcess(inv: Invocation): boolean {
  return inv.status === "returned" && inv.events.every((e) => e.kind === "write");
}

/**
 * The data area's bytes, to be written at `base`, built one invocation at a time (a log of
 * 300,000 invocations is never held as objects).
 */
export class StubDataBuilder {
  private out: Uint8Array;
  private dv: DataView;
  private list: number;
  private next = 0;

  constructor(private readonly count: number, private readonly base: bigint) {
    this.list = STUB_TABLE_OFFSET + count * ENTRY_BYTES;
    this.out = new Uint8Array(this.list + 4 * count + 1024);
    this.dv = new DataView(this.out.buffer);
    this.dv.setBigUint64(8, BigInt(count), true);
  }

  /** Bytes so far. */
  get length(): number {
    return this.list;
  }

  private reserve(n: number): void {
    if (this.list + n <= this.out.length) return;
    const bigger = new Uint8Array(Math.max(this.out.length * 2, this.list + n));
    bigger.set(this.out.subarray(0, this.list));
    this.out = bigger;
    this.dv = new DataView(bigger.buffer);
  }

  /** Adds the next invocation (in log order). */
  add(inv: Invocation): void {
    const { dv } = this;
    const at = STUB_TABLE_OFFSET + this.next++ * ENTRY_BYTES;
    const inProcess = replayableInProcess(inv);
    dv.setBigUint64(at, inProcess ? 0n : 1n, true);
    dv.setBigUint64(at + 8, this.base + BigInt(this.list), true);
    const [rax, rdx, x0, x1] = inv.returns;
    if (rax && rax.type !== "v128") dv.setBigUint64(at + 16, BigInt.asUintN(64, rax.bits), true);
    if (rdx && rdx.type !== "v128") dv.setBigUint64(at + 24, BigInt.asUintN(64, rdx.bits), true);
    if (x0?.type === "v128") this.out.set(x0.bytes, at + 32);
    if (x1?.type === "v128") this.out.set(x1.bytes, at + 48);
    const writes = inProcess ? inv.events : [];
    let size = 4;
    for (const w of writes) if (w.kind === "write") size += 12 + w.bytes.length;
    this.reserve(size);
    this.dv.setUint32(this.list, writes.length, true);
    this.list += 4;
    for (const w of writes) {
      if (w.kind !== "write") continue;
      this.dv.setBigUint64(this.list, BigInt(w.addr), true);
      this.dv.setUint32(this.list + 8, w.bytes.length, true);
      this.out.set(w.bytes, this.list + 12);
      this.list += 12 + w.bytes.length;
    }
  }

  /** The data area's bytes; every invocation must have been added. */
  bytes(): Uint8Array {
    if (this.next !== this.count) throw new AlpacaError(`stub table: ${this.next} of ${this.count} invocations added`);
    return this.out.subarray(0, this.list);
  }
}

/** The data area's bytes for these invocations, to be written at `base`. */
export function buildStubData(invocations: readonly Invocation[], base: bigint): Uint8Array {
  const b = new StubDataBuilder(invocations.length, base);
  for (const inv of invocations) b.add(inv);
  return b.bytes();
}

/** The stub's machine code for a data area at `data`, and the offset of its int3. */
export function buildStubCode(data: bigint): { code: Uint8Array; trapOffset: number } {
  const imm64 = (v: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
  // Saves what it uses besides RAX and RDX (set from the log) and XMM0/XMM1; a caller built with
  // -fipa-ra may keep values in other caller-saved registers across F.
  const save = [0x51, 0x56, 0x57, 0x41, 0x50, 0x41, 0x51]; // push rcx, rsi, rdi, r8, r9
  const restore = [0x41, 0x59, 0x41, 0x58, 0x5f, 0x5e, 0x59]; // pop r9, r8, rdi, rsi, rcx
  const toCount = [
    ...save,
    0x49, 0xb9, ...imm64(data), // movabs r9, data
    0x4d, 0x8b, 0x01, //           mov r8, [r9]          k = calls
    0x49, 0x8d, 0x48, 0x01, //     lea rcx, [r8+1]
    0x49, 0x89, 0x09, //           mov [r9], rcx         calls = k + 1
    0x4d, 0x3b, 0x41, 0x08, //     cmp r8, [r9+8]
  ];
  const jaeAt = toCount.length; // jae trap: past the log's end
  const toFlags = [
    0x73, 0x00,
    0x49, 0xc1, 0xe0, 0x06, //     shl r8, 6
    0x4f, 0x8d, 0x44, 0x01, 0x40, // lea r8, [r9+r8+64] entry k
    0x41, 0xf6, 0x00, 0x01, //     test byte [r8], 1
  ];
  const jnzAt = jaeAt + toFlags.length; // jnz trap: the helper replays it
  const head = [
    ...toCount,
    ...toFlags,
    0x75, 0x00,
    0x4d, 0x8b, 0x48, 0x08, //     mov r9, [r8+8]        write list
    0x41, 0x8b, 0x01, //           mov eax, [r9]         count
    0x49, 0x83, 0xc1, 0x04, //     add r9, 4
  ];
  const loop = [
    0x85, 0xc0, //                 test eax, eax
    0x74, 0x14, //                 jz done (+20)
    0x49, 0x8b, 0x39, //           mov rdi, [r9]
    0x41, 0x8b, 0x49, 0x08, //     mov ecx, [r9+8]
    0x49, 0x8d, 0x71, 0x0c, //     lea rsi, [r9+12]
    0xf3, 0xa4, //                 rep movsb
    0x49, 0x89, 0xf1, //           mov r9, rsi
    0xff, 0xc8, //                 dec eax
    0xeb, 0xe8, //                 jmp loop (-24)
  ];
  const done = [
    0x49, 0x8b, 0x40, 0x10, //     mov rax, [r8+16]
    0x49, 0x8b, 0x50, 0x18, //     mov rdx, [r8+24]
    0xf3, 0x41, 0x0f, 0x6f, 0x40, 0x20, // movdqu xmm0, [r8+32]
    0xf3, 0x41, 0x0f, 0x6f, 0x48, 0x30, // movdqu xmm1, [r8+48]
    ...restore,
    0xc3, //                       ret
  ];
  const trap = [...restore, 0xcc]; // every register and the stack as at F's entry; int3
  const code = [...head, ...loop, ...done, ...trap];
  const trapStart = head.length + loop.length + done.length;
  code[jaeAt + 1] = trapStart - (jaeAt + 2);
  code[jnzAt + 1] = trapStart - (jnzAt + 2);
  return { code: new Uint8Array(code), trapOffset: trapStart + restore.length };
}

/** `jmp rel32` from `from` to `to`, or null when they are more than 2 GiB apart. */
export function jumpPatch(from: bigint, to: bigint): Uint8Array | null {
  const rel = to - (from + 5n);
  if (rel < -(2n ** 31n) || rel >= 2n ** 31n) return null;
  const out = new Uint8Array(5);
  out[0] = 0xe9;
  new DataView(out.buffer).setInt32(1, Number(rel), true);
  return out;
}
