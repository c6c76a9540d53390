/** The effect log: format model, streaming encoder, decoder, MACs, human/JSON dumps. Pure core, but for user-key.ts (the key file). */
export * from "./format.js";
export { LogEncoder, encodeLog, encodeMacBlock } from "./encoder.js";
export type { RecordShape } from "./record-shape.js";
export { decodeLog, readInvocations, memorySource, openLog, openLogFrom, BlockCursor, type LogSource, InvocationCursor, type EventVisitor, type InvocationEnd, type OpenedLog, type InvocationBlock, type LogMac } from "./decoder.js";
export { checkedToken, envDifferences, envDigest, envVars, isCheckedToken, logMac, verifyLogMac, type MacVerdict } from "./mac.js";
export { loadUserKey, userKeyPath } from "./user-key.js";
export { checkHeaderMatches, type ReplayTarget } from "./header-match.js";
export { logToJson, logJsonChunks, logTextChunks, type LogView, type LogJson, type InvocationJson, type EventJson, type SyscallJson, type RangeJson, type ValueJson } from "./dump.js";
