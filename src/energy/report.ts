/**
 * Energy reports: the text report people read, the JSON document programs read (every run's
 * raw numbers and the summary), the CSV with one row per run, and the sampler's table of
 * differences between consecutive snapshots. Model-source figures say "estimated" wherever they
 * appear. Pure: data in, text out.
 */
import { formatP, formatPercent, formatSi, formatSignificant } from "./format.js";
import type { MachineInfo } from "./machine.js";
import { MODEL_ZONE } from "./model.js";
import type { SampleSummary } from "./stats.js";
import type { EnergySummary, MetricComparison } from "./summary.js";
import type { EnergyResult, ReplayStats, RunRecord, Snapshot } from "./types.js";

export const REPORT_JSON_VERSION = 1;

function describeSource(result: EnergyResult): string {
  const s = result.source;
  if (s.kind === "model") return `model: ESTIMATED energy = each run's CPU time × ${s.wattsPerCore} W per core (no readable RAPL; not a measurement)`;
  return `rapl: powercap counters in ${s.root}`;
}

function describeMachineLine(m: MachineInfo): string {
  const cores = m.cores === undefined ? "" : `, ${m.cores} cores${m.physicalCores !== undefined ? ` (${m.physicalCores} physical)` : ""}`;
  return `${m.cpu}${cores}, ${m.os}, Linux ${m.kernel}, governor ${m.governor ?? "not exposed"}`;
}

const COLUMN_WIDTHS = [14, 14, 14, 22, 6];

function row(label: string, cells: string[]): string {
  return `  ${label.padEnd(12)}${cells.map((c, i) => c.padEnd(COLUMN_WIDTHS[i] ?? 14)).join("")}`.trimEnd();
}

function sampleRow(label: string, s: SampleSummary, unit: string): string {
  const scale = s.mean;
  return row(label, [
    formatSi(s.mean, unit, scale),
    formatSi(s.median, unit, scale),
    formatSi(s.stdev, unit, scale),
    `[${formatSi(s.ci95[0], unit, scale).replace(/ \S+$/, "")}, ${formatSi(s.ci95[1], unit, scale)}]`,
    `n=${s.n}`,
  ]);
}

function metricBlock(m: MetricComparison): string[] {
  const title = m.metric === "time" ? "time between snapshots (s)" : `${m.metric} (${m.unit}${m.estimated ? ", ESTIMATED" : ""})`;
  const [lo, hi] = m.bootstrapCi95;
  return [
    title,
    row("", ["mean", "median", "stdev", "95% CI of mean"]),
    sampleRow("baseline", m.baseline, m.unit),
    sampleRow("disabled", m.disabled, m.unit),
    `  difference  ${formatSi(m.diff, m.unit)} (${formatPercent(m.diffFraction)} of baseline), bootstrap 95% CI [${formatSi(lo, m.unit, m.diff).replace(/ \S+$/, "")}, ${formatSi(hi, m.unit, m.diff)}]`,
    `  tests       Welch t = ${formatSignificant(m.welch.t)} (df ${m.welch.df.toFixed(1)}), ${formatP(m.welch.p)}; Mann-Whitney U = ${m.mannWhitney.u} (${m.mannWhitney.method}), ${formatP(m.mannWhitney.p)}; Hedges' g = ${m.hedgesG.toFixed(2)} (${m.effect})${m.significant ? "" : "; not significant"}`,
  ];
}

function describeReplay(summary: EnergySummary, func: string, estimated: boolean): string | undefined {
  const r = summary.replay;
  if (!r) return undefined;
  const energy = Number.isFinite(r.estimatedEnergyJ) ? `, ≈ ${formatSi(r.estimatedEnergyJ, "J")}${estimated ? " estimated" : ""} in proportion` : "";
  const n = (x: number, one: string, many: string): string => `${Number(x.toFixed(1))} ${x === 1 ? one : many}`;
  return (
    `${n(r.invocations, "call", "calls")} replayed, ${n(r.bytesWritten, "byte", "bytes")} written, ${n(r.callsReexecuted, "system call", "system calls")} re-executed, ${Number(r.callsAnswered.toFixed(1))} answered from the log per run; ` +
    `${formatSi(r.replaySeconds, "s")} replaying (${formatPercent(r.shareOfDisabledTime)} of a disabled run${energy}); the difference above is ${func}'s cost minus this`
  );
}

