/**
 * The energy comparison's side of `alpaca runner` (src/cli/cmd-runner.ts): one process, started
 * once per comparison, that makes every measured run of a WebAssembly program. Each run is a
 * request and an answer (one JSON line each); the guest's streams are files, digested here into
 * the same RunCapture a separately spawned run gives, so runs compare alike whichever way they
 * were made. The process has its own process group: a Ctrl-C at the terminal reaches alpaca,
 * which decides whether the current run may finish. Killing it (the second Ctrl-C) fails the
 * pending run with RunnerKilled.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { EnvironmentError } from "../../errors/index.js";
import type { RunCapture } from "./runner.js";
import type { ReplayStats } from "../types.js";

export interface RunnerRequestSpec {
  mode: "b" | "c" | "d";
  runId: string;
  /** Where the guest's stdout and stderr go (kept when the caller wants them, else removed). */
  outputPrefix: string;
  keepOutput: boolean;
  stdinPath?: string;
}

export interface RunnerResult {
  capture: RunCapture;
  stats?: ReplayStats;
  logChecked?: string;
}

/** One request to the runner: a JSON line on its stdin. */
export interface RunnerRequest {
  id: number;
  mode: "b" | "c" | "d";
  runId: string;
  stdin?: string;
  stdout: string;
  stderr: string;
}

/** The runner's answer: a JSON line on its stdout. */
export interface RunnerAnswer {
  id: number;
  exitCode: number;
  alpacaLines: string[];
  stats?: ReplayStats;
  logChecked?: string;
  wallSeconds: number;
}

/** The runner process was killed (or died) while a run was pending. */
export class RunnerKilled extends Error {}

function digestFile(file: string): { sha256: string; bytes: number } {
  const hash = createHash("sha256");
  let bytes = 0;
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) {
      hash.update(buf.subarray(0, n));
      bytes += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { sha256: hash.digest("hex"), bytes };
}

export class RunnerProcess {
  private nextId = 0;
  private pending: { id: number; resolve: (a: RunnerAnswer) => void; reject: (e: Error) => void } | undefined;
  private exited: string | undefined;
  private readonly stderrTail: string[] = [];

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      let a: RunnerAnswer;
      try {
        a = JSON.parse(line) as RunnerAnswer;
      } catch {
        return;
      }
      if (this.pending && a.id === this.pending.id) {
        const p = this.pending;
        this.pending = undefined;
        p.resolve(a);
      }
    });
    child.stderr!.on("data", (d: Buffer) => {
      this.stderrTail.push(d.toString());
      if (this.stderrTail.length > 20) this.stderrTail.shift();
    });
    child.on("exit", (code, signal) => {
      this.exited = signal ? `killed by ${signal}` : `exited with status ${code}`;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(new RunnerKilled(`the run process ${this.exited}${this.stderrTail.length ? `: ${this.stderrTail.join("").trim().split("\n").slice(-3).join(" / ")}` : ""}`));
    });
  }

  /** Starts `command args` (`node [flags] alpaca.js runner ... PROGRAM ARGS`) with `env`. */
  static start(command: string, args: readonly string[], env: NodeJS.ProcessEnv): RunnerProcess {
    const child = spawn(command, [...args], { stdio: ["pipe", "pipe", "pipe"], env, detached: true });
    child.on("error", () => undefined);
    return new RunnerProcess(child);
  }

  /** Makes one run and captures it as a spawned run would be captured. */
  async run(spec: RunnerRequestSpec): Promise<RunnerResult> {
    if (this.exited) throw new RunnerKilled(`the run process ${this.exited}`);
    const id = this.nextId++;
    const stdout = `${spec.outputPrefix}.stdout`;
    const stderr = `${spec.outputPrefix}.stderr`;
    const answer = new Promise<RunnerAnswer>((resolve, reject) => (this.pending = { id, resolve, reject }));
    const request: RunnerRequest = { id, mode: spec.mode, runId: spec.runId, stdout, stderr };
    if (spec.stdinPath) request.stdin = spec.stdinPath;
    this.child.stdin!.write(`${JSON.stringify(request)}\n`);
    const a = await answer;
    try {
      const out = digestFile(stdout);
      const err = digestFile(stderr);
      const capture: RunCapture = {
        exitCode: a.exitCode,
        signal: null,
        stdoutSha256: out.sha256,
        stdoutBytes: out.bytes,
        stderrSha256: err.sha256,
        stderrBytes: err.bytes,
        alpacaLines: a.alpacaLines.slice(0, 20),
        wallSeconds: a.wallSeconds,
      };
      const result: RunnerResult = { capture };
      if (a.stats) result.stats = a.stats;
      if (a.logChecked) result.logChecked = a.logChecked;
      return result;
    } catch (cause) {
      throw new EnvironmentError(`cannot read the run's output in ${path.dirname(stdout)}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
    } finally {
      if (!spec.keepOutput) {
        fs.rmSync(stdout, { force: true });
        fs.rmSync(stderr, { force: true });
      }
    }
  }

  kill(): void {
    if (!this.exited) this.child.kill("SIGKILL");
  }

  /** Ends the process: no more requests; waits for it to exit. */
  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.kill(), 5_000);
    await done;
    clearTimeout(timer);
  }
}
