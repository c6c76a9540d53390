/** `alpaca log dump FILE [--json]`: the effect log for people, or as JSON for programs. */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { AlpacaError, UsageError } from "../errors/index.js";
import type { CliContext } from "./context.js";

export function registerLog(program: Command, ctx: CliContext): void {
  const log = new Command("log").description("inspect effect logs");
  log
    .command("dump")
    .description("print an effect log")
    .argument("<file>")
    .option("--json", "print JSON (i64 as decimal strings, floats with their bit patterns)")
    .action(async (path: string, o: { json?: boolean }) => {
      const { decodeLog, formatLogText, logToJson } = await import("../log/index.js");
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(path);
      } catch (cause) {
        throw new UsageError(`cannot read log ${path}: ${(cause as NodeJS.ErrnoException).code ?? "error"}`, { cause });
      }
      let decoded;
      try {
        decoded = decodeLog(bytes);
      } catch (cause) {
        if (cause instanceof AlpacaError) throw new UsageError(`${path}: ${cause.message}`, { cause });
        throw cause;
      }
      ctx.out(o.json ? JSON.stringify(logToJson(decoded), null, 2) + "\n" : formatLogText(decoded));
    });
  program.addCommand(log);
}