/** The text report. */
export function formatReport(result: EnergyResult, summary: EnergySummary, machine: MachineInfo | undefined): string {
  const lines: string[] = [];
  const estimated = result.source.kind === "model";
  lines.push(`alpaca energy: ${result.func} in ${[result.program, ...result.args].join(" ")}`);
  if (machine) {
    lines.push(`  machine   ${describeMachineLine(machine)}`);
    lines.push(`  node      ${machine.node}`);
  }
  lines.push(`  source    ${describeSource(result)}`);
  lines.push(`  zones     ${result.zones.join(", ")}`);
  const warm = result.warmupRuns.length / 2;
  lines.push(
    `  runs      ${summary.valid.baseline} baseline + ${summary.valid.disabled} disabled, interleaved (ABBA), after ${warm} discarded warm-up pair${warm === 1 ? "" : "s"}; ${summary.flagged} flagged; ${formatSi(result.totalSeconds, "s")} in all`,
  );
  lines.push(`  log       ${result.logPath} (${result.logReused ? "reused" : "analyzed now"})`);
  for (const m of summary.metrics) {
    lines.push("");
    lines.push(...metricBlock(m));
  }
  lines.push("");
  lines.push(`verdict: ${summary.verdict}`);
  const replay = describeReplay(summary, result.func, estimated);
  if (replay) lines.push(`replay:  ${replay}`);
  else lines.push("replay:  not reported by the runs");
  for (const w of summary.warnings) lines.push(`warning: ${w}`);
  const flagged = result.runs.filter((r) => r.flagged);
  for (const r of flagged.slice(0, 5)) lines.push(`flagged: ${r.variant} run ${r.index}: ${r.flagged}`);
  return `${lines.join("\n")}\n`;
}

function runJson(r: RunRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    variant: r.variant,
    index: r.index,
    order: r.order,
    duration_s: r.durationSeconds,
    cpu_s: r.cpuSeconds,
    energy_j: r.energyJ,
    exit_code: r.exitCode,
    wall_s: r.wallSeconds,
    flagged: r.flagged ?? null,
  };
  if (r.replay) out.replay = r.replay satisfies ReplayStats;
  if (r.warnings.length) out.warnings = r.warnings;
  return out;
}

function sampleJson(s: SampleSummary): Record<string, unknown> {
  return { n: s.n, mean: s.mean, median: s.median, stdev: s.stdev, min: s.min, max: s.max, ci95: s.ci95 };
}

/** The `--json` document. Non-finite numbers become null. */
export function toJson(result: EnergyResult, summary: EnergySummary, machine: MachineInfo | undefined): Record<string, unknown> {
  const source =
    result.source.kind === "model"
      ? { kind: "model", estimated: true, watts_per_core: result.source.wattsPerCore, zone: MODEL_ZONE }
      : { kind: "rapl", estimated: false, root: result.source.root };
  return {
    version: REPORT_JSON_VERSION,
    func: result.func,
    program: result.program,
    args: result.args,
    machine: machine ?? null,
    source,
    zones: result.zones,
    log: { path: result.logPath, reused: result.logReused },
    reference: result.reference,
    runs: result.runs.map(runJson),
    warmup_runs: result.warmupRuns.map(runJson),
    summary: {
      primary: summary.primary ?? null,
      verdict: summary.verdict,
      warnings: summary.warnings,
      valid: summary.valid,
      flagged: summary.flagged,
      metrics: summary.metrics.map((m) => ({
        metric: m.metric,
        unit: m.unit,
        estimated: m.estimated,
        baseline: sampleJson(m.baseline),
        disabled: sampleJson(m.disabled),
        diff: m.diff,
        diff_fraction: m.diffFraction,
        bootstrap_ci95: m.bootstrapCi95,
        welch: m.welch,
        mann_whitney: m.mannWhitney,
        hedges_g: m.hedgesG,
        effect: m.effect,
        significant: m.significant,
      })),
      replay: summary.replay ?? null,
    },
    total_s: result.totalSeconds,
  };
}

