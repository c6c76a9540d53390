/** The Wasm backend: running WASI programs on Node's engine in every mode (src/backend/contract.ts). */
export { runWasm, TRAP_EXIT_STATUS } from "./run-wasm.js";
export { loadProgram, resolveFunction, readProgramFile } from "./program.js";
export type { RunCache, WasmRunRequest } from "./types.js";
