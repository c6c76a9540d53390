/** The Wasm core: module reading, instruction walking, rewriting, and the WASI effect table. Pure. */
export * from "./module.js";
export { readModule, isWasm, funcType, funcName } from "./read-module.js";
export { forEachInstruction, skipLocals } from "./instructions.js";
export { buildAnalyzerModule, buildReplayModule, findStackPointer, isPackedReplay, EXPORT, type ReplayVariant } from "./rewrite.js";
export { ANALYZER_HOOKS, BASELINE_HOOKS, REPLAY_HOOKS, hookTableSize, jsHookType, type HookSlot, type HookSlots, type JsHookName } from "./hook-slots.js";
export { buildCountingModule, readCallCounts, EXPORT_CALLS } from "./count-calls.js";
export type { RewriteLayout, Rewritten } from "./rewrite.js";
export { WASI_TABLE, argsToBits, bitsToArgs, writeParts } from "./wasi-table.js";
export type { WasiEntry, WasiContext, WasiArgs, Range, ReplayPolicy, WriteParts } from "./wasi-table.js";
