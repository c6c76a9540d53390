/**
 * The contract between the CLI and the backends (Wasm in src/wasm + src/runtime, x86-64 in
 * src/native): one request describes a run in any mode, one outcome describes how it ended.
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
  /**
   * What a process that runs the same program many times keeps between runs (the energy
   * runner, src/cli/cmd-runner.ts): the loaded program and each compiled module.
   */
  cache?: RunCache;
  /** Called right before the guest starts and right after it ends (energy snapshots). */
  notify?: (phase: "start" | "end", childCpuUs?: { user: number; system: number }) => Promise<void>;
}

/** See RunRequest.cache. Fill `modules` only through runWasm. */
export interface RunCache {
  program?: import("./program.js").Program;
  /** The program's own module, compiled. */
  plain?: WebAssembly.Module;
  /** Replay modules by variant, function and replay core, compiled. */
  replay: Map<string, { module: WebAssembly.Module; layout: import("../wasm/index.js").RewriteLayout }>;
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
  profile?: import("./call-profile.js").CallProfile;
  /** A checked-log token for the log this run wrote or checked (RunRequest.logChecked), for later runs of it. */
  logChecked?: string;
}
