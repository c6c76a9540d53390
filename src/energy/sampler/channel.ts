/**
 * The snapshot channel between runs and the sampler, on top of the v2 signal protocol.
 *
 * v2: a run sends SIGUSR1 to `ALPACA_PPID`; the sampler takes a snapshot per signal. Two
 * signals sent before the sampler is scheduled merge into one (standard signals do not queue),
 * which is how v2 lost snapshots, and the run cannot know when its snapshot was taken.
 *
 * v3 adds `ALPACA_SAMPLER_CHANNEL`, a directory owned by the sampler (mode 0700):
 *   1. the run writes `req-<pid>-<seq>.json` (atomically: temp file + rename), then
 *   2. sends SIGUSR1, then
 *   3. waits until `ack-<pid>-<seq>.json` appears (inotify), reads and removes it.
 * On every SIGUSR1 the sampler reads the counters once, then serves every pending request with
 * that reading (one snapshot per request) and writes each ack. A request is on disk before its
 * signal is sent, so the scan triggered by its own signal (or by an earlier one) always finds
 * it: merged signals lose nothing. A signal that finds no request is either a plain v2 signal
 * (one snapshot) or the late signal of a request an earlier scan already served; the sampler
 * tells them apart by counting requests served beyond one per signal ("credits").
 *
 * Pure: names, encoding and validation only. Version 1.
 */
import { ProtocolError } from "../../errors/index.js";

/** Pid of the sampler to signal (v2). */
export const ENV_PPID = "ALPACA_PPID";
/** Directory of the request/ack channel (v3; absent: plain v2 signalling). */
export const ENV_CHANNEL = "ALPACA_SAMPLER_CHANNEL";
/** Opaque id the orchestrator gives each run, echoed in its requests. */
export const ENV_RUN_ID = "ALPACA_RUN_ID";
/** How long a run waits for an acknowledgement, ms (default 10,000). */
export const ENV_TIMEOUT_MS = "ALPACA_SAMPLER_TIMEOUT_MS";

export const CHANNEL_VERSION = 1;
export const DEFAULT_ACK_TIMEOUT_MS = 10_000;

export type Phase = "start" | "end";

/** What a run tells the sampler with each signal. */
export interface SnapshotRequest {
  v: typeof CHANNEL_VERSION;
  pid: number;
  /** Per-process sequence number, from 0. */
  seq: number;
  phase: Phase;
  runId?: string;
  /** The run process's CPU time when it asked (process.cpuUsage), µs: the model source uses it. */
  cpuUserUs: number;
  cpuSystemUs: number;
}

/** The sampler's answer: which snapshot served the request, and when it was taken. */
export interface SnapshotAck {
  v: typeof CHANNEL_VERSION;
  snapshot: number;
  /** Monotonic clock (CLOCK_MONOTONIC, same in every process), ns, as a decimal string. */
  timestampNs: string;
}

const REQUEST_NAME = /^req-(\d+)-(\d+)\.json$/;

export function requestFileName(pid: number, seq: number): string {
  return `req-${pid}-${seq}.json`;
}

export function ackFileName(pid: number, seq: number): string {
  return `ack-${pid}-${seq}.json`;
}

/** `{pid, seq}` for a request file name; undefined for anything else (temp files, acks). */
export function parseRequestFileName(name: string): { pid: number; seq: number } | undefined {
  const m = REQUEST_NAME.exec(name);
  if (!m) return undefined;
  return { pid: Number(m[1]), seq: Number(m[2]) };
}

function isNonNegativeInteger(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

/** Parses and validates a request; throws a ProtocolError saying what is wrong. */
export function decodeRequest(text: string): SnapshotRequest {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (error) {
    throw new ProtocolError("sampler: request is not json", { cause: error });
  }
  const r = v as Partial<Record<keyof SnapshotRequest, unknown>>;
  if (typeof v !== "object" || v === null) throw new ProtocolError("sampler: request is not an object");
  if (r.v !== CHANNEL_VERSION) throw new ProtocolError(`sampler: request version ${String(r.v)} is not ${CHANNEL_VERSION}`);
  if (!isNonNegativeInteger(r.pid) || !isNonNegativeInteger(r.seq)) throw new ProtocolError("sampler: request without pid/seq");
  if (r.phase !== "start" && r.phase !== "end") throw new ProtocolError(`sampler: request phase ${String(r.phase)}`);
  if (!isNonNegativeInteger(r.cpuUserUs) || !isNonNegativeInteger(r.cpuSystemUs)) throw new ProtocolError("sampler: request without cpu time");
  if (r.runId !== undefined && typeof r.runId !== "string") throw new ProtocolError("sampler: request runId is not a string");
  const out: SnapshotRequest = { v: CHANNEL_VERSION, pid: r.pid, seq: r.seq, phase: r.phase, cpuUserUs: r.cpuUserUs, cpuSystemUs: r.cpuSystemUs };
  if (r.runId !== undefined) out.runId = r.runId;
  return out;
}

export function decodeAck(text: string): SnapshotAck {
  const v = JSON.parse(text) as Partial<Record<keyof SnapshotAck, unknown>>;
  if (v.v !== CHANNEL_VERSION || !isNonNegativeInteger(v.snapshot) || typeof v.timestampNs !== "string" || !/^\d+$/.test(v.timestampNs)) {
    throw new ProtocolError("sampler: malformed acknowledgement");
  }
  return { v: CHANNEL_VERSION, snapshot: v.snapshot, timestampNs: v.timestampNs };
}

/** Parses a positive pid from an environment value; undefined when absent or malformed. */
export function parsePid(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}
