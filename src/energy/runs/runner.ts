/**
 * Spawns one run of the profiled program (through the `alpaca` launcher) and captures what it
 * did: exit status, and digests of stdout and stderr, so runs can be compared with the analyzed
 * run without keeping their output in memory. Output is discarded unless a directory is given.
 * Lines alpaca itself writes on stderr (`alpaca: ...`) are kept apart from the program's.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";

/** How to start `alpaca`: the same Node binary and engine flags for every run. */
export interface Launcher {
  execPath: string;
  engineArgs: readonly string[];
  launcherPath: string;
}

export interface RunCapture {
  /** Exit status, or null when killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdoutSha256: string;
  stdoutBytes: number;
  /** Digest of stderr without alpaca's own lines. */
  stderrSha256: string;
  stderrBytes: number;
  /** alpaca's own stderr lines (warnings, failures), at most the first 20. */
  alpacaLines: string[];
  wallSeconds: number;
}

export interface RunSpec {
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Write the raw streams to `<prefix>.stdout` / `<prefix>.stderr`. */
  outputPrefix?: string;
  /** The run's stdin (default: none, /dev/null). */
  stdinPath?: string;
  /** Aborted: the run is killed (SIGTERM). */
  kill?: AbortSignal;
}

const STDERR_LIMIT_BYTES = 16 << 20;
const ALPACA_LINE = /^alpaca: /;

/** The guest's stderr minus alpaca's own lines, and those lines. */
export function splitStderr(text: string): { program: string; alpaca: string[] } {
  const program: string[] = [];
  const alpaca: string[] = [];
  for (const line of text.split(/(?<=\n)/)) {
    if (ALPACA_LINE.test(line)) alpaca.push(line.trimEnd());
    else program.push(line);
  }
  return { program: program.join(""), alpaca };
}

/**
 * Runs one command and captures it. The child gets a process group of its own (detached), so a
 * Ctrl-C at the terminal reaches alpaca, which decides whether the run may finish, and not the
 * run itself.
 */
export function runCaptured(spec: RunSpec): Promise<RunCapture> {
  const started = process.hrtime.bigint();
  const stdinFd = spec.stdinPath === undefined ? "ignore" : fs.openSync(spec.stdinPath, "r");
  const child = spawn(spec.command, [...spec.args], { stdio: [stdinFd, "pipe", "pipe"], env: spec.env, detached: true, ...(spec.kill ? { signal: spec.kill } : {}) });
  if (typeof stdinFd === "number") fs.closeSync(stdinFd);
  const stdoutHash = createHash("sha256");
  let stdoutBytes = 0;
  const stderrChunks: Buffer[] = [];
  let stderrBytes = 0;
  const outFile = spec.outputPrefix ? fs.createWriteStream(`${spec.outputPrefix}.stdout`) : undefined;
  const errFile = spec.outputPrefix ? fs.createWriteStream(`${spec.outputPrefix}.stderr`) : undefined;
  // stdout and stderr are pipes (stdio above), so the streams exist.
  child.stdout!.on("data", (chunk: Buffer) => {
    stdoutHash.update(chunk);
    stdoutBytes += chunk.length;
    outFile?.write(chunk);
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    if (stderrBytes < STDERR_LIMIT_BYTES) stderrChunks.push(chunk);
    stderrBytes += chunk.length;
    errFile?.write(chunk);
  });
  const closed = (s: fs.WriteStream | undefined): Promise<void> => (s ? new Promise((r) => s.end(() => r())) : Promise.resolve());
  return new Promise((resolve, reject) => {
    // An abort through spec.kill surfaces as an "error" (AbortError) before "close": the close handler reports it.
    child.on("error", (e) => {
      if ((e as NodeJS.ErrnoException).code !== "ABORT_ERR") reject(e);
    });
    child.on("close", (code, signal) => {
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const { program, alpaca } = splitStderr(Buffer.concat(stderrChunks).toString("utf8"));
      void Promise.all([closed(outFile), closed(errFile)]).then(() =>
        resolve({
          exitCode: code,
          signal,
          stdoutSha256: stdoutHash.digest("hex"),
          stdoutBytes,
          stderrSha256: createHash("sha256").update(program).digest("hex"),
          stderrBytes,
          alpacaLines: alpaca.slice(0, 20),
          wallSeconds,
        }),
      );
    });
  });
}

/** Why `run` did not do what `reference` did, or undefined when it did the same. */
export function compareCaptures(reference: RunCapture, run: RunCapture): string | undefined {
  const why: string[] = [];
  if (run.exitCode !== reference.exitCode || run.signal !== reference.signal) {
    const show = (c: RunCapture): string => (c.signal ? `signal ${c.signal}` : `status ${c.exitCode}`);
    why.push(`exit ${show(run)} instead of ${show(reference)}`);
  }
  if (run.stdoutSha256 !== reference.stdoutSha256) {
    why.push(run.stdoutBytes === reference.stdoutBytes ? `stdout differs (same size, ${run.stdoutBytes} bytes)` : `stdout differs (${run.stdoutBytes} bytes, reference ${reference.stdoutBytes})`);
  }
  if (run.stderrSha256 !== reference.stderrSha256) why.push("stderr differs");
  return why.length ? why.join("; ") : undefined;
}

/** The first `alpaca: ...` failure line of a run that ended with status 125, if any. */
export function alpacaFailure(run: RunCapture): string | undefined {
  if (run.exitCode !== 125) return undefined;
  return run.alpacaLines.find((l) => !/^alpaca: warning: /.test(l));
}
