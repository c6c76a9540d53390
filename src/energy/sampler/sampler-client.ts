/**
 * The orchestrator's handle on a sampler child process (sampler-serve.ts): spawns it, waits
 * for readiness, collects the snapshots it reports, and hands a run's snapshots over once both
 * have arrived. The child's stderr is kept (last lines) to explain a failure.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { EnvironmentError } from "../../errors/index.js";
import type { SamplerControl, SamplerMessage } from "./sampler-serve.js";
import type { SamplerCounts, Snapshot } from "./sampler.js";

export interface SamplerCommand {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

const STDERR_KEEP_BYTES = 4096;

export class SamplerProcess {
  readonly snapshots: Snapshot[] = [];
  readonly errors: string[] = [];
  /** The sampler's own counts, reported when it stops. */
  counts: SamplerCounts | undefined;
  private waiters: (() => void)[] = [];
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly channelDir: string,
    readonly zoneLabels: readonly string[],
    readonly source: "rapl" | "model",
    readonly pollIntervalMs: number,
    private readonly stderrTail: () => string,
  ) {
    child.on("message", (m: SamplerMessage) => {
      if (m.type === "snapshot") this.snapshots.push(m.snapshot);
      else if (m.type === "error") this.errors.push(m.message);
      else if (m.type === "counts") this.counts = m.counts;
      this.wake();
    });
    child.on("exit", () => {
      this.exited = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Starts a sampler and resolves once it is listening. */
  static spawn(cmd: SamplerCommand, readyTimeoutMs = 30_000): Promise<SamplerProcess> {
    const child = spawn(cmd.command, cmd.args, {
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "advanced",
      env: cmd.env ?? process.env,
      // Its own process group: a Ctrl-C at the terminal must not end it before the report.
      detached: true,
    });
    let stderr = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP_BYTES);
    });
    const tail = (): string => stderr.trim().split("\n").filter(Boolean).slice(-1)[0] ?? "";
    return new Promise((resolve, reject) => {
      const errors: string[] = [];
      const fail = (why: string): void => {
        cleanup();
        if (child.exitCode === null) child.kill();
        const detail = errors[0] ?? tail();
        reject(new EnvironmentError(`sampler ${why}${detail ? `: ${detail.replace(/^alpaca: /, "")}` : ""}`));
      };
      const onMessage = (m: SamplerMessage): void => {
        if (m.type === "error") errors.push(m.message);
        if (m.type !== "ready") return;
        cleanup();
        resolve(new SamplerProcess(child, m.pid, m.channelDir, m.zones, m.source, m.pollIntervalMs, tail));
      };
      const onExit = (code: number | null): void => {
        // Let the stderr pipe drain so the reason is in `tail()`.
        setTimeout(() => fail(`exited (status ${code ?? "signal"}) before it was ready`), 50);
      };
      const onError = (error: Error): void => fail(`could not start: ${error.message}`);
      const timer = setTimeout(() => fail(`was not ready within ${readyTimeoutMs} ms`), readyTimeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        child.off("message", onMessage);
        child.off("exit", onExit);
        child.off("error", onError);
      };
      child.on("message", onMessage);
      child.on("exit", onExit);
      child.on("error", onError);
    });
  }

  /** Snapshots whose request carries `runId`, once `count` of them have arrived. */
  async waitForRun(runId: string, count: number, timeoutMs = 10_000): Promise<Snapshot[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.snapshots.filter((s) => s.request?.runId === runId);
      if (found.length >= count) return found;
      if (this.exited) throw new EnvironmentError(`sampler exited during run ${runId}${this.stderrTail() ? `: ${this.stderrTail()}` : ""}`);
      const left = deadline - Date.now();
      if (left <= 0) return found;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Asks the sampler to stop and waits for it to exit (kills it after `timeoutMs`). */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    if (this.child.connected) this.child.send({ type: "stop" } satisfies SamplerControl);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
