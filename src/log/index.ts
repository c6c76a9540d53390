/** The effect log: format model, streaming encoder, decoder and human/JSON dumps. Pure core. */
export * from "./format.js";
export { LogEncoder, encodeLog } from "./encoder.js";
export { decodeLog } from "./decoder.js";
export { logToJson, formatLogText } from "./dump.js";
