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

/** The SI prefix formatSi uses for values of magnitude `scale`: its factor and the prefixed unit ("mJ"). */
export function siUnit(scale: number, unit: string): { factor: number; label: string } {
  const ref = Math.abs(scale);
  for (const [factor, prefix] of PREFIXES) {
    if (ref >= factor * 0.9995 || factor === 1e-9) return { factor, label: `${prefix}${unit}` };
  }
  return { factor: 1, label: unit };
}

/** `value` in `unit` with an SI prefix chosen from its magnitude (or from `scaleOf`'s, to align several values). */
export function formatSi(value: number, unit: string, scaleOf: number = value): string {
  if (!Number.isFinite(value)) return `${formatSignificant(value)} ${unit}`;
  const ref = Math.abs(scaleOf) || Math.abs(value);
  if (ref === 0) return `0 ${unit}`;
  const { factor, label } = siUnit(ref, unit);
  return `${formatSignificant(value / factor)} ${label}`;
}

export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return "n/a";
  const pct = fraction * 100;
  return `${Math.abs(pct) >= 10 ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/** "p = 0.029", "p = 9.5e-4", "p < 1e-15". */
export function formatP(p: number): string {
  if (Number.isNaN(p)) return "p n/a";
  if (p < 1e-15) return "p < 1e-15";
  if (p < 0.001) return `p = ${p.toExponential(1)}`;
  return `p = ${p.toFixed(3)}`;
}

/** `value ± half` in one unit and prefix, the half-width to the value's decimals: "2.45 J ± 0.31 J". */
export function formatPlusMinus(value: number, half: number, unit: string): string {
  const v = formatSi(value, unit);
  const [number = "", prefixed = unit] = v.split(" ");
  const prefix = prefixed.slice(0, prefixed.length - unit.length);
  const factor = PREFIXES.find(([, p]) => p === prefix)?.[0] ?? 1;
  const decimals = number.includes(".") ? (number.split(".")[1] ?? "").length : 0;
  const h = half / factor;
  const hText = Number.isFinite(h) ? (h !== 0 && Math.abs(h) < 10 ** -decimals ? formatSignificant(h, 1) : h.toFixed(decimals)) : formatSignificant(h);
  return `${v} ± ${hText} ${prefixed}`;
}