function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined || (typeof v === "number" && !Number.isFinite(v))) return "";
  // 12 significant digits: far beyond the counters' resolution, without binary noise.
  const s = typeof v === "number" ? String(Number(v.toPrecision(12))) : v;
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per measured run: variant, index, order, duration, CPU time, energy per zone, status, flag, replay time. */
export function toCsv(result: EnergyResult): string {
  const zoneCols = result.zones.map((z) => `${z}_j`);
  const header = ["variant", "index", "order", "duration_s", "cpu_s", ...zoneCols, "exit_code", "flagged", "replay_ns"];
  const rows = result.runs.map((r) => [
    r.variant,
    r.index,
    r.order,
    r.durationSeconds,
    r.cpuSeconds,
    ...result.zones.map((z) => r.energyJ?.[z]),
    r.exitCode,
    r.flagged ?? "",
    r.replay?.replayNs,
  ]);
  return [header, ...rows].map((cells) => cells.map(csvField).join(",")).join("\n") + "\n";
}

/** One difference between consecutive snapshots, for `alpaca sampler`. */
export interface SnapshotDiff {
  from: number;
  to: number;
  seconds: number;
  /** Per zone, joules; null when a snapshot has no energy (model source, plain signal, other process). */
  energyJ: (number | null)[];
  /** e.g. `pid 123 start → end`. */
  note: string;
}

/** The `alpaca sampler` table. */
export function formatSnapshotDiffs(zones: readonly string[], diffs: readonly SnapshotDiff[], snapshotCount: number): string {
  const estimated = zones.includes(MODEL_ZONE);
  const lines = [`alpaca sampler: ${snapshotCount} snapshot${snapshotCount === 1 ? "" : "s"}${estimated ? " (energy ESTIMATED from CPU time)" : ""}`];
  if (diffs.length === 0) {
    lines.push("  (fewer than two snapshots: no differences)");
    return `${lines.join("\n")}\n`;
  }
  lines.push(`  ${"snapshots".padEnd(12)}${"time".padEnd(12)}${zones.map((z) => z.padEnd(Math.max(14, z.length + 2))).join("")}note`);
  for (const d of diffs) {
    const cells = zones.map((z, i) => {
      const e = d.energyJ[i];
      return (e === null || e === undefined ? "n/a" : formatSi(e, "J")).padEnd(Math.max(14, z.length + 2));
    });
    lines.push(`  ${`${d.from} → ${d.to}`.padEnd(12)}${formatSi(d.seconds, "s").padEnd(12)}${cells.join("")}${d.note}`.trimEnd());
  }
  return `${lines.join("\n")}\n`;
}

function describeRequest(s: Snapshot): string {
  return s.request ? `pid ${s.request.pid} ${s.request.phase}` : "signal";
}

/** Differences between consecutive snapshots. Model energies only compare snapshots of one process. */
export function diffSnapshots(zones: readonly string[], snapshots: readonly Snapshot[]): SnapshotDiff[] {
  const model = zones.includes(MODEL_ZONE);
  const out: SnapshotDiff[] = [];
  for (let i = 1; i < snapshots.length; i++) {
    const a = snapshots[i - 1];
    const b = snapshots[i];
    if (!a || !b) continue;
    const comparable = a.energyUj !== null && b.energyUj !== null && (!model || a.request?.pid === b.request?.pid);
    out.push({
      from: a.index + 1,
      to: b.index + 1,
      seconds: Number(b.timestampNs - a.timestampNs) / 1e9,
      energyJ: zones.map((_, z) => (comparable ? ((b.energyUj?.[z] ?? 0) - (a.energyUj?.[z] ?? 0)) / 1e6 : null)),
      note: `${describeRequest(a)} → ${describeRequest(b)}`,
    });
  }
  return out;
}
