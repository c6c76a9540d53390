import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { classifyInstruction, Decoder, parseMemOperand, splitOperands } from "./decode.js";
import { F, K, RID_NONE, RID_RIP, SEG, USER_REGS } from "./protocol.js";

const R = (name: (typeof USER_REGS)[number]): number => USER_REGS.indexOf(name);
const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));

describe("parseMemOperand", () => {
  const cases: Array<[string, Partial<ReturnType<typeof parseMemOperand> & object> | null]> = [
    ["qword ptr [rsp]", { size: 8, base: R("rsp"), index: RID_NONE, disp: 0n }],
    ["dword ptr [rbp - 0x14]", { size: 4, base: R("rbp"), disp: -0x14n }],
    ["byte ptr [rax + rbx*8 + 0x10]", { size: 1, base: R("rax"), index: R("rbx"), scale: 8, disp: 0x10n }],
    ["xmmword ptr [rip + 0x2edc]", { size: 16, base: RID_RIP, disp: 0x2edcn }],
    ["qword ptr fs:[0x28]", { size: 8, seg: SEG.FS, base: RID_NONE, disp: 0x28n }],
    ["word ptr gs:[rax]", { size: 2, seg: SEG.GS, base: R("rax") }],
    ["byte ptr [rdi*4 + 0x601040]", { size: 1, base: RID_NONE, index: R("rdi"), scale: 4, disp: 0x601040n }],
    ["dword ptr [eax + 4]", { size: 4, base: R("rax"), addr32: true, disp: 4n }],
    ["byte ptr [0x1122334455667788]", { size: 1, base: RID_NONE, disp: 0x1122334455667788n }],
    ["zmmword ptr [rdi + ymm0*4] {k1}", { size: 64, base: R("rdi"), vsib: true }],
    ["ptr [rsp + 0x40]", { size: undefined, base: R("rsp"), disp: 0x40n }],
    ["[rsp]", { size: undefined, base: R("rsp") }],
    ["xword ptr [rsp]", { size: 10 }],
    ["rax", null],
    ["0x401005", null],
  ];
  for (const [text, want] of cases) {
    it(text, () => {
      const got = parseMemOperand(text);
      if (want === null) return assert.equal(got, null);
      assert.ok(got);
      for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k as keyof typeof got], v, k);
    });
  }
  it("splits operands at top-level commas only", () => {
    assert.deepEqual(splitOperands("zmmword ptr [rdi + ymm0*4] {k1}, zmm1"), ["zmmword ptr [rdi + ymm0*4] {k1}", "zmm1"]);
    assert.deepEqual(splitOperands(""), []);
  });
});

