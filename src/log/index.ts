/** The effect log: format model, streaming encoder, decoder and human/JSON dumps. Pure core. */
export * from "./format.js";
export { LogEncoder, encodeLog } from "./encoder.js";
export { decodeLog, memorySource, openLog, openLogFrom, BlockCursor, type LogSource, InvocationCursor, type EventVisitor, type InvocationEnd, type OpenedLog, type InvocationBlock } from "./decoder.js";
export { logToJson, formatLogText } from "./dump.js";
