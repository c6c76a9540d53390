/**
 * CRC-32 (IEEE 802.3, the zlib polynomial). Uses Node's native `zlib.crc32` (Node ≥ 20.15), about
 * 20 times faster than a JS table (it matters: the analyzer checksums every log block), and
 * falls back to the table-driven version where `zlib.crc32` does not exist.
 */
import * as zlib from "node:zlib";

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of `bytes`, continuing from `seed` (the CRC of preceding bytes) when given. */
export function crc32(bytes: Uint8Array, seed = 0): number {
  return nativeCrc32 ? nativeCrc32(bytes, seed) : crc32Js(bytes, seed);
}

/** The table-driven version, kept for engines without `zlib.crc32` and to check the native one. */
export function crc32Js(bytes: Uint8Array, seed = 0): number {
  let c = ~seed >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
