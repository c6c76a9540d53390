/**
 * The run side of the snapshot protocol (see channel.ts): `alpaca run` calls the notifier right
 * before the guest starts and right after it ends. With only `ALPACA_PPID` set it sends SIGUSR1
 * and returns (Alpaca v2 behaviour). With `ALPACA_SAMPLER_CHANNEL` too it writes a request
 * carrying its CPU time, signals, and resolves only once the sampler has taken the snapshot, so
 * the guest never starts before its start snapshot exists.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { EnvironmentError } from "../../errors/index.js";
import {
  ackFileName,
  CHANNEL_VERSION,
  decodeAck,
  DEFAULT_ACK_TIMEOUT_MS,
  ENV_CHANNEL,
  ENV_PPID,
  ENV_RUN_ID,
  ENV_TIMEOUT_MS,
  parsePid,
  requestFileName,
  type Phase,
  type SnapshotAck,
  type SnapshotRequest,
} from "./channel.js";

/**
 * Asks for a snapshot. `childCpuUs`: CPU time spent in other processes of the run that
 * process.cpuUsage does not see (a native program and its ptrace helper), added to this one's.
 */
export type RunNotifier = (phase: Phase, childCpuUs?: { user: number; system: number }) => Promise<void>;

/** True when `pid` exists and this process may signal it. */
export function isSignallable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Fallback check while waiting, in case an inotify event is missed (it should not be). */
const ACK_RECHECK_MS = 50;

/** Resolves with the contents of `dir/name` once it exists; rejects after `timeoutMs` or if `isAlive` turns false. */
function waitForFile(dir: string, name: string, timeoutMs: number, isAlive: () => boolean, what: string): Promise<string> {
  const file = path.join(dir, name);
  return new Promise((resolve, reject) => {
    let watcher: fs.FSWatcher | undefined;
    let settled = false;
    const finish = (error: Error | undefined, text?: string): void => {
      if (settled) return;
      settled = true;
      watcher?.close();
      clearInterval(recheck);
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(text ?? "");
    };
    const check = (): boolean => {
      if (settled) return true;
      try {
        finish(undefined, fs.readFileSync(file, "utf8"));
        return true;
      } catch {
        return false;
      }
    };
    const recheck = setInterval(() => {
      if (!check() && !isAlive()) finish(new EnvironmentError(`sampler exited before acknowledging ${what}`));
    }, ACK_RECHECK_MS);
    const timer = setTimeout(() => {
      if (!check()) finish(new EnvironmentError(`sampler did not acknowledge ${what} within ${timeoutMs} ms`, { hint: `is ${ENV_PPID} a running \`alpaca sampler\`?` }));
    }, timeoutMs);
    try {
      watcher = fs.watch(dir, (_event, filename) => {
        if (filename === name) check();
      });
      watcher.on("error", () => undefined);
    } catch {
      // No inotify: the periodic recheck still finds the file.
    }
    check();
  });
}

/**
 * The notifier `alpaca run` calls at "start" and "end", or undefined when `ALPACA_PPID` is
 * unset, malformed or not a process this one may signal (v2: then no signals are sent). A
 * process that makes many runs (the energy runner) gives `runId`, read at each request; one
 * notifier per process keeps the request numbers unique.
 */
export function createRunNotifier(env: NodeJS.ProcessEnv, runId: () => string | undefined = () => env[ENV_RUN_ID]): RunNotifier | undefined {
  const ppid = parsePid(env[ENV_PPID]);
  if (ppid === undefined || ppid === process.pid || !isSignallable(ppid)) return undefined;
  const channel = env[ENV_CHANNEL];
  if (!channel) {
    return (_phase) => {
      try {
        process.kill(ppid, "SIGUSR1");
      } catch {
        // v2: a sampler that went away just gets no more signals.
      }
      return Promise.resolve();
    };
  }
  const timeoutMs = Number(env[ENV_TIMEOUT_MS] ?? "") || DEFAULT_ACK_TIMEOUT_MS;
  let seq = 0;
  return async (phase, childCpuUs) => {
    const cpu = process.cpuUsage();
    const request: SnapshotRequest = {
      v: CHANNEL_VERSION, pid: process.pid, seq: seq++, phase,
      cpuUserUs: cpu.user + (childCpuUs?.user ?? 0), cpuSystemUs: cpu.system + (childCpuUs?.system ?? 0),
    };
    const id = runId();
    if (id !== undefined) request.runId = id;
    await requestSnapshot(channel, ppid, request, timeoutMs);
  };
}

/**
 * One request/acknowledgement exchange: writes the request, signals `samplerPid`, waits for
 * the sampler's acknowledgement and removes it. Exported for the latency benchmark.
 */
export async function requestSnapshot(channel: string, samplerPid: number, request: SnapshotRequest, timeoutMs = DEFAULT_ACK_TIMEOUT_MS): Promise<SnapshotAck> {
  const name = requestFileName(request.pid, request.seq);
  const tmp = path.join(channel, `.${name}.tmp`);
  try {
    fs.writeFileSync(tmp, JSON.stringify(request));
    fs.renameSync(tmp, path.join(channel, name));
  } catch (error) {
    throw new EnvironmentError(`cannot write a snapshot request in ${channel}: ${(error as Error).message}`, { cause: error });
  }
  const ackName = ackFileName(request.pid, request.seq);
  const acked = waitForFile(channel, ackName, timeoutMs, () => isSignallable(samplerPid), `the ${request.phase} snapshot request ${name} (pid ${samplerPid})`);
  try {
    process.kill(samplerPid, "SIGUSR1");
  } catch (error) {
    acked.catch(() => undefined);
    throw new EnvironmentError(`cannot signal the sampler (pid ${samplerPid}): ${(error as Error).message}`, { cause: error });
  }
  const text = await acked;
  fs.rmSync(path.join(channel, ackName), { force: true });
  try {
    return decodeAck(text);
  } catch (error) {
    throw new EnvironmentError(`malformed acknowledgement ${ackName} from the sampler`, { cause: error });
  }
}
