/**
 * Starts alpaca-native-helper and carries frames to and from it over fd 3. The target inherits
 * the CLI's stdin, stdout and stderr through the helper; the control socket is close-on-exec
 * in the helper, so the target never sees it. Frames arrive in order through `next()`.
 */
import { InternalError } from "../errors/index.js";
import { spawn, type ChildProcess } from "node:child_process";
import type { Duplex } from "node:stream";
import { encodeFrame, FrameSplitter, type Frame } from "./protocol.js";

export class HelperChannel {
  private readonly splitter = new FrameSplitter();
  private readonly queue: Frame[] = [];
  private waiter: { resolve: (f: Frame) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private readonly socket: Duplex;
  /** Resolves when the helper process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(private readonly child: ChildProcess) {
    const socket = child.stdio[3];
    if (!socket || !("write" in socket)) throw new InternalError("helper: no control socket");
    this.socket = socket as Duplex;
    this.socket.on("data", (chunk: Buffer) => {
      try {
        for (const f of this.splitter.push(chunk)) this.deliver(f);
      } catch (e) {
        this.fail(e instanceof Error ? e : new Error(String(e)));
      }
    });
    this.socket.on("error", (e) => this.fail(e));
    this.socket.on("close", () => this.fail(new Error("helper: control connection closed")));
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => resolve({ code, signal }));
      child.on("error", (e) => {
        this.fail(e);
        resolve({ code: null, signal: null });
      });
    });
  }

  /** Spawns the helper for PROGRAM with exactly `env` and `args` (argv[0] is programPath). */
  static start(helperPath: string, programPath: string, args: readonly string[], env: Record<string, string>, helperArgs: readonly string[] = []): HelperChannel {
    const child = spawn(helperPath, ["--ctl-fd", "3", ...helperArgs, "--", programPath, ...args], {
      env,
      stdio: ["inherit", "inherit", "inherit", "pipe"],
    });
    return new HelperChannel(child);
  }

  private deliver(f: Frame): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve(f);
    } else {
      this.queue.push(f);
    }
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.reject(e);
    }
  }

  /** The next frame from the helper. */
  next(): Promise<Frame> {
    const f = this.queue.shift();
    if (f) return Promise.resolve(f);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  send(type: number, payload?: Uint8Array): void {
    this.socket.write(encodeFrame(type, payload));
  }

  /** Sends a command and waits for the helper's answer. */
  request(type: number, payload?: Uint8Array): Promise<Frame> {
    this.send(type, payload);
    return this.next();
  }

  /** Ends the helper (and with it the target: PTRACE_O_EXITKILL). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    this.socket.destroy();
  }
}
