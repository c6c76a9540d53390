/**
 * `alpaca log dump FILE [--json]`: the effect log for people, or as JSON for programs, with
 * whether its MAC verifies with the user's key. Any log is dumped, verified or not. The log is
 * read block by block, checked whole before anything prints, then printed one invocation at a
 * time: memory stays constant whatever the log's size.
 */
import { writeSync } from "node:fs";
import { Command } from "commander";
import { AlpacaError, UsageError, withContext } from "../errors/index.js";
import type { CliContext } from "./context.js";
import { makeStdoutAndStderrBlocking } from "./stdio.js";

/** Output is gathered into pieces of about this many characters per write. */
const WRITE_CHARS = 1 << 16;

/** Writes the pieces to stdout with blocking writes: a slow reader holds the dump back, not memory. */
function writeAll(chunks: Iterable<string>): void {
  makeStdoutAndStderrBlocking();
  let pending = "";
  try {
    for (const c of chunks) {
      pending += c;
      if (pending.length >= WRITE_CHARS) {
        writeSync(1, pending);
        pending = "";
      }
    }
    if (pending) writeSync(1, pending);
  } catch (error) {
    // The reader went away (`| head`): what it wanted has been written.
    if ((error as NodeJS.ErrnoException).code !== "EPIPE") throw error;
  }
}

export function registerLog(program: Command, ctx: CliContext): void {
  const log = new Command("log").description("inspect effect logs");
  log
    .command("dump")
    .description("print an effect log, and whether it verifies with your key")
    .argument("<file>")
    .option("--json", "print JSON (i64 as decimal strings, floats with their bit patterns)")
    .action(async (path: string, o: { json?: boolean }) => {
      const { loadUserKey, logJsonChunks, logTextChunks, openLogFrom, readInvocations, verifyLogMac } = await import("../log/index.js");
      const { FileLogSource } = await import("../backend/log-source.js");
      let source: InstanceType<typeof FileLogSource>;
      try {
        source = new FileLogSource(path);
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code;
        throw new UsageError(`cannot read log ${path}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : String(code)}`, { cause });
      }
      try {
        const opened = openLogFrom(source);
        const mac = verifyLogMac(opened, source, loadUserKey(ctx.env));
        const view = { ...opened, invocations: readInvocations(opened), mac };
        writeAll(o.json ? logJsonChunks(view) : logTextChunks(view));
      } catch (cause) {
        if (cause instanceof AlpacaError && !(cause instanceof UsageError)) throw withContext(cause, path);
        throw cause;
      } finally {
        source.close();
      }
    });
  program.addCommand(log);
}
