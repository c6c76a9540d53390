/**
 * The one way tests, end-to-end runners and benchmarks run the alpaca CLI: the compiled
 * launcher (bin/alpaca.js, built by `make build`) in a child Node. runCli collects a run's
 * output (in memory, or in files for long outputs), its exit, wall time and, with GNU time, its
 * CPU time; runCliSync is the same for short synchronous checks; spawnCli hands back the child
 * for tests that stream its output or signal it. Unless a caller gives an environment, runs get
 * the caller's environment less its ALPACA_* variables, so a developer's settings never leak in.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ReplayStats } from "../../src/backend/index.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const LAUNCHER = join(ROOT, "bin/alpaca.js");
/** GNU time, for a run's CPU time (user + system of the CLI and its children). */
const GNU_TIME = "/usr/bin/time";

/** `process.env` without ALPACA_* variables, plus `extra`. */
export function envWithoutAlpaca(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ALPACA_")));
  return { ...clean, ...extra };
}

/** The argv of `alpaca ARGS` with Node flags `nodeArgs`. */
export function cliArgv(args: readonly string[], nodeArgs: readonly string[] = []): string[] {
  return [process.execPath, ...nodeArgs, LAUNCHER, ...args];
}

export interface CliOptions {
  cwd?: string;
  /** The whole environment (default: envWithoutAlpaca()). */
  env?: NodeJS.ProcessEnv;
  /** Bytes for stdin, or a file descriptor to read it from (default: empty). */
  stdin?: string | Buffer | { fd: number };
  /** Node flags before the launcher (--stack-size, --import a timer, ...). */
  nodeArgs?: readonly string[];
  /** Killed with SIGKILL after this long (default: no limit). */
  timeoutMs?: number;
  /** Measure CPU time with GNU time where it is installed. */
  timed?: boolean;
  /** Send stdout and stderr to files in this folder instead of pipes (outputs of any size, no reader in the loop). */
  outputDir?: string;
  /** A program that runs the CLI's Node (`wrapper node bin/alpaca.js ARGS`), e.g. one that forbids ptrace. */
  wrapper?: string;
}

export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  wallMs: number;
  /** User + system CPU time of the CLI and its children, when `timed` and GNU time is here. */
  cpuMs?: number;
}

/** Runs `alpaca ARGS` to its end. */
export async function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliRun> {
  const timeFile = opts.timed && existsSync(GNU_TIME) ? join(opts.outputDir ?? opts.cwd ?? ROOT, `.time-${process.pid}-${process.hrtime.bigint()}`) : undefined;
  const node = [...(opts.wrapper ? [opts.wrapper] : []), ...cliArgv(args, opts.nodeArgs)];
  const argv = timeFile ? [GNU_TIME, "-f", "%e %U %S", "-o", timeFile, ...node] : node;
  const files = opts.outputDir ? { out: join(opts.outputDir, "stdout"), err: join(opts.outputDir, "stderr") } : undefined;
  const outFd = files ? openSync(files.out, "w") : undefined;
  const errFd = files ? openSync(files.err, "w") : undefined;
  const stdinFd = typeof opts.stdin === "object" && !Buffer.isBuffer(opts.stdin) ? opts.stdin.fd : "pipe";
  const started = process.hrtime.bigint();
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: opts.cwd ?? ROOT, env: opts.env ?? envWithoutAlpaca(), stdio: [stdinFd, outFd ?? "pipe", errFd ?? "pipe"],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on("data", (b: Buffer) => out.push(b));
  child.stderr?.on("data", (b: Buffer) => err.push(b));
  if (child.stdin) {
    child.stdin.on("error", () => undefined); // the program may exit without reading its input
    child.stdin.end(typeof opts.stdin === "string" || Buffer.isBuffer(opts.stdin) ? opts.stdin : "");
  }
  let timedOut = false;
  const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, opts.timeoutMs);
  const [status, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (c, s) => resolve([c, s]));
  });
  clearTimeout(timer);
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (outFd !== undefined) closeSync(outFd);
  if (errFd !== undefined) closeSync(errFd);
  const run: CliRun = {
    status, signal, timedOut, wallMs,
    stdout: files ? readFileSync(files.out) : Buffer.concat(out),
    stderr: files ? readFileSync(files.err) : Buffer.concat(err),
  };
  if (timeFile) {
    const text = existsSync(timeFile) ? readFileSync(timeFile, "utf8") : "";
    rmSync(timeFile, { force: true });
    // GNU time reports a killed command on a line of its own (and itself exits 128 + signal),
    // and a failed one as "Command exited with non-zero status N" before the format line.
    const killed = /Command terminated by signal (\d+)/.exec(text);
    if (killed) {
      run.status = null;
      const n = Number(killed[1]);
      run.signal = (Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? "SIGKILL") as NodeJS.Signals;
    }
    const m = /^([\d.]+) ([\d.]+) ([\d.]+)\s*$/m.exec(text);
    if (m) run.cpuMs = (Number(m[2]) + Number(m[3])) * 1000;
  }
  return run;
}

/** Runs `alpaca ARGS` synchronously; stdout and stderr as text. */
export function runCliSync(args: readonly string[], opts: Omit<CliOptions, "timed" | "outputDir" | "stdin"> & { input?: string; stdio?: SpawnOptions["stdio"] } = {}): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const argv = cliArgv(args, opts.nodeArgs);
  const r = spawnSync(argv[0]!, argv.slice(1), {
    cwd: opts.cwd ?? ROOT, env: opts.env ?? envWithoutAlpaca(), encoding: "utf8",
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    ...(opts.stdio !== undefined ? { stdio: opts.stdio } : {}),
    ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** Starts `alpaca ARGS` and returns the child, for tests that stream its output or signal it. */
export function spawnCli(args: readonly string[], opts: SpawnOptions & { nodeArgs?: readonly string[] } = {}): ChildProcess {
  const { nodeArgs, ...spawnOptions } = opts;
  const argv = cliArgv(args, nodeArgs);
  return spawn(argv[0]!, argv.slice(1), { cwd: ROOT, env: envWithoutAlpaca(), ...spawnOptions });
}

/**
 * Runs `alpaca ARGS` and sends it SIGINT (Ctrl-C) once its stderr matches `when`; resolves
 * with how it ended and what it printed.
 */
export function runCliInterrupted(args: readonly string[], when: RegExp, env: NodeJS.ProcessEnv = envWithoutAlpaca()): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let sent = false;
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on("data", (c: Buffer) => {
      stderr += c.toString();
      if (!sent && when.test(stderr)) {
        sent = true;
        child.kill("SIGINT");
      }
    });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** The replay statistics a disabled or control run wrote to ALPACA_STATS_FILE, if it wrote any. */
export function readStatsFile(path: string): (ReplayStats & { logChecked?: string }) | undefined {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, "utf8")) as ReplayStats & { logChecked?: string };
}
