/**
 * Statistics for comparing two sets of runs (baseline vs disabled): descriptive summaries with a
 * t confidence interval, Welch's unequal-variance t test, the Mann–Whitney U test (exact
 * distribution without ties on small samples, normal approximation with tie and continuity
 * correction otherwise, as SciPy's `mannwhitneyu`), a percentile bootstrap CI of the difference
 * of means, and Hedges' g. Pure: randomness comes from a seeded generator passed in, so reports
 * are reproducible. Differences are always `a − b` (baseline − disabled: what F costs).
 */
import { normalCdf, studentTQuantile, studentTTwoSided } from "./distributions.js";

/** A [low, high] interval. */
export type Interval = readonly [number, number];

export interface SampleSummary {
  n: number;
  mean: number;
  median: number;
  /** Sample standard deviation (n − 1 denominator); NaN when n < 2. */
  stdev: number;
  min: number;
  max: number;
  /** 95% confidence interval of the mean (Student t); NaN bounds when n < 2. */
  ci95: Interval;
}

export interface WelchResult {
  t: number;
  df: number;
  /** Two-sided p value. */
  p: number;
  /** 95% CI of mean(a) − mean(b). */
  ci95: Interval;
}

export interface MannWhitneyResult {
  /** U statistic of the first sample: pairs (x in a, y in b) with x > y, ties counting ½. */
  u: number;
  /** Two-sided p value. */
  p: number;
  method: "exact" | "normal";
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** Sample variance (n − 1 denominator); NaN when n < 2. */
export function variance(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return ss / (xs.length - 1);
}

/** Quantile of an ascending array by linear interpolation (Hyndman–Fan type 7, R's default). */
export function quantileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (h - lo) * (b - a);
}

export function median(xs: readonly number[]): number {
  return quantileSorted([...xs].sort((x, y) => x - y), 0.5);
}

export function summarize(xs: readonly number[]): SampleSummary {
  const n = xs.length;
  const m = mean(xs);
  const sd = Math.sqrt(variance(xs));
  const half = n >= 2 ? studentTQuantile(0.975, n - 1) * (sd / Math.sqrt(n)) : Number.NaN;
  return {
    n,
    mean: m,
    median: median(xs),
    stdev: sd,
    min: n ? Math.min(...xs) : Number.NaN,
    max: n ? Math.max(...xs) : Number.NaN,
    ci95: [m - half, m + half],
  };
}

/** Welch's t test of mean(a) = mean(b), two-sided, with the CI of the difference. */
export function welchTest(a: readonly number[], b: readonly number[]): WelchResult {
  const na = a.length;
  const nb = b.length;
  if (na < 2 || nb < 2) return { t: Number.NaN, df: Number.NaN, p: Number.NaN, ci95: [Number.NaN, Number.NaN] };
  const diff = mean(a) - mean(b);
  const qa = variance(a) / na;
  const qb = variance(b) / nb;
  const se = Math.sqrt(qa + qb);
  if (se === 0) {
    // Both samples constant: the difference is exact.
    const t = diff === 0 ? 0 : Math.sign(diff) * Number.POSITIVE_INFINITY;
    return { t, df: na + nb - 2, p: diff === 0 ? 1 : 0, ci95: [diff, diff] };
  }
  const df = (qa + qb) ** 2 / ((qa * qa) / (na - 1) + (qb * qb) / (nb - 1));
  const t = diff / se;
  const half = studentTQuantile(0.975, df) * se;
  return { t, df, p: studentTTwoSided(t, df), ci95: [diff - half, diff + half] };
}

/** Largest n_a·n_b for which the exact U distribution is computed (cost O((n_a·n_b)²/…)). */
const EXACT_U_MAX_PRODUCT = 2500;

/**
 * Counts of the U statistic over all C(na+nb, na) orderings without ties: entry u is the number
 * of orderings where U = u. Recurrence on the largest element: from a it adds nb to U.
 */
function exactUCounts(na: number, nb: number): number[] {
  // prev[j] = counts for (i − 1, j); cur[j] for (i, j).
  let prev: number[][] = [];
  for (let j = 0; j <= nb; j++) prev.push([1]);
  for (let i = 1; i <= na; i++) {
    const cur: number[][] = [[1]];
    for (let j = 1; j <= nb; j++) {
      const counts = new Array<number>(i * j + 1).fill(0);
      const left = prev[j] ?? [];
      const down = cur[j - 1] ?? [];
      for (let u = 0; u < left.length; u++) counts[u + j] = (counts[u + j] ?? 0) + (left[u] ?? 0);
      for (let u = 0; u < down.length; u++) counts[u] = (counts[u] ?? 0) + (down[u] ?? 0);
      cur.push(counts);
    }
    prev = cur;
  }
  return prev[nb] ?? [1];
}

