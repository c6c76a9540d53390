/**
 * The hook tables of rewritten modules, one description per module kind: which hook sits in
 * which slot, and, for a hook the host gives as a JavaScript function, how many i32 arguments
 * it takes. rewrite.ts emits its `call_indirect`s through these slots and sizes each table
 * from them; the host (src/runtime/hook-module.ts) installs hooks by name from the same
 * description. So rewriter and host agree by name, never by position or by Function.length.
 */

/** One slot of a hook table. `jsParams`: the hook may be a JS function taking that many i32s. */
export interface HookSlot {
  readonly slot: number;
  readonly jsParams?: number;
}

export type HookSlots = Readonly<Record<string, HookSlot>>;

/**
 * Analyzer modules. enter/exit: outermost entry to and return from F (JS, the recorder). mark:
 * a traced store is about to write (addr, size): the recorder's JS hook, the recorder core's,
 * or a Wasm no-op. exitFast: the fast path's exit, always the recorder core's function.
 */
export const ANALYZER_HOOKS = {
  enter: { slot: 0, jsParams: 0 },
  exit: { slot: 1, jsParams: 0 },
  mark: { slot: 2, jsParams: 2 },
  exitFast: { slot: 3 },
} as const satisfies HookSlots;

/**
 * Disabled and control modules. replay: the JS replayer applies the next invocation.
 * coreReplay, coreResult, coreReplayAfter: the replay core's functions (src/runtime/replay-core.c).
 */
export const REPLAY_HOOKS = {
  replay: { slot: 0, jsParams: 0 },
  coreReplay: { slot: 1 },
  coreResult: { slot: 2 },
  coreReplayAfter: { slot: 3 },
} as const satisfies HookSlots;

/** Baseline modules: F runs intact; the table exists so the module has the same shape, and holds nothing. */
export const BASELINE_HOOKS = {} as const satisfies HookSlots;

/** The table size a description needs: one past its highest slot. */
export function hookTableSize(slots: HookSlots): number {
  return Object.values(slots).reduce((n, s) => Math.max(n, s.slot + 1), 0);
}

/** The names of the hooks of `S` that may be JS functions. */
export type JsHookName<S extends HookSlots> = { [K in keyof S]: S[K] extends { jsParams: number } ? K : never }[keyof S];

/** The function type of a JS hook's slot: `jsParams` i32s, no results. */
export function jsHookType(s: HookSlot): { params: "i32"[]; results: [] } {
  return { params: new Array<"i32">(s.jsParams ?? 0).fill("i32"), results: [] };
}
