/**
 * How the adaptive recording strategy chooses between diffing and marks, from counts only (never
 * times), so the same program and input always give the same choice and the same log (issue 17).
 * It diffs the first TRIAL_INVOCATIONS invocations, counting the bytes diffing reads; then it
 * records one invocation with marks within a budget of what diffing it would cost, and keeps
 * whichever costs less at fixed per-byte and per-mark costs. A marked invocation that goes over
 * its budget is finished by diffing. An F may change what it does (a table built in its first
 * calls, then small updates on a large heap), so while it diffs, the adaptive strategy tries
 * marks again, the same way, each time the number of invocations doubles: at most one marked
 * invocation, within budget, per doubling. The other way round, an invocation recorded with
 * marks that makes more than twice the marks diffing it would cost (markLimit) sends the run back
 * to diffing, and marks are tried again later in the same way. The recorder (recorder.ts) does
 * the recording; this class only decides.
 */

/** How changed memory is found; "host-marks" is marks without the fast path (every invocation through host hooks), for tests. */
export type Strategy = "diff" | "marks" | "host-marks" | "adaptive";

/** Where the choice stands: "trial-diff" → "trial-marks" → "diff" | "marks"; forced strategies start at their end. */
export type Phase = "trial-diff" | "trial-marks" | "diff" | "marks";
/** How the trial ended, for --verbose and tests. */
export type TrialOutcome = "none" | "marks cheaper" | "diff cheaper" | "marking stopped" | "marks too costly";

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
  /** Marked trials so far (the first one included), for --verbose and tests. */
  trials = 0;
  /** Whether the choice may change: the adaptive strategy where the module can mark. */
  private readonly adaptive: boolean;
  /** After a trial that kept diffing: the invocation count at which marks are tried again. */
  private retryAt = 0;
  /** Invocations diffed since the last marked trial (the first TRIAL_INVOCATIONS before the first). */
  private trialCount = 0;
  /** Bytes diffing read (snapshots and comparisons) over those trialCount invocations. */
  private trialDiffBytes = 0;
  /** The mark count when the trial's marked invocation began. */
  private marksAtTrial = 0;
  /** Marks the trial's marked invocation may make before it costs more than diffing would. */
  private markBudget = 0;

  /** `canMark`: the module has traced copies (without them every strategy diffs). */
  constructor(strategy: Strategy, canMark: boolean) {
    const marks = strategy === "marks" || strategy === "host-marks";
    this.adaptive = strategy === "adaptive" && canMark;
    this.phase = marks && canMark ? "marks" : this.adaptive ? "trial-diff" : "diff";
  }

  /** Whether the next invocation is recorded with marks. */
  get marking(): boolean {
    return this.phase === "marks" || this.phase === "trial-marks";
  }

  /** Whether the choice is still open: in a trial, or diffing under the adaptive strategy (marks may be tried again). */
  get open(): boolean {
    return this.phase === "trial-diff" || this.phase === "trial-marks" || (this.adaptive && this.phase === "diff");
  }

  /** Diffing read `bytes` (a snapshot taken or memory compared): the cost a marked trial must beat. */
  diffed(bytes: number): void {
    if (this.phase === "trial-diff" || (this.adaptive && this.phase === "diff")) this.trialDiffBytes += bytes;
  }

  /**
   * An invocation returned, the `returned`-th; `marksSoFar` is the running count of marks. Returns the new phase
   * when this invocation changed it: "trial-marks" after the diffed invocations, then "marks" or
   * "diff" after the marked one.
   */
  invocationReturned(marksSoFar: number, returned: number): Phase | undefined {
    if (this.phase === "trial-diff" || (this.adaptive && this.phase === "diff")) {
      this.trialCount++;
      if (this.phase === "trial-diff" ? this.trialCount < TRIAL_INVOCATIONS : returned < this.retryAt) return undefined;
      this.markBudget = Math.floor(this.trialDiffBytes / this.trialCount / BYTES_PER_MARK);
      this.marksAtTrial = marksSoFar;
      this.trials++;
      this.phase = "trial-marks";
      return this.phase;
    }
    if (this.phase !== "trial-marks") return undefined;
    this.phase = (marksSoFar - this.marksAtTrial) * BYTES_PER_MARK < this.trialDiffBytes / this.trialCount ? "marks" : "diff";
    this.outcome = this.phase === "marks" ? "marks cheaper" : "diff cheaper";
    if (this.phase === "diff") this.retryLater(returned);
    return this.phase;
  }

  /** Diffing goes on from `returned` invocations; marks are tried again once they have doubled. */
  private retryLater(returned: number): void {
    this.retryAt = 2 * Math.max(returned, TRIAL_INVOCATIONS);
    this.trialCount = 0;
    this.trialDiffBytes = 0;
  }

  /**
   * Marks one invocation may make, once marks are chosen, before marking costs more than twice
   * what diffing that invocation would (a snapshot and a comparison of `memoryBytes`); unlimited
   * for a forced strategy.
   */
  markLimit(memoryBytes: number): number {
    return this.adaptive ? Math.floor((2 * 2 * memoryBytes) / BYTES_PER_MARK) : Infinity;
  }

  /** An invocation recorded with marks went over markLimit, `returned` invocations in: diff, and try marks again later. */
  marksCostly(returned: number): void {
    if (!this.adaptive || this.phase !== "marks") return;
    this.phase = "diff";
    this.outcome = "marks too costly";
    this.retryLater(returned);
  }

  /** Whether the trial's marked invocation has now marked more than diffing it would cost. */
  overBudget(marksSoFar: number): boolean {
    return marksSoFar - this.marksAtTrial > this.markBudget;
  }

  /**
   * The trial's marked invocation, the one after the `returned`-th, went over budget: it is
   * finished by diffing, and so are the next ones until marks are tried again.
   */
  stopMarking(returned: number): void {
    this.phase = "diff";
    this.outcome = "marking stopped";
    this.retryLater(returned);
  }
}