/** Mann–Whitney U test (Wilcoxon rank-sum), two-sided. */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  const na = a.length;
  const nb = b.length;
  if (na === 0 || nb === 0) return { u: Number.NaN, p: Number.NaN, method: "normal" };
  const all = [...a.map((v) => ({ v, fromA: true })), ...b.map((v) => ({ v, fromA: false }))].sort((x, y) => x.v - y.v);
  const n = all.length;
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1]?.v === all[i]?.v) j++;
    const avgRank = (i + j) / 2 + 1;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    for (let k = i; k <= j; k++) if (all[k]?.fromA) rankSumA += avgRank;
    i = j + 1;
  }
  const u = rankSumA - (na * (na + 1)) / 2;
  if (tieTerm === 0 && na * nb <= EXACT_U_MAX_PRODUCT) {
    const counts = exactUCounts(na, nb);
    let total = 0;
    for (const c of counts) total += c;
    const uInt = Math.round(u);
    let le = 0;
    let ge = 0;
    for (let k = 0; k < counts.length; k++) {
      if (k <= uInt) le += counts[k] ?? 0;
      if (k >= uInt) ge += counts[k] ?? 0;
    }
    return { u, p: Math.min(1, (2 * Math.min(le, ge)) / total), method: "exact" };
  }
  const mu = (na * nb) / 2;
  const sigma = Math.sqrt(((na * nb) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (sigma === 0) return { u, p: 1, method: "normal" };
  const uMax = Math.max(u, na * nb - u);
  const z = (uMax - mu - 0.5) / sigma;
  return { u, p: Math.min(1, 2 * (1 - normalCdf(z))), method: "normal" };
}

/** Hedges' g: Cohen's d with the pooled SD, corrected for small-sample bias. */
export function hedgesG(a: readonly number[], b: readonly number[]): number {
  const na = a.length;
  const nb = b.length;
  if (na < 2 || nb < 2) return Number.NaN;
  const pooled = Math.sqrt(((na - 1) * variance(a) + (nb - 1) * variance(b)) / (na + nb - 2));
  const diff = mean(a) - mean(b);
  if (pooled === 0) return diff === 0 ? 0 : Math.sign(diff) * Number.POSITIVE_INFINITY;
  return (diff / pooled) * (1 - 3 / (4 * (na + nb) - 9));
}

/** Conventional reading of |g| (Cohen 1988; Sawilowsky 2009 for "very large", "huge"). */
export function describeEffectSize(g: number): string {
  const m = Math.abs(g);
  if (Number.isNaN(m)) return "n/a";
  if (m < 0.2) return "negligible";
  if (m < 0.5) return "small";
  if (m < 0.8) return "medium";
  if (m < 1.2) return "large";
  if (m < 2) return "very large";
  return "huge";
}

/** A deterministic uniform [0, 1) generator (mulberry32). */
export function createRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BootstrapOptions {
  /** Number of resamples (default 10,000). */
  resamples?: number;
  /** Source of uniform [0, 1) numbers (default: mulberry32 seeded with 1). */
  random?: () => number;
}

/**
 * Percentile bootstrap 95% CI of mean(a) − mean(b): each sample is resampled with replacement
 * independently, as the runs of the two variants are independent.
 */
export function bootstrapMeanDiffCi(a: readonly number[], b: readonly number[], options: BootstrapOptions = {}): Interval {
  const resamples = options.resamples ?? 10_000;
  const random = options.random ?? createRng(1);
  const na = a.length;
  const nb = b.length;
  if (na === 0 || nb === 0 || resamples < 1) return [Number.NaN, Number.NaN];
  const diffs = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sa = 0;
    for (let i = 0; i < na; i++) sa += a[Math.floor(random() * na)] ?? 0;
    let sb = 0;
    for (let i = 0; i < nb; i++) sb += b[Math.floor(random() * nb)] ?? 0;
    diffs[r] = sa / na - sb / nb;
  }
  diffs.sort();
  const sorted = Array.from(diffs);
  return [quantileSorted(sorted, 0.025), quantileSorted(sorted, 0.975)];
}
