/**
 * The `--html` report of `alpaca profile` and `alpaca energy`: one self-contained file, no script,
 * no network. Charts are plain SVG generated here rather than a bundled charting library: the
 * charts are three simple kinds (bars with CI whiskers, paired share bars, strip plots), static
 * SVG renders without JavaScript in any browser and in a file viewer, and every mark carries
 * its numbers as data attributes that tests read back. Pure.
 */
import { describeMachineLine, formatPercent, formatPlusMinus, formatSi, siUnit, type MachineInfo } from "../energy/index.js";
import type { Variant } from "../energy/types.js";
import type { FunctionRow } from "./rows.js";

export interface HtmlReport {
  /** e.g. "alpaca profile". */
  command: string;
  program: string;
  args: readonly string[];
  machine: MachineInfo | undefined;
  source: string;
  /** Label and text of each method line (phase 1, phase 2, rule, ...). */
  method: Array<[string, string]>;
  rows: readonly FunctionRow[];
  /** Functions left out on purpose, and why. */
  skipped?: ReadonlyArray<{ name: string; timeShare: number; reason: string }>;
  /** Overall remarks (stop reason, warnings). */
  notes: readonly string[];
  generatedAt: Date;
}

/** Skipped functions listed in the page (the JSON has them all). */
const SKIPPED_SHOWN = 10;

const VARIANT_COLOR: Record<Variant, string> = { baseline: "#4c72b0", control: "#8172b2", disabled: "#dd8452" };
const DECISION_COLOR: Record<string, string> = { cost: "#4c72b0", negative: "#dd8452", "no-difference": "#a0a0a0", "too-few-runs": "#c8c8c8" };
const DECISION_WORD: Record<string, string> = { cost: "a cost", negative: "not a cost: more energy without it", "no-difference": "no significant difference", "too-few-runs": "too few runs" };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Round tick values covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return out;
}

function tickText(t: number): string {
  return Number(t.toPrecision(6)).toString();
}

const fmt = (x: number): string => (Number.isFinite(x) ? Number(x.toPrecision(6)).toString() : "NaN");

/** Horizontal bars of each measured function's cost with its 95% CI, on one axis. */
function costChart(rows: readonly FunctionRow[]): string {
  const measured = rows.filter((r) => r.cost && Number.isFinite(r.cost.estimate));
  if (!measured.length) return `<p class="empty">No function was measured: no cost to chart.</p>`;
  const unit = measured[0]!.cost!.unit;
  const lo = Math.min(0, ...measured.map((r) => r.cost!.ci95[0]).filter(Number.isFinite));
  const hi = Math.max(0, ...measured.map((r) => r.cost!.ci95[1]).filter(Number.isFinite));
  const { factor, label } = siUnit(Math.max(Math.abs(lo), Math.abs(hi)), unit);
  const ticks = niceTicks(lo / factor, hi / factor);
  const min = Math.min(lo / factor, ticks[0]!);
  const max = Math.max(hi / factor, ticks[ticks.length - 1]!);
  const left = 230;
  const width = 540;
  const rowH = 30;
  const top = 10;
  const height = top + measured.length * rowH + 48;
  const x = (v: number): number => left + ((v / factor - min) / (max - min || 1)) * width;
  const parts: string[] = [];
  parts.push(`<svg class="chart" id="cost-chart" viewBox="0 0 ${left + width + 170} ${height}" width="${left + width + 170}" height="${height}" role="img" aria-label="Cost per run of each function with its 95% confidence interval">`);
  for (const t of ticks) {
    const tx = x(t * factor);
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${top}" y2="${top + measured.length * rowH}" class="grid${t === 0 ? " zero" : ""}"/>`);
    parts.push(`<text x="${tx}" y="${top + measured.length * rowH + 16}" class="tick" text-anchor="middle">${tickText(t)}</text>`);
  }
  parts.push(`<text x="${left + width / 2}" y="${height - 6}" class="axis-label" text-anchor="middle">cost per run (${escapeHtml(label)}${measured[0]!.cost!.estimated ? ", estimated" : ""}): energy saved when the function is disabled; whiskers: 95% CI</text>`);
  measured.forEach((r, i) => {
    const c = r.cost!;
    const y = top + i * rowH;
    const x0 = x(0);
    const xe = x(c.estimate);
    const color = DECISION_COLOR[r.decision ?? "too-few-runs"]!;
    parts.push(`<text x="${left - 8}" y="${y + rowH / 2 + 4}" class="name" text-anchor="end">${escapeHtml(truncate(r.name, 30))}<title>${escapeHtml(r.name)}</title></text>`);
    parts.push(
      `<rect class="bar" x="${Math.min(x0, xe)}" y="${y + 6}" width="${Math.max(1, Math.abs(xe - x0))}" height="${rowH - 12}" fill="${color}" data-name="${escapeHtml(r.name)}" data-estimate="${fmt(c.estimate)}" data-ci-low="${fmt(c.ci95[0])}" data-ci-high="${fmt(c.ci95[1])}" data-unit="${c.unit}"><title>${escapeHtml(r.name)}: ${escapeHtml(formatSi(c.estimate, c.unit))} per run, 95% CI [${escapeHtml(formatSi(c.ci95[0], c.unit))}, ${escapeHtml(formatSi(c.ci95[1], c.unit))}]</title></rect>`,
    );
    if (Number.isFinite(c.ci95[0]) && Number.isFinite(c.ci95[1])) {
      const [a, b] = [x(c.ci95[0]), x(c.ci95[1])];
      const my = y + rowH / 2;
      parts.push(`<path class="whisker" d="M${a} ${my}H${b}M${a} ${my - 6}V${my + 6}M${b} ${my - 6}V${my + 6}"/>`);
    }
    const half = (c.ci95[1] - c.ci95[0]) / 2;
    parts.push(`<text x="${left + width + 8}" y="${y + rowH / 2 + 4}" class="value">${escapeHtml(Number.isFinite(half) ? formatPlusMinus(c.estimate, half, c.unit) : formatSi(c.estimate, c.unit))}</text>`);
  });
  parts.push(`</svg>`);
  const used = [...new Set(measured.map((r) => r.decision ?? "too-few-runs"))];
  parts.push(`<p class="key">${used.map((d) => `<span><i style="background:${DECISION_COLOR[d]}"></i>${escapeHtml(DECISION_WORD[d]!)}${d === "cost" ? " (95% CI above 0)" : d === "no-difference" ? " (95% CI includes 0)" : d === "negative" ? " (95% CI below 0)" : ""}</span>`).join("")}</p>`);
  return parts.join("");
}

