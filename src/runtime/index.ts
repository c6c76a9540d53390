/** Running WASI programs on Node's engine in every mode; the contract types shared with the CLI. */
export { runWasm, readLogFor, TRAP_EXIT_STATUS } from "./run-wasm.js";
export { loadProgram, resolveFunction, readProgramFile } from "./program.js";
export { LogFile } from "./log-file.js";
export type * from "./types.js";
