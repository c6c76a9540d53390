/**
 * What both backends share: the run contract with the CLI, how a program's kind is told, and
 * the effect-log files they write and replay (atomic writing, block-by-block reading, trust).
 */
export * from "./contract.js";
export { ELF_MAGIC, isElf, isElfFile } from "./program-kind.js";
export { LogFile } from "./log-file.js";
export { FileLogSource, logIdentity } from "./log-source.js";
export { checkLogFileTrust, checkLogTrust } from "./log-trust.js";
export { openReplayLog, type ReplayLog, type ReplayRun } from "./replay-log.js";