/** Time share (first phase) beside energy share (measured), per function, 0–100%. */
function shareChart(rows: readonly FunctionRow[]): string {
  const shown = rows.filter((r) => r.timeShare !== undefined || r.energyShare !== undefined);
  if (!shown.length) return "";
  const left = 230;
  const width = 510;
  const rowH = 34;
  const top = 28;
  const maxShare = Math.max(1, ...shown.flatMap((r) => [r.timeShare ?? 0, r.energyShare ?? 0]));
  const height = top + shown.length * rowH + 40;
  const x = (f: number): number => left + (Math.max(0, f) / maxShare) * width;
  const parts: string[] = [];
  parts.push(`<svg class="chart" id="share-chart" viewBox="0 0 ${left + width + 200} ${height}" width="${left + width + 200}" height="${height}" role="img" aria-label="Share of the program's time and of its energy per function">`);
  parts.push(`<rect x="${left}" y="6" width="12" height="12" fill="#9ecae1"/><text x="${left + 18}" y="16" class="legend">time share (phase 1 samples, inclusive)</text>`);
  parts.push(`<rect x="${left + 290}" y="6" width="12" height="12" fill="#4c72b0"/><text x="${left + 308}" y="16" class="legend">energy share (measured cost ÷ baseline)</text>`);
  for (const t of niceTicks(0, maxShare * 100)) {
    const tx = x(t / 100);
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${top}" y2="${top + shown.length * rowH}" class="grid${t === 0 ? " zero" : ""}"/><text x="${tx}" y="${top + shown.length * rowH + 16}" class="tick" text-anchor="middle">${tickText(t)}%</text>`);
  }
  parts.push(`<text x="${left + width / 2}" y="${height - 4}" class="axis-label" text-anchor="middle">share of the whole program (%)</text>`);
  shown.forEach((r, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="${left - 8}" y="${y + rowH / 2 + 4}" class="name" text-anchor="end">${escapeHtml(truncate(r.name, 30))}<title>${escapeHtml(r.name)}</title></text>`);
    if (r.timeShare !== undefined) parts.push(`<rect class="share time" x="${left}" y="${y + 4}" width="${x(r.timeShare) - left}" height="12" fill="#9ecae1" data-name="${escapeHtml(r.name)}" data-share="${fmt(r.timeShare)}"><title>time share ${formatPercent(r.timeShare)}</title></rect>`);
    if (r.energyShare !== undefined) parts.push(`<rect class="share energy" x="${left}" y="${y + 17}" width="${x(r.energyShare) - left}" height="12" fill="#4c72b0" data-name="${escapeHtml(r.name)}" data-share="${fmt(r.energyShare)}"><title>energy share ${formatPercent(r.energyShare)}</title></rect>`);
    const label = [r.timeShare !== undefined ? `time ${formatPercent(r.timeShare)}` : "", r.energyShare !== undefined ? `energy ${formatPercent(r.energyShare)}` : "not measured"].filter(Boolean).join(" · ");
    parts.push(`<text x="${left + width + 8}" y="${y + rowH / 2 + 4}" class="value">${escapeHtml(label)}</text>`);
  });
  parts.push(`</svg>`);
  return parts.join("");
}

/** One strip plot per function: each valid run of each variant as a dot, the mean as a bar. */
function runPlot(r: FunctionRow, i: number): string {
  const variants = (Object.keys(r.runs) as Variant[]).filter((v) => (r.runs[v] ?? []).length);
  if (!variants.length || !r.cost) return "";
  const all = variants.flatMap((v) => r.runs[v]!);
  const lo0 = Math.min(...all);
  const hi0 = Math.max(...all);
  const pad = (hi0 - lo0) * 0.08 || Math.abs(hi0) * 0.01 || 1;
  const { factor, label } = siUnit(Math.max(Math.abs(lo0), Math.abs(hi0)), r.cost.unit);
  const ticks = niceTicks((lo0 - pad) / factor, (hi0 + pad) / factor, 4);
  const min = Math.min((lo0 - pad) / factor, ticks[0]!);
  const max = Math.max((hi0 + pad) / factor, ticks[ticks.length - 1]!);
  const left = 90;
  const width = 330;
  const laneH = 24;
  const top = 8;
  const height = top + variants.length * laneH + 40;
  const x = (v: number): number => left + ((v / factor - min) / (max - min || 1)) * width;
  const parts: string[] = [`<figure class="runs"><figcaption>${escapeHtml(truncate(r.name, 48))}</figcaption><svg class="chart strip" id="runs-${i}" viewBox="0 0 ${left + width + 20} ${height}" width="${left + width + 20}" height="${height}" role="img" aria-label="Each run of ${escapeHtml(r.name)} by variant">`];
  for (const t of ticks) parts.push(`<line x1="${x(t * factor)}" x2="${x(t * factor)}" y1="${top}" y2="${top + variants.length * laneH}" class="grid"/><text x="${x(t * factor)}" y="${top + variants.length * laneH + 14}" class="tick" text-anchor="middle">${tickText(t)}</text>`);
  parts.push(`<text x="${left + width / 2}" y="${height - 6}" class="axis-label" text-anchor="middle">${escapeHtml(r.cost.metric)} per run (${escapeHtml(label)})</text>`);
  variants.forEach((v, k) => {
    const y = top + k * laneH + laneH / 2;
    const values = r.runs[v]!;
    const mean = values.reduce((s, a) => s + a, 0) / values.length;
    parts.push(`<text x="${left - 8}" y="${y + 4}" class="name" text-anchor="end">${v}</text>`);
    values.forEach((val, j) => {
      const jitter = ((j * 7919) % 11) - 5;
      parts.push(`<circle class="run ${v}" cx="${x(val)}" cy="${y + jitter * 0.9}" r="3.2" fill="${VARIANT_COLOR[v]}" data-value="${fmt(val)}"><title>${v} run: ${escapeHtml(formatSi(val, r.cost!.unit))}</title></circle>`);
    });
    parts.push(`<line class="mean" x1="${x(mean)}" x2="${x(mean)}" y1="${y - 10}" y2="${y + 10}"><title>${v} mean ${escapeHtml(formatSi(mean, r.cost!.unit))}</title></line>`);
  });
  parts.push(`</svg></figure>`);
  return parts.join("");
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function rowTable(rows: readonly FunctionRow[]): string {
  const head = `<tr><th>#</th><th>function</th><th>calls</th><th>time share</th><th>cost per run</th><th>95% CI</th><th>energy share</th><th>verdict</th></tr>`;
  const body = rows
    .map((r, i) => {
      const c = r.cost;
      const verdict = r.status === "measured" ? DECISION_WORD[r.decision ?? "too-few-runs"] : `${r.status === "cannot-disable" ? "cannot disable" : "not measured"}: ${r.reason ?? ""}`;
      return (
        `<tr class="fn" data-name="${escapeHtml(r.name)}" data-status="${r.status}"${c ? ` data-estimate="${fmt(c.estimate)}"` : ""}>` +
        `<td>${i + 1}</td><td class="fname" title="${escapeHtml(r.name)}">${escapeHtml(truncate(r.name, 60))}</td>` +
        `<td class="num">${r.calls ?? ""}</td><td class="num">${r.timeShare === undefined ? "" : formatPercent(r.timeShare)}</td>` +
        `<td class="num">${c ? escapeHtml(formatSi(c.estimate, c.unit)) : ""}</td>` +
        `<td class="num">${c ? `[${escapeHtml(formatSi(c.ci95[0], c.unit))}, ${escapeHtml(formatSi(c.ci95[1], c.unit))}]` : ""}</td>` +
        `<td class="num">${r.energyShare === undefined ? "" : formatPercent(r.energyShare)}</td>` +
        `<td>${escapeHtml(verdict ?? "")}${r.verdict ? `<details><summary>details</summary>${escapeHtml(r.verdict)}</details>` : ""}</td></tr>`
      );
    })
    .join("");
  return `<table id="functions">${head}${body}</table>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:24px auto;max-width:1000px;padding:0 16px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#555;margin:0 0 12px;word-break:break-all}
table{border-collapse:collapse;width:100%}th,td{padding:4px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{background:#f6f6f6;font-weight:600}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.fname{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
details{font-size:12px;color:#555}summary{cursor:pointer;color:#4c72b0}
dl{display:grid;grid-template-columns:120px 1fr;gap:2px 12px;margin:0}dt{color:#555}dd{margin:0}
svg.chart{max-width:100%;height:auto;font-family:inherit}
.grid{stroke:#e4e4e4}.grid.zero{stroke:#555}.tick{font-size:11px;fill:#555}.axis-label{font-size:12px;fill:#333}
.name{font-size:12px;font-family:ui-monospace,Menlo,Consolas,monospace;fill:#222}.value{font-size:12px;fill:#222}.legend{font-size:12px;fill:#333}
.whisker{stroke:#222;stroke-width:1.5;fill:none}.mean{stroke:#222;stroke-width:2}
.runs-grid{display:flex;flex-wrap:wrap;gap:8px 24px}figure.runs{margin:0}figcaption{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.key span{display:inline-block;margin-right:14px}.key i{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:4px;vertical-align:middle}
.notes li{color:#7a4b00}.empty{color:#777}
`;

export function renderHtmlReport(r: HtmlReport): string {
  const title = `${r.command}: ${[r.program, ...r.args].join(" ")}`;
  const machine = r.machine ? `<dt>machine</dt><dd>${escapeHtml(describeMachineLine(r.machine))}</dd><dt>node</dt><dd>${escapeHtml(r.machine.node)}</dd>` : "";
  const method = r.method.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("");
  const key = (Object.keys(VARIANT_COLOR) as Variant[]).map((v) => `<span><i style="background:${VARIANT_COLOR[v]}"></i>${v}</span>`).join("");
  const runs = r.rows.map(runPlot).filter(Boolean).join("");
  const shownSkipped = r.skipped?.slice(0, SKIPPED_SHOWN) ?? [];
  const more = (r.skipped?.length ?? 0) - shownSkipped.length;
  const skipped = shownSkipped.length
    ? `<h2>Not measured, so that no time is counted twice</h2><ul>${shownSkipped.map((s) => `<li><code>${escapeHtml(s.name)}</code> (${formatPercent(s.timeShare)} of the time): ${escapeHtml(s.reason)}</li>`).join("")}${more > 0 ? `<li>and ${more} more (alpaca profile --json lists them all)</li>` : ""}</ul>`
    : "";
  const notes = r.notes.length ? `<ul class="notes">${r.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>` : "";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>Where the energy goes: ${escapeHtml(r.program.split("/").pop() ?? r.program)}</h1>
<p class="sub">${escapeHtml(title)} · ${escapeHtml(r.generatedAt.toISOString().replace("T", " ").slice(0, 19))} UTC</p>
${notes}
<h2>Cost of each function</h2>
${costChart(r.rows)}
<h2>Time share and energy share</h2>
${shareChart(r.rows)}
<h2>Functions</h2>
${rowTable(r.rows)}
${skipped}
<h2>Every run</h2>
<p class="key">${key}</p>
<div class="runs-grid">${runs || `<p class="empty">No runs to show.</p>`}</div>
<h2>Machine and method</h2>
<dl>${machine}<dt>source</dt><dd>${escapeHtml(r.source)}</dd>${method}</dl>
</body></html>
`;
}
