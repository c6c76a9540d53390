/**
 * Turns a decoded log into JSON for programs (`alpaca log dump --json`) and text for people.
 * JSON conventions: i64 values and 64-bit arguments as decimal strings; floats as
 * `{bits: "0x...", value}` with value a number, or "NaN"/"Infinity"/"-Infinity" strings;
 * memory bytes as lowercase hex. Pure.
 */
import type { EffectLog, Event, MemoryRange, SyscallEvent, Value } from "./format.js";

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

function floatJson(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

/** JSON form of a value: integers as numbers (i32, signed) or decimal strings (i64). */
export function valueToJson(v: Value): Record<string, unknown> {
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

function rangeJson(r: MemoryRange): Record<string, unknown> {
  return { addr: r.addr, size: r.bytes.length, bytes: hex(r.bytes) };
}

function syscallJson(c: SyscallEvent): Record<string, unknown> {
  return {
    kind: "syscall",
    name: c.name,
    args: c.args.map((a) => a.toString()),
    reads: c.reads.map(rangeJson),
    writes: c.writes.map(rangeJson),
    result: BigInt.asIntN(64, c.result).toString(),
  };
}

function eventJson(e: Event): Record<string, unknown> {
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

/** The `alpaca log dump --json` document. */
export function logToJson(log: EffectLog): Record<string, unknown> {
  const h = log.header;
  return {
    version: log.version,
    backend: h.backend,
    program_sha256: hex(h.programSha256),
    function: { name: h.functionName, index: h.functionIndex, params: h.params, results: h.results },
    args: h.args,
    env: h.env,
    invocations: log.invocations.map((inv) => ({
      index: inv.index,
      status: inv.status,
      ...(inv.status === "exited" ? { exit_code: inv.exitCode } : {}),
      ...(inv.status === "trapped" ? { trap: inv.trapMessage } : {}),
      returns: inv.returns.map(valueToJson),
      events: inv.events.map(eventJson),
    })),
    inputs: log.inputs.map((i) => ({ inside_function: i.insideF, ...syscallJson(i.call) })),
    end: { outcome: log.end.outcome, exit_code: log.end.exitCode },
  };
}

function shortHex(bytes: Uint8Array, max = 32): string {
  const s = hex(bytes.subarray(0, max));
  return bytes.length > max ? `${s}… (${bytes.length} bytes)` : s;
}

function valueText(v: Value): string {
  const j = valueToJson(v);
  return "bits" in j ? `${v.type} ${String(j.value)} (${String(j.bits)})` : `${v.type} ${String(j.value ?? j.bytes)}`;
}

/** The human-readable dump. */
export function formatLogText(log: EffectLog): string {
  const h = log.header;
  const lines = [
    `alpaca effect log v${log.version} (${h.backend})`,
    `program sha256 ${hex(h.programSha256)}`,
    `function ${h.functionName} #${h.functionIndex} (${h.params.join(", ")}) -> (${h.results.join(", ")})`,
    `args ${JSON.stringify(h.args)}`,
    `${log.invocations.length} invocations, ${log.inputs.length} recorded inputs, run ${log.end.outcome} ${log.end.exitCode}`,
  ];
  for (const inv of log.invocations) {
    const how = inv.status === "exited" ? ` exited ${inv.exitCode}` : inv.status === "trapped" ? ` trapped: ${inv.trapMessage}` : "";
    lines.push(`invocation ${inv.index}${how}: ${inv.events.length} events, returns [${inv.returns.map(valueText).join(", ")}]`);
    for (const e of inv.events) {
      switch (e.kind) {
        case "write":
          lines.push(`  write  0x${e.addr.toString(16)} +${e.bytes.length} = ${shortHex(e.bytes)}`);
          break;
        case "global":
          lines.push(`  global ${e.index} = ${valueText(e.value)}`);
          break;
        case "grow":
          lines.push(`  grow   ${e.fromPages} -> ${e.toPages} pages`);
          break;
        case "syscall":
          lines.push(`  call   ${e.name}(${e.args.join(", ")}) = ${BigInt.asIntN(64, e.result)}; reads ${e.reads.length}, writes ${e.writes.length}`);
          break;
      }
    }
  }
  return lines.join("\n") + "\n";
}
