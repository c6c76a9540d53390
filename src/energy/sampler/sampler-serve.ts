/**
 * The sampler as a child process of `alpaca energy` (`alpaca sampler --serve`): installs the
 * SIGUSR1 listener, creates the channel directory, then tells the parent over the Node IPC
 * channel that it is ready (pid, channel, zones). Each snapshot goes to the parent as it is
 * taken, before the run that asked for it is acknowledged. Stops on `{type: "stop"}` or when
 * the parent goes away, removing its channel directory.
 */
import * as fs from "node:fs";
import { EnvironmentError, UsageError } from "../../errors/index.js";
import { createChannelDir, Sampler, type SamplerCounts, type SamplerSource, type Snapshot } from "./sampler.js";
import { resolveSource, type SourceChoice } from "../source/source.js";

/** Messages from the sampler to its parent. */
export type SamplerMessage =
  | { type: "ready"; pid: number; channelDir: string; zones: string[]; source: "rapl" | "model"; pollIntervalMs: number }
  | { type: "snapshot"; snapshot: Snapshot }
  | { type: "error"; message: string }
  /** Sent once when stopping: how many signals, requests and background reads it handled. */
  | { type: "counts"; counts: SamplerCounts };

/** Messages from the parent. */
export type SamplerControl = { type: "stop" };

export interface ServeOptions {
  /** Normally explicit (the parent already resolved `auto` and told the user). */
  source: SourceChoice;
  powercapRoot: string;
  wattsPerCore: number;
}

/** Runs until stopped. Throws (before announcing readiness) when the source is unusable. */
export async function serveSampler(options: ServeOptions): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) throw new UsageError("sampler --serve talks to `alpaca energy` over an IPC channel; run `alpaca sampler PROGRAM` instead");
  const resolved = resolveSource(options.source, { powercapRoot: options.powercapRoot, wattsPerCore: options.wattsPerCore });
  const source: SamplerSource = resolved.source.kind === "rapl" ? { kind: "rapl", zones: resolved.source.zones } : resolved.source;
  const channelDir = createChannelDir();
  const post = (message: SamplerMessage): void => {
    if (process.connected) send(message);
  };
  const sampler = new Sampler({
    source,
    channelDir,
    onSnapshot: (snapshot) => post({ type: "snapshot", snapshot }),
    onError: (error) => post({ type: "error", message: error.message }),
  });
  try {
    sampler.start();
  } catch (error) {
    fs.rmSync(channelDir, { recursive: true, force: true });
    throw new EnvironmentError(`sampler: cannot read the counters: ${(error as Error).message}`, { cause: error });
  }
  post({ type: "ready", pid: process.pid, channelDir, zones: [...sampler.zoneLabels], source: source.kind, pollIntervalMs: sampler.pollIntervalMs });
  await new Promise<void>((resolve) => {
    const done = (): void => {
      process.off("message", onMessage);
      process.off("disconnect", done);
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      resolve();
    };
    const onMessage = (message: unknown): void => {
      if ((message as SamplerControl | undefined)?.type === "stop") done();
    };
    process.on("message", onMessage);
    process.on("disconnect", done);
    // Ctrl-C reaches the whole process group: clean up the channel before going.
    process.on("SIGINT", done);
    process.on("SIGTERM", done);
  });
  sampler.stop();
  fs.rmSync(channelDir, { recursive: true, force: true });
  post({ type: "counts", counts: sampler.stats() });
  if (process.connected) process.disconnect();
}
