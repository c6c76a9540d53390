/**
 * Walks the instructions of a function body, reporting each one's opcode and byte range without
 * building a tree. It knows the immediates of every MVP, sign-extension, saturating, bulk-memory,
 * reference-types, multi-value, tail-call, SIMD (incl. relaxed), atomics and legacy-exception
 * opcode, which is what lets the rewriter insert code at exact positions. Pure.
 * Spec: https://webassembly.github.io/spec/core/binary/instructions.html
 */
import { ByteReader, ByteWriter } from "../binary/index.js";
import { OP } from "./opcodes.js";

export interface Instruction {
  /** First opcode byte. */
  op: number;
  /** Sub-opcode after a 0xFC/0xFD/0xFE prefix, else -1. */
  sub: number;
  /** Byte offset (in the body) of the opcode. */
  start: number;
  /** Byte offset of the immediates. */
  immStart: number;
  /** Byte offset just past the instruction. */
  end: number;
}

/** The locals declaration at the start of a body. */
export interface LocalsDecl {
  /** Number of (count, type) groups. */
  groups: number;
  /** Offset of the first group (just after the group count). */
  groupsStart: number;
  /** Number of locals declared (parameters not included). */
  count: number;
  /** Offset of the expression. */
  exprStart: number;
}

export function readLocals(body: Uint8Array): LocalsDecl {
  const r = new ByteReader(body);
  const groups = r.varU32("local group count");
  const groupsStart = r.pos;
  let count = 0;
  for (let i = 0; i < groups; i++) {
    count += r.varU32("local count");
    const t = r.u8("local type");
    if (t === 0x63 || t === 0x64) r.skipLeb(5); // (ref null? ht)
  }
  return { groups, groupsStart, count, exprStart: r.pos };
}

/** Skips the locals declaration at the start of a body; returns the offset of the expression. */
export function skipLocals(body: Uint8Array): number {
  return readLocals(body).exprStart;
}

function skipBlockType(r: ByteReader): void {
  const b = r.bytes[r.pos];
  if (b === 0x40 || (b !== undefined && b >= 0x6f && b <= 0x7f)) {
    r.pos++;
    return;
  }
  r.skipLeb(5, "block type");
}

function skipMemarg(r: ByteReader): void {
  const align = r.varU32("memarg align");
  if (align & 0x40) r.varU32("memarg memory");
  r.skipLeb(10, "memarg offset");
}

function skipFC(r: ByteReader, sub: number): void {
  switch (sub) {
    case 8: r.varU32(); r.u8(); return; // memory.init dataidx mem
    case 9: r.varU32(); return; // data.drop
    case 10: r.u8(); r.u8(); return; // memory.copy
    case 11: r.u8(); return; // memory.fill
    case 12: case 14: r.varU32(); r.varU32(); return; // table.init, table.copy
    case 13: case 15: case 16: case 17: r.varU32(); return; // elem.drop, table.grow/size/fill
    default:
      if (sub <= 7) return; // trunc_sat
      r.fail(`wasm: unknown 0xfc opcode ${sub}`);
  }
}

function skipFD(r: ByteReader, sub: number): void {
  if (sub <= 11 || sub === 92 || sub === 93) return skipMemarg(r); // loads, store, load_zero
  if (sub === 12 || sub === 13) { r.bytesView(16); return; } // v128.const, shuffle
  if (sub >= 21 && sub <= 34) { r.u8(); return; } // extract/replace lane
  if (sub >= 84 && sub <= 91) { skipMemarg(r); r.u8(); return; } // load/store lane
  // Everything else (arithmetic, relaxed SIMD 0x100..) has no immediates.
}

/** Calls `visit` for each instruction of the expression starting at `start` (after locals). */
export function forEachInstruction(body: Uint8Array, start: number, visit: (ins: Instruction) => void): void {
  const r = new ByteReader(body, start);
  const ins: Instruction = { op: 0, sub: -1, start: 0, immStart: 0, end: 0 };
  while (!r.isAtEnd()) {
    ins.start = r.pos;
    const op = r.u8("opcode");
    ins.op = op;
    ins.sub = -1;
    ins.immStart = r.pos;
    if (op >= 0x45 && op <= 0xc4) {
      // numeric: no immediates
    } else if (op >= 0x28 && op <= 0x3e) {
      skipMemarg(r);
    } else {
      switch (op) {
        case 0x00: case 0x01: case 0x05: case 0x0b: case 0x0f: case 0x19: case 0x1a: case 0x1b:
        case 0xd1: case 0xd3: case 0xd5: case 0x0a:
          break;
        case 0x02: case 0x03: case 0x04: case 0x06:
          skipBlockType(r);
          break;
        case 0x0c: case 0x0d: case 0x07: case 0x08: case 0x09: case 0x18: case 0x10: case 0x12:
        case 0x14: case 0x15: case 0xd2: case 0xd4: case 0xd6:
        case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26:
          r.varU32("index");
          break;
        case 0x0e: {
          const n = r.varU32("br_table count");
          for (let i = 0; i <= n; i++) r.varU32("br_table label");
          break;
        }
        case 0x11: case 0x13:
          r.varU32("type index");
          r.varU32("table index");
          break;
        case 0x1c: {
          const n = r.varU32("select type count");
          r.bytesView(n);
          break;
        }
        case 0x3f: case 0x40:
          r.varU32("memory index");
          break;
        case 0x41: r.skipLeb(5, "i32.const"); break;
        case 0x42: r.skipLeb(10, "i64.const"); break;
        case 0x43: r.bytesView(4); break;
        case 0x44: r.bytesView(8); break;
        case 0xd0: r.skipLeb(5, "heap type"); break;
        case 0xfc: ins.sub = r.varU32("0xfc opcode"); skipFC(r, ins.sub); break;
        case 0xfd: ins.sub = r.varU32("0xfd opcode"); skipFD(r, ins.sub); break;
        case 0xfe:
          ins.sub = r.varU32("0xfe opcode");
          if (ins.sub === 0x03) r.u8();
          else skipMemarg(r);
          break;
        default:
          r.fail(`wasm: unknown opcode 0x${op.toString(16).padStart(2, "0")}`, ins.start);
      }
    }
    ins.end = r.pos;
    visit(ins);
  }
}

/**
 * A copy of `body` in which every direct call (and tail call) of function `from` calls `to`
 * instead; everything else is copied byte for byte. Used so a copy of F calls itself when F
 * recurses, instead of re-entering F's rewritten body (and its hooks) at every level.
 */
export function retargetCalls(body: Uint8Array, from: number, to: number): Uint8Array {
  const exprStart = skipLocals(body);
  const out = new ByteWriter(body.length + 16);
  out.bytes(body.subarray(0, exprStart));
  forEachInstruction(body, exprStart, (ins) => {
    if ((ins.op === OP.call || ins.op === OP.returnCall) && new ByteReader(body, ins.immStart).varU32() === from) {
      out.u8(ins.op).varUint(to);
    } else {
      out.bytes(body.subarray(ins.start, ins.end));
    }
  });
  return out.toBytes();
}
