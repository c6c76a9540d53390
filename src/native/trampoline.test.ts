import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Decoder } from "./decode.js";
import { buildControlCode } from "./stub.js";
import { planTrampoline } from "./trampoline.js";

describe("control trampoline", () => {
  let decoder: Decoder;
  before(async () => {
    decoder = await Decoder.create();
  });
  const F = 0x401000n;

  it("copies whole instructions covering the 5-byte jump, and resumes after them", () => {
    // push r14; push r13; push r12; mov eax, edi; ret
    const plan = planTrampoline(decoder, F, new Uint8Array([0x41, 0x56, 0x41, 0x55, 0x41, 0x54, 0x89, 0xf8, 0xc3]));
    assert.ok(typeof plan !== "string");
    assert.deepEqual([...plan.displaced], [0x41, 0x56, 0x41, 0x55, 0x41, 0x54]);
    assert.equal(plan.resume, F + 6n);
    assert.deepEqual(plan.relocations, []);
  });
  it("moves a rip-relative operand: the copy addresses what the original did", () => {
    // lea rdx, [rip + 0x100]; ret
    const plan = planTrampoline(decoder, F, new Uint8Array([0x48, 0x8d, 0x15, 0x00, 0x01, 0x00, 0x00, 0xc3]));
    assert.ok(typeof plan !== "string");
    assert.deepEqual(plan.relocations, [{ at: 3, target: F + 7n + 0x100n, end: 7 }]);
    const base = 0x200000n;
    const built = buildControlCode(0x3a1c00000000n, base, plan);
    assert.ok(typeof built !== "string");
    const trampAt = built.code.length - 5 - plan.displaced.length;
    const disp = new DataView(built.code.buffer).getInt32(trampAt + 3, true);
    assert.equal(base + BigInt(trampAt + 7) + BigInt(disp), F + 7n + 0x100n);
    const back = new DataView(built.code.buffer).getInt32(built.code.length - 4, true);
    assert.equal(base + BigInt(built.code.length) + BigInt(back), F + 7n, "the jump back lands after the copied instruction");
  });
  const why = (code: number[]): string => {
    const plan = planTrampoline(decoder, F, new Uint8Array(code));
    return typeof plan === "string" ? plan : "(planned)";
  };
  it("refuses a transfer among the first instructions, and a branch into them", () => {
    assert.match(why([0xe8, 0, 0, 0, 0, 0xc3]), /include `call`/);
    // push rbx; push rbp; push r12; push r13; jmp F+2 (into the copied bytes)
    assert.match(why([0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0xeb, 0xfa]), /lands inside its first/);
    assert.match(why([0x53, 0x0f]), /capstone decodes 1 of F's 2 bytes/);
  });
});
