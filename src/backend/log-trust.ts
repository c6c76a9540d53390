/**
 * Effect logs are untrusted input (docs/threat-model.md): a log replays only when its MAC
 * verifies with the user's key, or when the user said --trust-log, and then after a warning.
 * Shared by the Wasm and native backends.
 */
import { AlpacaError, UsageError, withContext } from "../errors/index.js";
import { openLogFrom, verifyLogMac, type LogSource, type MacVerdict, type OpenedLog } from "../log/index.js";
import { FileLogSource } from "./log-source.js";

const WHY: Record<Exclude<MacVerdict, "verified">, string> = {
  absent: "carries no MAC (it was written by an older alpaca)",
  mismatch: "does not verify with your key (it was edited after it was written, or written by another user)",
};

/** Throws a UsageError for a log that does not verify, unless `trustLog`; then warns. */
export function checkLogTrust(path: string, log: OpenedLog, source: LogSource, key: Uint8Array, trustLog: boolean, warn: (s: string) => void): void {
  const verdict = verifyLogMac(log, source, key);
  if (verdict === "verified") return;
  if (!trustLog) throw new UsageError(`log ${path} ${WHY[verdict]}; analyze again, or pass --trust-log to replay it anyway`);
  warn(`log ${path} ${WHY[verdict]}; replaying it because of --trust-log`);
}

/** checkLogTrust for the log file at `path` (a malformed log is a UsageError naming it). */
export function checkLogFileTrust(path: string, key: Uint8Array, trustLog: boolean, warn: (s: string) => void): void {
  let source: FileLogSource;
  try {
    source = new FileLogSource(path);
  } catch (cause) {
    throw new UsageError(`cannot read log ${path}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
  }
  try {
    checkLogTrust(path, openLogFrom(source), source, key, trustLog, warn);
  } catch (cause) {
    if (cause instanceof AlpacaError && !(cause instanceof UsageError)) throw withContext(cause, path);
    throw cause;
  } finally {
    source.close();
  }
}
