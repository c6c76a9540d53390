/**
 * What only the Wasm backend takes besides the shared contract (src/backend/contract.ts): the
 * module cache of a process that runs one program many times (the energy runner).
 */
import type { RunRequest } from "../backend/index.js";
import type { RewriteLayout } from "../wasm/index.js";
import type { Program } from "./program.js";

export interface WasmRunRequest extends RunRequest {
  /**
   * What a process that runs the same program many times keeps between runs (the energy
   * runner, src/cli/cmd-runner.ts): the loaded program and each compiled module.
   */
  cache?: RunCache;
}

/** See WasmRunRequest.cache. Fill `replay` only through runWasm. */
export interface RunCache {
  program?: Program;
  /** The program's own module, compiled. */
  plain?: WebAssembly.Module;
  /** Replay modules by variant, function and replay core, compiled. */
  replay: Map<string, { module: WebAssembly.Module; layout: RewriteLayout }>;
}
