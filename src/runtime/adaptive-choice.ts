/**
 * How the adaptive recording strategy chooses between diffing and marks, from counts only (never
 * times), so the same program and input always give the same choice and the same log (issue 17).
 * It diffs the first TRIAL_INVOCATIONS invocations, counting the bytes diffing reads; then it
 * records one invocation with marks within a budget of what diffing it would cost, and keeps
 * whichever costs less at fixed per-byte and per-mark costs. A marked invocation that goes over
 * its budget is finished by diffing, and so is the rest of the run. The recorder (recorder.ts)
 * does the recording; this class only decides.
 */

/** How changed memory is found; "host-marks" is marks without the fast path (every invocation through host hooks), for tests. */
export type Strategy = "diff" | "marks" | "host-marks" | "adaptive";

/** Where the choice stands: "trial-diff" → "trial-marks" → "diff" | "marks"; forced strategies start at their end. */
export type Phase = "trial-diff" | "trial-marks" | "diff" | "marks";
/** How the trial ended, for --verbose and tests. */
export type TrialOutcome = "none" | "marks cheaper" | "diff cheaper" | "marking stopped";

/** Invocations the adaptive strategy diffs before it tries marks. */
export const TRIAL_INVOCATIONS = 8;
/**
 * What one host mark costs in bytes of diffing (snapshot copy plus comparison): about 25 ns a
 * mark against 0.2 ns a byte on the development machine. A fixed ratio, so the choice repeats.
 */
export const BYTES_PER_MARK = 128;

export class AdaptiveChoice {
  phase: Phase;
  outcome: TrialOutcome = "none";
  private trialCount = 0;
  /** Bytes the trial's diffing read (snapshots and comparisons), over trialCount invocations. */
  private trialDiffBytes = 0;
  /** The mark count when the trial's marked invocation began. */
  private marksAtTrial = 0;
  /** Marks the trial's marked invocation may make before it costs more than diffing would. */
  private markBudget = 0;

  /** `canMark`: the module has traced copies (without them every strategy diffs). */
  constructor(strategy: Strategy, canMark: boolean) {
    const marks = strategy === "marks" || strategy === "host-marks";
    this.phase = marks && canMark ? "marks" : strategy === "adaptive" && canMark ? "trial-diff" : "diff";
  }

  /** Whether the next invocation is recorded with marks. */
  get marking(): boolean {
    return this.phase === "marks" || this.phase === "trial-marks";
  }

  /** Whether the choice is still open. */
  get inTrial(): boolean {
    return this.phase === "trial-diff" || this.phase === "trial-marks";
  }

  /** Diffing read `bytes` (a snapshot taken or memory compared): trial cost while the trial diffs. */
  diffed(bytes: number): void {
    if (this.phase === "trial-diff") this.trialDiffBytes += bytes;
  }

  /**
   * An invocation returned; `marksSoFar` is the running count of marks. Returns the new phase
   * when this invocation changed it: "trial-marks" after the diffed invocations, then "marks" or
   * "diff" after the marked one.
   */
  invocationReturned(marksSoFar: number): Phase | undefined {
    if (this.phase === "trial-diff") {
      if (++this.trialCount < TRIAL_INVOCATIONS) return undefined;
      this.markBudget = Math.floor(this.trialDiffBytes / this.trialCount / BYTES_PER_MARK);
      this.marksAtTrial = marksSoFar;
      this.phase = "trial-marks";
      return this.phase;
    }
    if (this.phase !== "trial-marks") return undefined;
    this.phase = (marksSoFar - this.marksAtTrial) * BYTES_PER_MARK < this.trialDiffBytes / this.trialCount ? "marks" : "diff";
    this.outcome = this.phase === "marks" ? "marks cheaper" : "diff cheaper";
    return this.phase;
  }

  /** Whether the trial's marked invocation has now marked more than diffing it would cost. */
  overBudget(marksSoFar: number): boolean {
    return marksSoFar - this.marksAtTrial > this.markBudget;
  }

  /** The trial's marked invocation went over budget: it and the rest of the run are diffed. */
  stopMarking(): void {
    this.phase = "diff";
    this.outcome = "marking stopped";
  }
}
