/**
 * The C view of the log format: the tags the in-Wasm cores (src/runtime/recorder-core.c and
 * replay-core.c) write and read, generated from format.ts so that the format has one
 * definition. `make log-format-h` writes it to src/runtime/log-format.h; a unit test
 * (src/log/format-header.test.ts) fails when the committed header is not what this prints.
 *   node --import tsx src/log/format-header.ts > src/runtime/log-format.h
 */
import { fileURLToPath } from "node:url";
import { EVENT, FORM, STATUS, STATUS_THREAD_FLAG, VALTYPE } from "./format.js";

const define = (prefix: string, table: Readonly<Record<string, number>>): string[] =>
  Object.entries(table).map(([name, v]) => `#define ${prefix}_${name.toUpperCase()} 0x${v.toString(16).padStart(2, "0")}`);

/** The text of src/runtime/log-format.h. */
export function formatHeader(): string {
  return [
    "/* Generated from src/log/format.ts by src/log/format-header.ts (make log-format-h): do not edit. */",
    "#ifndef ALPACA_LOG_FORMAT_H",
    "#define ALPACA_LOG_FORMAT_H",
    "",
    "/* How an invocation record is written (v2). */",
    ...define("FORM", FORM),
    "/* How an invocation ended (v1), and the thread flag of its status byte (v4). */",
    ...define("STATUS", STATUS),
    `#define STATUS_THREAD_FLAG 0x${STATUS_THREAD_FLAG.toString(16)}`,
    "/* Event tags inside an invocation record (v1). */",
    ...define("EVENT", EVENT),
    "/* Value types (v1). */",
    ...define("TYPE", VALTYPE),
    "",
    "#endif",
    "",
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(formatHeader());
