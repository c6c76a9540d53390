/** Hook tables filled by name: slots and arities come from the module kind's description, not from positions or Function.length. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AlpacaError } from "../errors/index.js";
import { ANALYZER_HOOKS, hookTableSize, REPLAY_HOOKS, type HookSlots } from "../wasm/index.js";
import { HookTable } from "./hook-module.js";

const tableFor = (size: number) => new WebAssembly.Table({ element: "anyfunc", initial: size });
const call = (t: WebAssembly.Table, slot: number, ...args: number[]): unknown => (t.get(slot) as (...a: number[]) => unknown)(...args);

describe("hook tables", () => {
  it("sizes each kind's table from its description", () => {
    assert.equal(hookTableSize(ANALYZER_HOOKS), 4);
    assert.equal(hookTableSize(REPLAY_HOOKS), 4);
  });

  it("puts each named JS hook in its slot, taking the arguments its slot declares", () => {
    const table = tableFor(hookTableSize(ANALYZER_HOOKS));
    const seen: string[] = [];
    // A rest-parameter hook has Function.length 0: the slot's description, not the length, says mark takes two.
    new HookTable(table, ANALYZER_HOOKS).install({
      enter: () => seen.push("enter"),
      exit: () => seen.push("exit"),
      mark: (...a: number[]) => seen.push(`mark ${a.join(",")}`),
    });
    call(table, ANALYZER_HOOKS.enter.slot);
    call(table, ANALYZER_HOOKS.mark.slot, 4096, 8);
    call(table, ANALYZER_HOOKS.exit.slot);
    assert.deepEqual(seen, ["enter", "mark 4096,8", "exit"]);
    assert.equal(table.get(ANALYZER_HOOKS.exitFast.slot), null);
  });

  it("replaces one hook by name, JS or Wasm, leaving the others", () => {
    const table = tableFor(hookTableSize(REPLAY_HOOKS));
    const hooks = new HookTable(table, REPLAY_HOOKS);
    let replays = 0;
    hooks.install({ replay: () => replays++ });
    const other = new WebAssembly.Table({ element: "anyfunc", initial: 1 });
    new HookTable(other, { only: { slot: 0, jsParams: 0 } }).install({ only: () => (replays += 10) });
    hooks.setWasm("coreReplay", other.get(0) as WebAssembly.ExportValue);
    call(table, REPLAY_HOOKS.replay.slot);
    call(table, REPLAY_HOOKS.coreReplay.slot);
    assert.equal(replays, 11);
  });

  it("refuses a JS function for a hook that takes Wasm functions only", () => {
    const hooks = new HookTable<HookSlots>(tableFor(4), ANALYZER_HOOKS);
    assert.throws(() => hooks.install({ exitFast: () => undefined }), (e: unknown) => e instanceof AlpacaError && /hook exitFast takes a Wasm function/.test(e.message));
  });
});
