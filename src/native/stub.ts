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
import type { TrampolinePlan } from "./trampoline.js";

export const STUB_TABLE_OFFSET = 64;
const ENTRY_BYTES = 64;
/** The data area the helper reserves (native/helper.h STUB_DATA_BYTES). */
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

/**
 * The control stub, the post-return handler and the trampoline, for a control run (F runs, then
 * its recorded writes are applied again): at an outermost call the stub counts it, keeps the
 * return address and the invocation in the data area (+16 return address, +24 "inside F",
 * +32 invocation) and puts the handler's address in its place, then F runs through the
 * trampoline. When F returns to the handler, it copies the invocation's writes (F's results in
 * RAX, RDX, XMM0, XMM1 stay as F left them) and returns to F's caller. Calls made while F runs
 * (recursion) go straight to the trampoline. `base` is the code page's address.
 */
export function buildControlCode(data: bigint, base: bigint, plan: TrampolinePlan): { code: Uint8Array; trapOffset: number } | string {
  const { displaced, resume } = plan;
  const imm64 = (v: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
  const rel32 = (from: number, to: bigint): number[] => Array.from(new Uint8Array(new Int32Array([Number(to - (base + BigInt(from)))]).buffer));
  const save = [0x51, 0x56, 0x57, 0x41, 0x50, 0x41, 0x51];
  const restore = [0x41, 0x59, 0x41, 0x58, 0x5f, 0x5e, 0x59];
  const code: number[] = [];
  const fix: Array<{ at: number; label: string }> = [];
  const labels = new Map<string, number>();
  const emit = (...b: number[]): void => void code.push(...b);
  const jump8 = (op: number, label: string): void => {
    emit(op, 0);
    fix.push({ at: code.length - 1, label });
  };
  const label = (name: string): void => void labels.set(name, code.length);
  // The stub F's jump lands on.
  emit(...save);
  emit(0x49, 0xb9, ...imm64(data)); //          movabs r9, data
  emit(0x49, 0x83, 0x79, 0x18, 0x00); //         cmp qword [r9+24], 0
  jump8(0x75, "inner"); //                       jne inner: a call made while F runs
  emit(0x4d, 0x8b, 0x01); //                     mov r8, [r9]          k = calls
  emit(0x49, 0x8d, 0x48, 0x01); //               lea rcx, [r8+1]
  emit(0x49, 0x89, 0x09); //                     mov [r9], rcx
  emit(0x4d, 0x3b, 0x41, 0x08); //               cmp r8, [r9+8]
  jump8(0x73, "trap"); //                        jae trap: past the log's end
  emit(0x4d, 0x89, 0x41, 0x20); //               mov [r9+32], r8       the invocation
  emit(0x48, 0x8b, 0x74, 0x24, 0x28); //         mov rsi, [rsp+40]     F's return address
  emit(0x49, 0x89, 0x71, 0x10); //               mov [r9+16], rsi
  emit(0x49, 0xc7, 0x41, 0x18, 0x01, 0, 0, 0); // mov qword [r9+24], 1  inside F
  const postAt = code.length + 2;
  emit(0x48, 0xbe, ...imm64(0n)); //             movabs rsi, post (patched below)
  emit(0x48, 0x89, 0x74, 0x24, 0x28); //         mov [rsp+40], rsi     F returns to post
  label("inner");
  emit(...restore);
  const trampJump = code.length;
  emit(0xe9, 0, 0, 0, 0); //                     jmp trampoline (patched below)
  label("trap");
  emit(...restore, 0xcc);
  const trapOffset = code.length - 1;
  // F returned here: rsp is its entry rsp + 8.
  label("post");
  emit(0x48, 0x83, 0xec, 0x08); //               sub rsp, 8            the slot for the return address
  emit(...save, 0x50); //                        and rax
  emit(0x49, 0xb9, ...imm64(data)); //          movabs r9, data
  emit(0x49, 0x8b, 0x71, 0x10); //               mov rsi, [r9+16]
  emit(0x48, 0x89, 0x74, 0x24, 0x30); //         mov [rsp+48], rsi
  emit(0x49, 0xc7, 0x41, 0x18, 0, 0, 0, 0); //   mov qword [r9+24], 0  F is done
  emit(0x4d, 0x8b, 0x41, 0x20); //               mov r8, [r9+32]
  emit(0x49, 0xc1, 0xe0, 0x06); //               shl r8, 6
  emit(0x4f, 0x8d, 0x44, 0x01, 0x40); //         lea r8, [r9+r8+64]    entry k
  emit(0x4d, 0x8b, 0x48, 0x08); //               mov r9, [r8+8]        write list
  emit(0x41, 0x8b, 0x01); //                     mov eax, [r9]
  emit(0x49, 0x83, 0xc1, 0x04); //               add r9, 4
  label("loop");
  emit(0x85, 0xc0); //                           test eax, eax
  jump8(0x74, "done");
  emit(0x49, 0x8b, 0x39, 0x41, 0x8b, 0x49, 0x08, 0x49, 0x8d, 0x71, 0x0c); // mov rdi,[r9]; mov ecx,[r9+8]; lea rsi,[r9+12]
  emit(0xf3, 0xa4, 0x49, 0x89, 0xf1, 0xff, 0xc8); // rep movsb; mov r9, rsi; dec eax
  jump8(0xeb, "loop");
  label("done");
  emit(0x58, ...restore, 0xc3); //               pop rax and the rest; ret to F's caller
  // The trampoline: F's first instructions, then back into F.
  label("tramp");
  const trampAt = code.length;
  emit(...displaced);
  for (const r of plan.relocations) {
    const disp = r.target - (base + BigInt(trampAt + r.end));
    if (disp < -(2n ** 31n) || disp >= 2n ** 31n) return "a moved rip-relative operand is out of reach";
    code.splice(trampAt + r.at, 4, ...Array.from(new Uint8Array(new Int32Array([Number(disp)]).buffer)));
  }
  emit(0xe9, ...rel32(code.length + 5, resume));
  for (const f of fix) code[f.at] = (labels.get(f.label)! - (f.at + 1)) & 0xff;
  code.splice(postAt, 8, ...imm64(base + BigInt(labels.get("post")!)));
  code.splice(trampJump + 1, 4, ...rel32(trampJump + 5, base + BigInt(labels.get("tramp")!)));
  return { code: new Uint8Array(code), trapOffset };
}
