/**
 * `alpaca functions PROGRAM [--json] [--mangled] [--grep PATTERN]`: index, name, signature and
 * body size of each function. Names are shown demangled (Rust without its hash), as --func takes
 * them; --mangled shows the symbols as the program holds them.
 */
import type { Command } from "commander";
import { UsageError } from "../errors/index.js";
import type { CliContext } from "./context.js";
import { isNativeProgram } from "./run-request.js";

interface FunctionRow {
  index: number;
  name: string;
  signature: string;
  sizeBytes: number;
  imported?: boolean;
}

async function listWasmFunctions(path: string): Promise<FunctionRow[]> {
  const { funcName, funcType } = await import("../wasm/index.js");
  const m = (await import("../runtime/index.js")).loadProgram(path).module;
  const rows: FunctionRow[] = [];
  const total = m.importedFuncCount + m.bodies.length;
  for (let i = 0; i < total; i++) {
    const t = funcType(m, i);
    const row: FunctionRow = {
      index: i,
      name: funcName(m, i),
      signature: `(${t.params.join(", ")}) -> (${t.results.join(", ")})`,
      sizeBytes: i < m.importedFuncCount ? 0 : m.bodies[i - m.importedFuncCount]!.bytes.length,
    };
    if (i < m.importedFuncCount) row.imported = true;
    rows.push(row);
  }
  return rows;
}

export function registerFunctions(program: Command, ctx: CliContext): void {
  program
    .command("functions")
    .description("list the functions of PROGRAM")
    .argument("<program>")
    .option("--json", "print JSON")
    .option("--mangled", "show symbols as the program holds them, not demangled")
    .option("--grep <pattern>", "only functions whose name matches PATTERN (a regular expression, case-insensitive)")
    .action(async (path: string, o: { json?: boolean; mangled?: boolean; grep?: string }) => {
      let pattern: RegExp | undefined;
      try {
        if (o.grep !== undefined) pattern = new RegExp(o.grep, "i");
      } catch (cause) {
        throw new UsageError(`--grep ${o.grep}: not a regular expression (${(cause as Error).message})`, { cause });
      }
      const all: FunctionRow[] = isNativeProgram(path)
        ? await (await import("../native/index.js")).listNativeFunctions(path)
        : await listWasmFunctions(path);
      const { displayName } = await import("../names/resolve-name.js");
      const rows = all
        .map((r) => {
          const shown = o.mangled ? r.name : displayName(r.name);
          return { ...r, symbol: r.name, name: shown };
        })
        .filter((r) => !pattern || pattern.test(r.name) || pattern.test(r.symbol));
      if (o.json) {
        ctx.out(JSON.stringify(rows.map((r) => ({
          index: r.index, name: r.name, ...(r.symbol !== r.name ? { symbol: r.symbol } : {}),
          signature: r.signature, size_bytes: r.sizeBytes, ...(r.imported ? { imported: true } : {}),
        })), null, 2) + "\n");
        return;
      }
      const width = Math.max(5, ...rows.map((r) => String(r.index).length));
      ctx.out(rows.map((r) => `${String(r.index).padStart(width)}  ${r.name}  ${r.signature}  ${r.imported ? "imported" : `${r.sizeBytes} bytes`}`).join("\n") + "\n");
    });
}
