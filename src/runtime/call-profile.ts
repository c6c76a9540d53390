/**
 * The first phase of `alpaca profile`: where a plain run spends its time, function by function.
 * The run uses the call-counting module (src/wasm/count-calls.ts) for exact call counts, and
 * V8's sampling CPU profiler (node:inspector, started right before the guest and stopped right
 * after it) for time. V8 names a Wasm frame by the byte offset of its function's body in the
 * module (`columnNumber`), which maps each sample to function indices exactly, duplicated names
 * included. A function's inclusive time is the time of the samples with it anywhere on the
 * stack (once per sample, recursion included), its self time that of the samples where it is the
 * innermost Wasm frame (host calls it makes, WASI included, are its own). `pairs` gives, for the
 * functions with a noticeable share, the time they spend nested in each other: what candidate
 * selection (src/profile/candidates.ts) needs to avoid counting time twice.
 */
import { Session } from "node:inspector/promises";
import type { CallProfile, FunctionProfile, NestedTime } from "../backend/index.js";
import type { WasmModule } from "../wasm/index.js";

export type { CallProfile, FunctionProfile, NestedTime };

/** The part of a V8 CPU profile (Profiler.Profile) read here. */
export interface V8CpuProfile {
  nodes: Array<{ id: number; callFrame: { url: string; columnNumber: number }; children?: number[] }>;
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Functions with at least this share of the sampled guest time get nesting figures. */
export const NESTING_SHARE = 0.002;

/**
 * Aggregates a V8 CPU profile of a run of `module` (the bytes V8 compiled: body offsets must be
 * those of the profiled module) and the run's call counts.
 */
export function aggregateCpuProfile(profile: V8CpuProfile, module: WasmModule, calls: ReadonlyMap<number, number>): CallProfile {
  const byOffset = new Map(module.bodies.map((b, i) => [b.offset, module.importedFuncCount + i]));
  const parent = new Map<number, number>();
  const funcOf = new Map<number, number>();
  for (const n of profile.nodes) {
    for (const c of n.children ?? []) parent.set(c, n.id);
    if (n.callFrame.url.startsWith("wasm://")) {
      const f = byOffset.get(n.callFrame.columnNumber);
      if (f !== undefined) funcOf.set(n.id, f);
    }
  }
  // A node's Wasm stack, outermost first, memoized: every sample of a node has the same stack.
  const stacks = new Map<number, number[]>();
  const stackOf = (id: number): number[] => {
    let s = stacks.get(id);
    if (s) return s;
    const p = parent.get(id);
    s = p === undefined ? [] : stackOf(p);
    const f = funcOf.get(id);
    if (f !== undefined) s = [...s, f];
    stacks.set(id, s);
    return s;
  };
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const durationSeconds = Math.max(0, (profile.endTime - profile.startTime) / 1e6);
  const meanUs = samples.length ? (durationSeconds * 1e6) / samples.length : 0;
  // Sample i covers the time until the next sample (the last one, the mean spacing).
  const weight = (i: number): number => (i + 1 < deltas.length ? deltas[i + 1]! : meanUs) / 1e6;
  const self = new Map<number, number>();
  const inclusive = new Map<number, number>();
  const perSample: Array<{ stack: number[]; w: number }> = [];
  let guestSeconds = 0;
  samples.forEach((id, i) => {
    const stack = stackOf(id);
    if (!stack.length) return;
    const w = weight(i);
    guestSeconds += w;
    self.set(stack[stack.length - 1]!, (self.get(stack[stack.length - 1]!) ?? 0) + w);
    for (const f of new Set(stack)) inclusive.set(f, (inclusive.get(f) ?? 0) + w);
    perSample.push({ stack, w });
  });
  const indices = new Set([...calls.entries()].filter(([, n]) => n > 0).map(([f]) => f));
  for (const f of inclusive.keys()) indices.add(f);
  const functions = [...indices].sort((a, b) => a - b).map((index) => ({
    index,
    calls: calls.get(index) ?? 0,
    selfSeconds: self.get(index) ?? 0,
    inclusiveSeconds: inclusive.get(index) ?? 0,
  }));
  return { durationSeconds, guestSeconds, samples: samples.length, sampleIntervalUs: meanUs, functions, nested: nestedTimes(perSample, inclusive, guestSeconds) };
}

function nestedTimes(perSample: ReadonlyArray<{ stack: number[]; w: number }>, inclusive: ReadonlyMap<number, number>, guestSeconds: number): NestedTime[] {
  const noticeable = new Set([...inclusive].filter(([, s]) => s >= NESTING_SHARE * guestSeconds).map(([f]) => f));
  const pairs = new Map<string, NestedTime>();
  for (const { stack, w } of perSample) {
    const seen = new Set<string>();
    for (let i = 0; i < stack.length; i++) {
      const outer = stack[i]!;
      if (!noticeable.has(outer)) continue;
      for (let j = i + 1; j < stack.length; j++) {
        const inner = stack[j]!;
        if (inner === outer || !noticeable.has(inner)) continue;
        const key = `${outer}>${inner}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const p = pairs.get(key) ?? { outer, inner, seconds: 0 };
        p.seconds += w;
        pairs.set(key, p);
      }
    }
  }
  return [...pairs.values()];
}

/** V8's sampling profiler over the guest's run, in this process. */
export class GuestProfiler {
  private readonly session = new Session();

  /** Starts sampling every `intervalUs` microseconds. */
  async start(intervalUs: number): Promise<void> {
    this.session.connect();
    await this.session.post("Profiler.enable");
    await this.session.post("Profiler.setSamplingInterval", { interval: intervalUs });
    await this.session.post("Profiler.start");
  }

  async stop(): Promise<V8CpuProfile> {
    const { profile } = await this.session.post("Profiler.stop");
    this.session.disconnect();
    return profile as V8CpuProfile;
  }
}
