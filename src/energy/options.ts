/**
 * The energy layer's option vocabulary for the CLI's command definitions: choices and defaults
 * only. A second, light entry point beside index.ts, so that `alpaca --help` and the run
 * commands describe energy options without loading the sampler, the orchestrator and the
 * statistics.
 */
import type { SourceChoice } from "./types.js";

export { DEFAULT_WATTS_PER_CORE } from "./source/model.js";
export { POWERCAP_ROOT } from "./source/powercap.js";

/** `--runs auto`: the cost's 95% CI half-width wanted, as a fraction of the baseline's mean. */
export const DEFAULT_PRECISION = 0.05;
/** `--runs auto`: at most this many runs per variant. */
export const DEFAULT_MAX_RUNS = 30;
/** `--runs auto`: no new round starts after this many seconds. */
export const DEFAULT_MAX_TIME_SECONDS = 600;

/**
 * `--compile`: how V8 compiles a WebAssembly program in energy runs. "optimized": every function
 * by the optimizing tier (TurboFan) before the run starts, so each run executes the same machine
 * code and none of its time goes to compiling or to code that is still at the baseline tier
 * (V8 replaces a Wasm function's code only between calls, so a function called once runs at
 * whatever tier it started with); "tiered": V8's default lazy, tiered compilation, as plain
 * `node` runs a program. Measured on examples/known_costs.wasm: the run-to-run spread of a run's
 * CPU time falls from about 10% (bimodal) to about 1%. docs/energy.md.
 */
export const COMPILE_FLAGS = { optimized: ["--no-liftoff", "--no-wasm-lazy-compilation"], tiered: [] } as const satisfies Record<string, readonly string[]>;
export type CompileMode = keyof typeof COMPILE_FLAGS;
export const COMPILE_CHOICES = Object.keys(COMPILE_FLAGS) as CompileMode[];

/** `--source`: RAPL, the CPU-time model, or RAPL when readable. */
export const SOURCE_CHOICES: readonly SourceChoice[] = ["auto", "rapl", "model"];
