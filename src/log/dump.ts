/**
 * Turns a log into JSON for programs (`alpaca log dump --json`) and text for people, as a
 * sequence of pieces produced one invocation at a time, so a dump of a log of any size holds
 * one invocation in memory. JSON conventions: i64 values and 64-bit arguments as decimal
 * strings; floats as `{bits: "0x...", value}` with value a number, or "NaN"/"Infinity"/
 * "-Infinity" strings; memory bytes as lowercase hex. Pure.
 */
import type { EffectLog, Event, Invocation, LogHeader, MemoryRange, RunEnd, SyscallEvent, Value, ValType, InputRecord } from "./format.js";
import type { MacVerdict } from "./mac.js";

/** What a dump reads: a log's parts, its invocations one at a time, and whether its MAC verified. */
export interface LogView {
  version: number;
  header: LogHeader;
  inputs: readonly InputRecord[];
  end: RunEnd;
  invocations: Iterable<Invocation>;
  invocationCount: number;
  mac?: MacVerdict;
}

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

function floatJson(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

/** A value in `alpaca log dump --json`: integers as numbers (i32, signed) or decimal strings (i64). */
export type ValueJson =
  | { type: "i32"; value: number }
  | { type: "i64"; value: string }
  | { type: "f32" | "f64"; bits: string; value: number | string }
  | { type: "v128"; bytes: string };
export interface RangeJson { addr: number; size: number; bytes: string }
export interface SyscallJson { kind: "syscall"; name: string; args: string[]; reads: RangeJson[]; writes: RangeJson[]; result: string }
export type EventJson =
  | ({ kind: "write" } & RangeJson)
  | ({ kind: "global"; index: number } & ValueJson)
  | { kind: "grow"; from_pages: number; to_pages: number }
  | SyscallJson;
export interface InvocationJson {
  index: number;
  status: Invocation["status"];
  exit_code?: number;
  trap?: string;
  thread?: number;
  returns: ValueJson[];
  events: EventJson[];
}
/** The `alpaca log dump --json` document (docs/log-format.md); `mac` only where it was checked. */
export interface LogJson {
  version: number;
  mac?: string;
  backend: string;
  program_sha256: string;
  function: { name: string; index: number; params: ValType[]; results: ValType[] };
  args: string[];
  env: string[];
  invocations: InvocationJson[];
  inputs: Array<{ inside_function: boolean } & SyscallJson>;
  end: { outcome: string; exit_code: number };
}

/** JSON form of a value: integers as numbers (i32, signed) or decimal strings (i64). */
export function valueToJson(v: Value): ValueJson {
  switch (v.type) {
    case "i32":
      return { type: "i32", value: Number(BigInt.asIntN(32, v.bits)) };
    case "i64":
      return { type: "i64", value: BigInt.asIntN(64, v.bits).toString() };
    case "f32": {
      const dv = new DataView(new ArrayBuffer(4));
      dv.setUint32(0, Number(v.bits), true);
      return { type: "f32", bits: `0x${v.bits.toString(16).padStart(8, "0")}`, value: floatJson(dv.getFloat32(0, true)) };
    }
    case "f64": {
      const dv = new DataView(new ArrayBuffer(8));
      dv.setBigUint64(0, v.bits, true);
      return { type: "f64", bits: `0x${v.bits.toString(16).padStart(16, "0")}`, value: floatJson(dv.getFloat64(0, true)) };
    }
    case "v128":
      return { type: "v128", bytes: hex(v.bytes) };
  }
}

function rangeJson(r: MemoryRange): RangeJson {
  return { addr: r.addr, size: r.bytes.length, bytes: hex(r.bytes) };
}

function syscallJson(c: SyscallEvent): SyscallJson {
  return {
    kind: "syscall",
    name: c.name,
    args: c.args.map((a) => a.toString()),
    reads: c.reads.map(rangeJson),
    writes: c.writes.map(rangeJson),
    result: BigInt.asIntN(64, c.result).toString(),
  };
}

function eventJson(e: Event): EventJson {
  switch (e.kind) {
    case "write":
      return { kind: "write", ...rangeJson(e) };
    case "global":
      return { kind: "global", index: e.index, ...valueToJson(e.value) };
    case "grow":
      return { kind: "grow", from_pages: e.fromPages, to_pages: e.toPages };
    case "syscall":
      return syscallJson(e);
  }
}

function invocationJson(inv: Invocation): InvocationJson {
  return {
    index: inv.index,
    status: inv.status,
    ...(inv.status === "exited" ? { exit_code: inv.exitCode } : {}),
    ...(inv.status === "trapped" ? { trap: inv.trapMessage } : {}),
    ...(inv.thread !== undefined ? { thread: inv.thread } : {}),
    returns: inv.returns.map(valueToJson),
    events: inv.events.map(eventJson),
  };
}

/** The document's fields in order; `invocations` is produced lazily. */
function jsonFields(log: LogView): Array<[string, unknown]> {
  const h = log.header;
  return [
    ["version", log.version],
    ...(log.mac ? [["mac", log.mac] as [string, unknown]] : []),
    ["backend", h.backend],
    ["program_sha256", hex(h.programSha256)],
    ["function", { name: h.functionName, index: h.functionIndex, params: h.params, results: h.results }],
    ["args", h.args],
    // Names only: v3 logs keep no values, and a dump of an older log does not print its secrets.
    ["env", h.env.map((v) => v.name)],
    ["invocations", { lazy: log.invocations }],
    ["inputs", log.inputs.map((i) => ({ inside_function: i.insideF, ...syscallJson(i.call) }))],
    ["end", { outcome: log.end.outcome, exit_code: log.end.exitCode }],
  ];
}

const indent = (text: string, by: string): string => text.replace(/\n/g, `\n${by}`);

/**
 * The `alpaca log dump --json` document in pieces, formatted as JSON.stringify(doc, null, 2)
 * would format it: `version`, `mac` (when checked), `backend`, `program_sha256`, `function`,
 * `args`, `env` (names), `invocations`, `inputs`, `end`.
 */
export function* logJsonChunks(log: LogView): Generator<string> {
  const fields = jsonFields(log);
  yield "{";
  for (let f = 0; f < fields.length; f++) {
    const [key, value] = fields[f]!;
    yield `${f === 0 ? "" : ","}\n  ${JSON.stringify(key)}: `;
    const lazy = (value as { lazy?: Iterable<Invocation> }).lazy;
    if (lazy) {
      let first = true;
      for (const inv of lazy) {
        yield `${first ? "[" : ","}\n    ${indent(JSON.stringify(invocationJson(inv), null, 2), "    ")}`;
        first = false;
      }
      yield first ? "[]" : "\n  ]";
    } else {
      yield indent(JSON.stringify(value, null, 2), "  ");
    }
  }
  yield "\n}\n";
}

/** The `alpaca log dump --json` document as an object (a small log, whole). */
export function logToJson(log: EffectLog): Record<string, unknown> {
  return JSON.parse([...logJsonChunks({ ...log, invocationCount: log.invocations.length })].join("")) as Record<string, unknown>;
}

function shortHex(bytes: Uint8Array, max = 32): string {
  const s = hex(bytes.subarray(0, max));
  return bytes.length > max ? `${s}… (${bytes.length} bytes)` : s;
}

function valueText(v: Value): string {
  const j = valueToJson(v);
  if ("bits" in j) return `${v.type} ${String(j.value)} (${j.bits})`;
  return `${v.type} ${"bytes" in j ? j.bytes : String(j.value)}`;
}

const MAC_TEXT: Record<MacVerdict, string> = {
  verified: "verified with your key",
  mismatch: "DOES NOT VERIFY with your key: edited after it was written, or written by another user (disable refuses it without --trust-log)",
  absent: "none: written by an older alpaca (disable refuses it without --trust-log)",
};

function eventText(e: Event): string {
  switch (e.kind) {
    case "write":
      return `  write  0x${e.addr.toString(16)} +${e.bytes.length} = ${shortHex(e.bytes)}`;
    case "global":
      return `  global ${e.index} = ${valueText(e.value)}`;
    case "grow":
      return `  grow   ${e.fromPages} -> ${e.toPages} pages`;
    case "syscall":
      return `  call   ${e.name}(${e.args.join(", ")}) = ${BigInt.asIntN(64, e.result)}; reads ${e.reads.length}, writes ${e.writes.length}`;
  }
}

/** The human-readable dump in pieces, one invocation each after the head. */
export function* logTextChunks(log: LogView): Generator<string> {
  const h = log.header;
  const head = [
    `alpaca effect log v${log.version} (${h.backend})`,
    ...(log.mac ? [`mac ${MAC_TEXT[log.mac]}`] : []),
    `program sha256 ${hex(h.programSha256)}`,
    `function ${h.functionName} #${h.functionIndex} (${h.params.join(", ")}) -> (${h.results.join(", ")})`,
    `args ${JSON.stringify(h.args)}`,
    `env ${h.env.length === 0 ? "(empty)" : h.env.map((v) => v.name).join(" ")}`,
    `${log.invocationCount} invocations, ${log.inputs.length} recorded inputs, run ${log.end.outcome} ${log.end.exitCode}`,
  ];
  yield head.join("\n") + "\n";
  for (const inv of log.invocations) {
    const how = inv.status === "exited" ? ` exited ${inv.exitCode}` : inv.status === "trapped" ? ` trapped: ${inv.trapMessage}` : "";
    const on = inv.thread !== undefined ? ` on thread ${inv.thread}` : "";
    const lines = [`invocation ${inv.index}${on}${how}: ${inv.events.length} events, returns [${inv.returns.map(valueText).join(", ")}]`, ...inv.events.map(eventText)];
    yield lines.join("\n") + "\n";
  }
}
