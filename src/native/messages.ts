/**
 * The helper's frames, decoded whole into one typed union (the layouts are native/protocol.h's
 * H_* comments). A frame shorter than its layout or with bytes after it is a DecodeError: the
 * helper and the CLI disagree, which a rebuilt helper fixes. Pure.
 */
import { DecodeError } from "../errors/index.js";
import { H, PayloadReader, type Frame } from "./protocol.js";

export type HelperMessage =
  | { kind: "hello"; version: number; pid: number; atEntry: bigint; xsaveBytes: number; stubCode: bigint; stubData: bigint }
  | { kind: "exit"; how: "exited" | "signal" | "signal-from-outside"; code: number; stubCalls: bigint; cpuUserUs: bigint; cpuSystemUs: bigint }
  | { kind: "entry"; rsp: bigint; returnAddress: bigint; thread: number }
  | { kind: "decode"; addr: bigint; code: Uint8Array }
  | { kind: "writes"; ranges: Array<{ addr: bigint; bytes: Uint8Array }> }
  | { kind: "syscall-enter"; nr: number; args: bigint[] }
  | { kind: "syscall-exit"; result: bigint }
  | { kind: "return"; rax: bigint; rdx: bigint; xmm0: Uint8Array; xmm1: Uint8Array; steps: bigint; ns: bigint }
  | { kind: "mem"; ok: boolean; bytes: Uint8Array }
  | { kind: "result"; value: bigint }
  | { kind: "ok" }
  | { kind: "error"; code: number; addr: bigint; message: string }
  | { kind: "escaped"; rip: bigint; rsp: bigint }
  | { kind: "input"; insideF: boolean; nr: number; args: bigint[] };

export type MessageKind = HelperMessage["kind"];

const EXIT_HOW = ["exited", "signal", "signal-from-outside"] as const;

function args6(r: PayloadReader): bigint[] {
  return Array.from({ length: 6 }, () => r.u64());
}

function read(f: Frame, r: PayloadReader): HelperMessage {
  switch (f.type) {
    case H.HELLO:
      return { kind: "hello", version: r.u32(), pid: r.u32(), atEntry: r.u64(), xsaveBytes: r.u32(), stubCode: r.u64(), stubData: r.u64() };
    case H.EXIT: {
      const how = EXIT_HOW[r.u8()];
      if (!how) throw new DecodeError("helper: unknown EXIT kind", 0);
      return { kind: "exit", how, code: r.i32(), stubCalls: r.u64(), cpuUserUs: r.u64(), cpuSystemUs: r.u64() };
    }
    case H.ENTRY:
      return { kind: "entry", rsp: r.u64(), returnAddress: r.u64(), thread: r.u32() };
    case H.DECODE: {
      const addr = r.u64();
      return { kind: "decode", addr, code: r.bytesView(r.u16()) };
    }
    case H.WRITES: {
      const count = r.u32();
      const ranges: Array<{ addr: bigint; bytes: Uint8Array }> = [];
      for (let i = 0; i < count; i++) {
        const addr = r.u64();
        ranges.push({ addr, bytes: r.bytesView(r.u32()) });
      }
      return { kind: "writes", ranges };
    }
    case H.SYSCALL_ENTER:
      return { kind: "syscall-enter", nr: Number(r.u64()), args: args6(r) };
    case H.SYSCALL_EXIT:
      return { kind: "syscall-exit", result: r.u64() };
    case H.RETURN:
      return { kind: "return", rax: r.u64(), rdx: r.u64(), xmm0: r.bytesView(16), xmm1: r.bytesView(16), steps: r.u64(), ns: r.u64() };
    case H.MEM:
      return { kind: "mem", ok: r.u8() === 1, bytes: r.rest() };
    case H.RESULT:
      return { kind: "result", value: r.u64() };
    case H.OK:
      return { kind: "ok" };
    case H.ERROR:
      return { kind: "error", code: r.u32(), addr: r.u64(), message: new TextDecoder().decode(r.rest()) };
    case H.ESCAPED:
      return { kind: "escaped", rip: r.u64(), rsp: r.u64() };
    case H.INPUT:
      return { kind: "input", insideF: r.u8() === 1, nr: Number(r.u64()), args: args6(r) };
    default:
      throw new DecodeError(`helper: unknown frame type ${f.type}`, 0);
  }
}

/** Decodes a frame; refuses unknown types, short payloads and trailing bytes. */
export function decodeMessage(f: Frame): HelperMessage {
  const name = Object.entries(H).find(([, v]) => v === f.type)?.[0] ?? `type-${f.type}`;
  const r = new PayloadReader(f.payload, name);
  const m = read(f, r);
  r.end();
  return m;
}

/** Decodes a frame that must be of one kind. */
export function expectMessage<K extends MessageKind>(f: Frame, kind: K): Extract<HelperMessage, { kind: K }> {
  const m = decodeMessage(f);
  if (m.kind !== kind) throw new DecodeError(`helper: expected ${kind}, got ${m.kind}`, 0);
  return m as Extract<HelperMessage, { kind: K }>;
}
