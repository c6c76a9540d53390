/**
 * The contract between the CLI and the two backends (Wasm: src/runtime, x86-64: src/native):
 * one request describes a run in any mode, one outcome describes how it ended. Both backends
 * implement `(req: RunRequest) => Promise<RunOutcome>`; what only one of them takes (the Wasm
 * runner's module cache) is in that backend's own request type.
 */
import type { Logger } from "pino";

/** plain: run unchanged; analyze: record F's effects; disable: replay them instead of F;
 * baseline: the energy-comparison twin of disable, F intact, same rewriting and inputs;
 * control: F runs, then its logged memory effects are applied again (the replay's cost without
 * F's saving; see docs/energy.md). */
export type RunMode = "plain" | "analyze" | "disable" | "control" | "baseline";

export interface DirMapping {
  host: string;
  guest: string;
}

export interface RunRequest {
  mode: RunMode;
  programPath: string;
  /** The program's arguments (argv[1..]); argv[0] is the program's path as given. */
  args: string[];
  /** Target function name; required unless mode is plain. */
  func?: string;
  /** Log to write (analyze) or read (disable, baseline). */
  logPath?: string;
  /** The guest's environment (ALPACA_* already removed). */
  env: Record<string, string>;
  /** Preopened directories. */
  dirs: DirMapping[];
  /** disable: what to do with calls beyond the logged ones. */
  onExtraCalls: "error" | "run";
  /** disable: a re-executed call whose result differs from the log is an error, not a warning. */
  strict: boolean;
  /** disable/control/baseline: do not feed the recorded nondeterministic inputs (clock, random, stdin). */
  liveInputs: boolean;
  logger: Logger;
  /**
   * A token (src/log/mac.ts checkedToken) saying a run already checked every record of the log
   * and its MAC: when the log file still has the identity in it, neither is read again.
   */
  logChecked?: string;
  /** disable/control/baseline: replay a log whose MAC does not verify with the user's key (after a warning). */
  trustLog: boolean;
  /** The user's log key (src/log/user-key.ts), read or made when first asked for: plain runs never touch it. */
  logKey: () => Uint8Array;
  /** disable/control: apply simple records in the replay core (default true; false keeps the replay in JS). */
  replayCore?: boolean;
  /** analyze: how changed memory is found (see src/runtime/recorder.ts); default adaptive. */
  strategy?: "diff" | "marks" | "host-marks" | "adaptive";
  /**
   * plain: count every function's calls and sample the run with V8's profiler every
   * `intervalUs` µs (`alpaca profile`'s first phase; src/runtime/call-profile.ts).
   */
  profile?: { intervalUs: number };
  /** The guest's stdin, stdout and stderr as file descriptors (default 0, 1, 2). */
  stdio?: { stdin: number; stdout: number; stderr: number };
  /** Called right before the guest starts and right after it ends (energy snapshots). */
  notify?: (phase: "start" | "end", childCpuUs?: { user: number; system: number }) => Promise<void>;
}

/** What a disable (or control) run's replay did, for `--stats`. */
export interface ReplayStats {
  invocations: number;
  bytesWritten: number;
  callsReexecuted: number;
  callsAnswered: number;
  replayNs: number;
}

export interface RunOutcome {
  /** The guest's exit status (proc_exit code, or 0 when _start returned). */
  exitCode: number;
  /** Set when the guest trapped; the CLI prints it the same way in every mode. */
  trapMessage?: string;
  /** Things the user should know (fewer calls than logged, result mismatches). */
  warnings: string[];
  /** How the run was done, where it was not the usual way (printed as `alpaca: note: ...`). */
  notes?: string[];
  stats?: ReplayStats;
  /** RunRequest.profile: the run's call counts and times. */
  profile?: CallProfile;
  /** A checked-log token for the log this run wrote or checked (RunRequest.logChecked), for later runs of it. */
  logChecked?: string;
}

/** One function's figures in the profiled run. */
export interface FunctionProfile {
  index: number;
  calls: number;
  selfSeconds: number;
  inclusiveSeconds: number;
}

/** Time two functions share: samples with `outer` on the stack above `inner`. */
export interface NestedTime {
  outer: number;
  inner: number;
  seconds: number;
}

/** What the profiled run measured; written as JSON to ALPACA_PROFILE_FILE by `alpaca run`. */
export interface CallProfile {
  /** The guest's time between the profiler's start and stop, s. */
  durationSeconds: number;
  /** Time of the samples with at least one Wasm frame, s. */
  guestSeconds: number;
  samples: number;
  sampleIntervalUs: number;
  /** Every defined function that was called or sampled. */
  functions: FunctionProfile[];
  /** Nesting among the functions with at least NESTING_SHARE of the guest's time. */
  nested: NestedTime[];
}

/** The warning for an analysis in which F never ran (both backends). */
export function neverCalled(name: string): string {
  return `${name} was never called in this run: the log holds no invocation, and disabling it changes nothing (check the function, the arguments and the input)`;
}
