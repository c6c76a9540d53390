/**
 * Which functions `alpaca profile` measures, from the first phase's call profile. Pure.
 *
 * Ranked by inclusive time, with three rules so that no time is measured twice over:
 * 1. A function through which nearly all of the guest's time passes (WHOLE_PROGRAM_SHARE:
 *    `_start`, `main`, ...) is the program itself: disabling it tells nothing per function.
 * 2. Two functions that are the same time (each has at least SAME_TIME_SHARE of its time nested
 *    with the other: a wrapper and what it wraps, `print_report` and its `printf`) count once:
 *    the outer one, the function the program's author wrote the call to, is kept.
 * 3. A function most of whose time (CONTAINER_SHARE) lies in other chosen candidates nested
 *    inside it would count their time a second time: it is left out, and the next one comes in.
 * Functions with fewer than MIN_SAMPLES samples are below the profile's resolution, and those with
 * less than MIN_SHARE of the time below what an energy comparison can resolve in a reasonable
 * number of runs (their cost is within the run-to-run noise of the whole program).
 */
import type { CallProfile, FunctionProfile } from "../runtime/call-profile.js";

export const WHOLE_PROGRAM_SHARE = 0.97;
export const SAME_TIME_SHARE = 0.9;
export const CONTAINER_SHARE = 0.5;
export const MIN_SAMPLES = 3;
export const MIN_SHARE = 0.01;

export interface Candidate extends FunctionProfile {
  name: string;
  /** inclusiveSeconds / the guest's sampled time. */
  timeShare: number;
  selfShare: number;
}

export interface Skipped extends Candidate {
  reason: string;
}

export interface CandidateChoice {
  chosen: Candidate[];
  /** Functions with a noticeable share that are not measured, and why. */
  skipped: Skipped[];
}

export function chooseCandidates(profile: CallProfile, nameOf: (index: number) => string, top: number): CandidateChoice {
  const guest = profile.guestSeconds;
  const minSeconds = MIN_SAMPLES * (profile.sampleIntervalUs / 1e6);
  const all: Candidate[] = profile.functions
    .filter((f) => f.inclusiveSeconds > 0 && f.inclusiveSeconds >= minSeconds && f.inclusiveSeconds >= MIN_SHARE * guest)
    .map((f) => ({ ...f, name: nameOf(f.index), timeShare: guest > 0 ? f.inclusiveSeconds / guest : 0, selfShare: guest > 0 ? f.selfSeconds / guest : 0 }))
    .sort((a, b) => b.inclusiveSeconds - a.inclusiveSeconds || a.index - b.index);
  const nested = new Map(profile.nested.map((n) => [`${n.outer}>${n.inner}`, n.seconds]));
  const inside = (outer: number, inner: number): number => nested.get(`${outer}>${inner}`) ?? 0;
  const skipped: Skipped[] = [];
  const eligible: Candidate[] = [];
  for (const c of all) {
    if (c.timeShare >= WHOLE_PROGRAM_SHARE) {
      skipped.push({ ...c, reason: `${pct(c.timeShare)} of the program's time passes through it: disabling it disables the program` });
      continue;
    }
    const wrapper = eligible.find((o) => inside(o.index, c.index) >= SAME_TIME_SHARE * c.inclusiveSeconds && inside(o.index, c.index) >= SAME_TIME_SHARE * o.inclusiveSeconds);
    if (wrapper) {
      skipped.push({ ...c, reason: `the same time as ${wrapper.name}, which calls it (measured instead)` });
      continue;
    }
    eligible.push(c);
  }
  // Rule 3, to a fixed point: leave out a container, let the next eligible function in.
  const left = new Set<number>();
  for (;;) {
    const chosen = eligible.filter((c) => !left.has(c.index)).slice(0, top);
    const container = chosen.find((g) => containedShare(g, chosen, inside) >= CONTAINER_SHARE);
    if (!container) {
      const reasons = new Map(skipped.map((s) => [s.index, s]));
      for (const c of eligible) {
        if (left.has(c.index)) reasons.set(c.index, { ...c, reason: containerReason(c, chosen, inside) });
      }
      return { chosen, skipped: [...reasons.values()].sort((a, b) => b.inclusiveSeconds - a.inclusiveSeconds) };
    }
    left.add(container.index);
  }
}

/** The share of g's time spent in other chosen functions nested in it. */
function containedShare(g: Candidate, chosen: readonly Candidate[], inside: (o: number, i: number) => number): number {
  // Nested times of two inner functions overlap when one runs inside the other; those of the
  // outermost chosen ones under g do not, so only they are summed.
  const inner = chosen.filter((c) => c.index !== g.index && inside(g.index, c.index) > 0);
  const outermost = inner.filter((c) => !inner.some((o) => o.index !== c.index && inside(o.index, c.index) >= SAME_TIME_SHARE * inside(g.index, c.index)));
  const sum = outermost.reduce((s, c) => s + inside(g.index, c.index), 0);
  return g.inclusiveSeconds > 0 ? sum / g.inclusiveSeconds : 0;
}

function containerReason(c: Candidate, chosen: readonly Candidate[], inside: (o: number, i: number) => number): string {
  const parts = chosen.filter((o) => inside(c.index, o.index) > 0).map((o) => o.name);
  return `most of its time is in ${parts.slice(0, 3).join(", ")}${parts.length > 3 ? ", ..." : ""}, measured on their own`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}
