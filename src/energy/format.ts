/**
 * Number formatting for energy reports: SI prefixes with three significant digits
 * ("1.23 J", "12.3 mJ", "845 µs"), percentages and p values. Pure.
 */

const PREFIXES = [
  [1e3, "k"],
  [1, ""],
  [1e-3, "m"],
  [1e-6, "µ"],
  [1e-9, "n"],
] as const;

/** Three significant digits, trailing zeros kept ("1.20"), no exponent for ordinary values. */
export function formatSignificant(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "n/a" : x > 0 ? "∞" : "-∞";
  if (x === 0) return "0";
  const magnitude = Math.floor(Math.log10(Math.abs(x)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return x.toFixed(Math.min(decimals, 12));
}

/** `value` in `unit` with an SI prefix chosen from its magnitude (or from `scaleOf`'s, to align several values). */
export function formatSi(value: number, unit: string, scaleOf: number = value): string {
  if (!Number.isFinite(value)) return `${formatSignificant(value)} ${unit}`;
  const ref = Math.abs(scaleOf) || Math.abs(value);
  for (const [factor, prefix] of PREFIXES) {
    if (ref >= factor * 0.9995 || factor === 1e-9) return `${formatSignificant(value / factor)} ${prefix}${unit}`;
  }
  return `${formatSignificant(value)} ${unit}`;
}

export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return "n/a";
  const pct = fraction * 100;
  return `${Math.abs(pct) >= 10 ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

export function formatP(p: number): string {
  if (Number.isNaN(p)) return "n/a";
  if (p === 0 || p < 1e-15) return "< 1e-15";
  if (p < 0.001) return p.toExponential(1);
  return p.toFixed(3);
}
