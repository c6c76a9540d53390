/** Byte-level encoding shared by the Wasm and log layers. */
export { ByteReader } from "./byte-reader.js";
export { ByteWriter, copyBytes } from "./byte-writer.js";
export { crc32 } from "./crc32.js";
export { withCapacity } from "./typed-arrays.js";
