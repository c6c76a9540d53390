/**
 * Opening the log a replay (disable, control, baseline) follows: the one path both backends
 * take. The file is opened, its records and MAC are checked (log-trust.ts) unless this energy
 * command already checked this very file (RunRequest.logChecked), and its header is matched
 * against the run (src/log/header-match.ts). A decode error keeps its class and gets the log's
 * path in front.
 */
import { readFileSync } from "node:fs";
import { AlpacaError, fileErrorReason, UsageError, withContext } from "../errors/index.js";
import { checkHeaderMatches, isCheckedToken, memorySource, openLogFrom, type LogSource, type OpenedLog, type ReplayTarget } from "../log/index.js";
import type { RunRequest } from "./contract.js";
import { FileLogSource } from "./log-source.js";
import { checkLogTrust } from "./log-trust.js";

/** An opened log and the source its invocations are read from; close() when the run ends. */
export interface ReplayLog {
  log: OpenedLog;
  /** The file's identity (FileLogSource.identity) when read block by block. */
  identity?: string;
  close(): void;
}

/** What the run is, for the header check; the request supplies its arguments, environment and key. */
export type ReplayRun = Omit<ReplayTarget, "args" | "env" | "key">;

function openSource(path: string, wholeFile: boolean): { source: LogSource; identity?: string; close: () => void } {
  try {
    if (wholeFile) return { source: memorySource(new Uint8Array(readFileSync(path))), close: () => undefined };
    const source = new FileLogSource(path);
    return { source, identity: source.identity, close: () => source.close() };
  } catch (cause) {
    throw new UsageError(`cannot read log ${path}: ${fileErrorReason(cause, "no such file (run alpaca analyze first)")}`, { cause });
  }
}

/**
 * Opens the log at `path` for a replay of `run`, warning through `warn` (a log replayed under
 * --trust-log, arguments that differ) and throwing a UsageError where it must not replay.
 * `wholeFile` reads it into memory (the native backend keeps invocations across reads); else it
 * is read block by block, whatever its size.
 */
export function openReplayLog(
  path: string,
  req: Pick<RunRequest, "args" | "env" | "logKey" | "trustLog" | "logChecked">,
  run: ReplayRun,
  warn: (s: string) => void,
  options: { wholeFile?: boolean } = {},
): ReplayLog {
  const { source, identity, close } = openSource(path, options.wholeFile ?? false);
  try {
    const key = req.logKey();
    const checked = identity !== undefined && isCheckedToken(key, identity, req.logChecked);
    const log = openLogFrom(source, { checkRecords: !checked });
    if (!checked) checkLogTrust(path, log, source, key, req.trustLog, warn);
    for (const w of checkHeaderMatches(log.header, path, { ...run, args: req.args, env: req.env, key })) warn(w);
    return identity === undefined ? { log, close } : { log, identity, close };
  } catch (cause) {
    close();
    if (cause instanceof AlpacaError && !(cause instanceof UsageError)) throw withContext(cause, path);
    throw cause;
  }
}
