/** The adaptive strategy's choice, from counts alone: the trial's phases, both verdicts, the budget, trials again at doubling counts, and forced strategies. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AdaptiveChoice, BYTES_PER_MARK, TRIAL_INVOCATIONS } from "./adaptive-choice.js";

/** How many invocations each choice has seen return: the recorder passes its own count. */
const returnedSoFar = new WeakMap<AdaptiveChoice, number>();

/** One more invocation returned, after `marks` marks in all. */
function returnedOne(c: AdaptiveChoice, marks: number): ReturnType<AdaptiveChoice["invocationReturned"]> {
  const n = (returnedSoFar.get(c) ?? 0) + 1;
  returnedSoFar.set(c, n);
  return c.invocationReturned(marks, n);
}

/** The invocation now running went over its budget. */
function stopMarkingNow(c: AdaptiveChoice): void {
  c.stopMarking(returnedSoFar.get(c) ?? 0);
}

/** Runs the diffed part of the trial: TRIAL_INVOCATIONS invocations each diffing `bytes`. */
function diffTrial(c: AdaptiveChoice, bytes: number): void {
  for (let i = 0; i < TRIAL_INVOCATIONS; i++) {
    assert.equal(c.phase, "trial-diff");
    assert.equal(c.marking, false);
    c.diffed(bytes);
    const next = returnedOne(c, 0);
    assert.equal(next, i === TRIAL_INVOCATIONS - 1 ? "trial-marks" : undefined);
  }
}

describe("adaptive choice", () => {
  it("keeps marks when the marked invocation cost less than the trial's average diff", () => {
    const c = new AdaptiveChoice("adaptive", true);
    diffTrial(c, 1 << 20);
    assert.equal(c.marking, true);
    // 1 MiB a diffed invocation is worth 8192 marks; 100 marks is cheaper.
    assert.equal(c.overBudget(100), false);
    assert.equal(returnedOne(c, 100), "marks");
    assert.deepEqual([c.phase, c.outcome, c.open], ["marks", "marks cheaper", false]);
    assert.equal(returnedOne(c, 1e9), undefined, "the choice is final");
  });

  it("goes back to diffing when the marked invocation cost more", () => {
    const c = new AdaptiveChoice("adaptive", true);
    diffTrial(c, 4096);
    // 4 KiB a diffed invocation is worth 32 marks; 32 marks is not cheaper.
    assert.equal(returnedOne(c, 4096 / BYTES_PER_MARK), "diff");
    assert.deepEqual([c.phase, c.outcome], ["diff", "diff cheaper"]);
  });

  it("stops marking as soon as the marked invocation goes over its budget", () => {
    const c = new AdaptiveChoice("adaptive", true);
    returnedOne(c, 0);
    for (let i = 1; i < TRIAL_INVOCATIONS; i++) returnedOne(c, 0);
    // Nothing diffed: the budget is 0 marks, the first mark is over it.
    assert.equal(c.phase, "trial-marks");
    assert.equal(c.overBudget(0), false);
    assert.equal(c.overBudget(1), true);
    stopMarkingNow(c);
    assert.deepEqual([c.phase, c.outcome, c.marking], ["diff", "marking stopped", false]);
  });

  it("counts marks from where the trial's marked invocation began", () => {
    const c = new AdaptiveChoice("adaptive", true);
    for (let i = 0; i < TRIAL_INVOCATIONS; i++) {
      c.diffed(1280);
      returnedOne(c, 500);
    }
    // Budget: 1280 / 128 = 10 marks beyond the 500 already counted.
    assert.equal(c.overBudget(510), false);
    assert.equal(c.overBudget(511), true);
  });

  it("after settling on diffing, tries marks again each time the invocations double, with a budget from the diffing since", () => {
    const c = new AdaptiveChoice("adaptive", true);
    diffTrial(c, 4096);
    assert.equal(returnedOne(c, 1000), "diff"); // 9 returned: the next trial at 18
    assert.equal(c.open, true);
    for (let returned = 10; returned < 18; returned++) {
      c.diffed(1 << 20);
      assert.equal(returnedOne(c, 1000), undefined);
    }
    c.diffed(1 << 20);
    assert.equal(returnedOne(c, 1000), "trial-marks");
    assert.equal(c.trials, 2);
    // F changed: 1 MiB diffed an invocation is now worth 8192 marks, and 10 marks is cheaper.
    assert.equal(c.overBudget(1000 + 8192), false);
    assert.equal(c.overBudget(1000 + 8193), true);
    assert.equal(returnedOne(c, 1010), "marks");
    assert.equal(c.open, false);
  });

  it("after marking stopped, diffs until the invocations double, then tries again", () => {
    const c = new AdaptiveChoice("adaptive", true);
    diffTrial(c, 0);
    stopMarkingNow(c); // during the 9th invocation: 8 returned, the next trial at 16
    assert.equal(returnedOne(c, 5), undefined);
    for (let returned = 10; returned < 16; returned++) assert.equal(returnedOne(c, 5), undefined);
    assert.equal(returnedOne(c, 5), "trial-marks");
    stopMarkingNow(c); // 16 returned: the next trial at 32
    for (let returned = 17; returned < 32; returned++) assert.equal(returnedOne(c, 9), undefined);
    assert.equal(returnedOne(c, 9), "trial-marks");
    assert.equal(c.trials, 3);
  });

  it("does not trial a forced strategy, nor marks without traced copies", () => {
    assert.equal(new AdaptiveChoice("diff", true).phase, "diff");
    assert.equal(new AdaptiveChoice("marks", true).phase, "marks");
    assert.equal(new AdaptiveChoice("host-marks", true).phase, "marks");
    assert.equal(new AdaptiveChoice("marks", false).phase, "diff");
    assert.equal(new AdaptiveChoice("adaptive", false).phase, "diff");
    const forced = new AdaptiveChoice("diff", true);
    forced.diffed(1 << 30);
    for (let i = 0; i < 100; i++) assert.equal(returnedOne(forced, 0), undefined);
    assert.equal(forced.open, false);
  });
});
