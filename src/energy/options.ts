/**
 * The energy layer's option vocabulary for the CLI's command definitions: choices and defaults
 * only. A second, light entry point beside index.ts, so that `alpaca --help` and the run
 * commands describe energy options without loading the sampler, the orchestrator and the
 * statistics.
 */
import type { SourceChoice } from "./types.js";

export { DEFAULT_WATTS_PER_CORE } from "./model.js";
export { POWERCAP_ROOT } from "./powercap.js";

/** `--runs auto`: the cost's 95% CI half-width wanted, as a fraction of the baseline's mean. */
export const DEFAULT_PRECISION = 0.05;
/** `--runs auto`: at most this many runs per variant. */
export const DEFAULT_MAX_RUNS = 30;
/** `--runs auto`: no new round starts after this many seconds. */
export const DEFAULT_MAX_TIME_SECONDS = 600;

/** `--source`: RAPL, the CPU-time model, or RAPL when readable. */
export const SOURCE_CHOICES: readonly SourceChoice[] = ["auto", "rapl", "model"];