describe("classifyInstruction (through capstone)", () => {
  let decoder: Decoder;
  before(async () => {
    decoder = await Decoder.create();
  });
  const at = 0x401000n;
  const decode = (bytes: string) => {
    const recs = decoder.decodeWindow(at, hex(bytes), 1 << 20);
    assert.ok(recs[0]);
    return recs[0];
  };
  const cases: Array<[string, string, Partial<ReturnType<typeof classifyInstruction>>]> = [
    ["mov qword ptr [rsp], rax", "48890424", { kind: K.MEM, size: 8, base: R("rsp"), len: 4 }],
    ["mov qword ptr [rsp + 8], 1", "48c744240801000000", { kind: K.MEM, size: 8, disp: 8n }],
    ["mov word ptr [rsp], ax", "66890424", { kind: K.MEM, size: 2 }],
    ["mov rax, qword ptr fs:[0x28] (load)", "64488b042528000000", { kind: K.NONE }],
    ["mov qword ptr fs:[0], rax", "644889042500000000", { kind: K.MEM, seg: SEG.FS, size: 8 }],
    ["rep stosb", "f3aa", { kind: K.MEM, flags: F.REP, base: R("rdi"), size: 1 }],
    ["rep stosq", "f348ab", { kind: K.MEM, flags: F.REP, size: 8 }],
    ["rep movsb", "f3a4", { kind: K.MEM, flags: F.REP, base: R("rdi"), size: 1 }],
    ["movsq (no rep)", "48a5", { kind: K.MEM, flags: 0, size: 8 }],
    ["repe cmpsb", "f3a6", { kind: K.NONE }],
    ["push rax", "50", { kind: K.PUSH, size: 8 }],
    ["push qword ptr [rsp + 8]", "ff742408", { kind: K.PUSH, size: 8 }],
    ["push 1", "6a01", { kind: K.PUSH, size: 8 }],
    ["pushfq", "9c", { kind: K.PUSH, size: 8 }],
    ["call rel32", "e800000000", { kind: K.PUSH, size: 8 }],
    ["call qword ptr [rip + x]", "ff15aabbccdd", { kind: K.PUSH, size: 8 }],
    ["enter 0x10, 0", "c8100000", { kind: K.PUSH, size: 8 }],
    ["pop qword ptr [rsp]", "8f0424", { kind: K.MEM, flags: F.POP, base: R("rsp"), size: 8 }],
    ["pop rbx", "5b", { kind: K.NONE }],
    ["fxsave [rsp]", "0fae0424", { kind: K.MEM, size: 512 }],
    ["xsave [rsp + 0x40]", "0fae642440", { kind: K.MEM, flags: F.XSAVE }],
    ["xsavec [rsp + 0x40]", "0fc7642440", { kind: K.MEM, flags: F.XSAVEC }],
    ["nop dword ptr [rax + rax]", "0f1f440000", { kind: K.NONE }],
    ["fnstcw word ptr [rsp]", "d93c24", { kind: K.MEM, size: 2 }],
    ["fstp qword ptr [rsp]", "dd1c24", { kind: K.MEM, size: 8 }],
    ["fstp xword ptr [rsp]", "db3c24", { kind: K.MEM, size: 10 }],
    ["fld qword ptr [rsp] (load)", "dd0424", { kind: K.NONE }],
    ["stmxcsr dword ptr [rsp]", "0fae1c24", { kind: K.MEM, size: 4 }],
    ["vmovdqa ymmword ptr [rdi], ymm0", "c5fd7f07", { kind: K.MEM, size: 32 }],
    ["vmovdqu64 zmmword ptr [rdi], zmm0", "62f1fe487f07", { kind: K.MEM, size: 64 }],
    ["vmovdqu ymm0, ymmword ptr [rsi] (load)", "c5fe6f06", { kind: K.NONE }],
    ["vpmaskmovd ymmword ptr [rdi], ymm0, ymm0", "c4e27d8e07", { kind: K.MEM, size: 32 }],
    ["vscatterdpd (VSIB store)", "62f2fd49a20c87", { kind: K.UNSUPPORTED }],
    ["bts dword ptr [rdi], eax", "0fab07", { kind: K.BTMEM, size: 4, bitreg: R("rax") }],
    ["bt dword ptr [rdi], eax (read)", "0fa307", { kind: K.NONE }],
    ["bts dword ptr [rdi], 3", "0fba2f03", { kind: K.MEM, size: 4 }],
    ["cmpxchg qword ptr [rdi], rcx", "480fb10f", { kind: K.MEM, size: 8 }],
    ["cmpxchg16b xmmword ptr [rdi]", "480fc70f", { kind: K.MEM, size: 16 }],
    ["lock xadd dword ptr [rdi], ecx", "f00fc10f", { kind: K.MEM, size: 4 }],
    ["xchg qword ptr [rdi], rax", "48874700", { kind: K.MEM, size: 8 }],
    ["sete byte ptr [rdi]", "0f9407", { kind: K.MEM, size: 1 }],
    ["cmp dword ptr [rdi], 1 (read)", "833f01", { kind: K.NONE }],
    ["test byte ptr [rdi], 1 (read)", "f60701", { kind: K.NONE }],
    ["movsd qword ptr [rax], xmm0 (SSE store)", "f20f1100", { kind: K.MEM, size: 8, flags: 0 }],
    ["movsd xmm0, qword ptr [rax] (SSE load)", "f20f1000", { kind: K.NONE }],
    ["maskmovdqu xmm0, xmm1", "660ff7c1", { kind: K.MEM, base: R("rdi"), size: 16 }],
    ["mov dword ptr [eax], 1 (addr32)", "67c70001000000", { kind: K.MEM, flags: F.ADDR32, base: R("rax") }],
    ["movnti dword ptr [rdi], ecx", "0fc30f", { kind: K.MEM, size: 4 }],
    ["prefetchw byte ptr [rdi]", "0f0d0f", { kind: K.NONE }],
    ["clflush byte ptr [rdi]", "0fae3f", { kind: K.NONE }],
    ["lea rax, [rsp] (no access)", "488d0424", { kind: K.NONE }],
    ["mov byte ptr [rip + 0x10], 1", "c605100000000001", { kind: K.MEM, base: RID_RIP, disp: 0x10n, size: 1 }],
    ["syscall", "0f05", { kind: K.SYSCALL }],
    ["int 0x80", "cd80", { kind: K.UNSUPPORTED }],
    ["ret", "c3", { kind: K.NONE }],
    ["leave", "c9", { kind: K.NONE }],
  ];
  for (const [name, bytes, want] of cases) {
    it(name, () => {
      const rec = decode(bytes);
      assert.equal(rec.addr, at);
      for (const [k, v] of Object.entries(want)) assert.deepEqual(rec[k as keyof typeof rec], v, `${k} of ${decoder.describe(at)}`);
    });
  }

  it("decodes a window linearly and leaves possibly cut instructions for later", () => {
    const code = new Uint8Array(64).fill(0x90); // 64 nops
    const recs = decoder.decodeWindow(0x1000n, code);
    assert.equal(recs.length, 50); // offsets 0..49: each ends at least 15 bytes before the end
    assert.deepEqual(recs.map((r) => r.addr).slice(0, 3), [0x1000n, 0x1001n, 0x1002n]);
  });

  it("marks undecodable bytes unsupported, one byte long", () => {
    const recs = decoder.decodeWindow(0x2000n, hex("0f0b0f"), 3); // ud2 then a cut opcode
    assert.equal(recs[0]!.kind, K.NONE);
    const bad = decoder.decodeWindow(0x3000n, hex("06"), 1); // push es: invalid in 64-bit mode
    assert.deepEqual([bad.length, bad[0]!.kind, bad[0]!.len], [1, K.UNSUPPORTED, 1]);
    assert.match(decoder.describe(0x3000n), /undecodable/);
  });
});
