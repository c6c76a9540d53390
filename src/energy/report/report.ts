/**
 * Energy reports: the text report people read, the JSON document programs read (every run's
 * raw numbers and the summary), the CSV with one row per run, and the sampler's table of
 * differences between consecutive snapshots. Model-source figures say "estimated" wherever they
 * appear. Pure: data in, text out.
 */
import { describeMethod } from "../stats/decision.js";
import { formatP, formatPercent, formatSi, formatSignificant } from "./format.js";
import type { MachineInfo } from "./machine.js";
import type { ProgressEvent } from "../runs/orchestrate.js";
import { MODEL_ZONE } from "../source/model.js";
import type { Interval, SampleSummary } from "../stats/stats.js";
import { costList, CPU_METRIC, TIME_METRIC, type EnergySummary, type MetricComparison } from "../stats/summary.js";
import type { EnergyResult, ReplayStats, RunRecord, Snapshot, StopReason, Variant } from "../types.js";

/** v2: three variants, the cost by a stated method, the decision rule, stop reason. */
export const REPORT_JSON_VERSION = 2;

export function describeSource(result: Pick<EnergyResult, "source">): string {
  const s = result.source;
  if (s.kind === "model") return `model: ESTIMATED energy = each run's CPU time × ${s.wattsPerCore} W per core (no readable RAPL; not a measurement)`;
  return `rapl: powercap counters in ${s.root}`;
}

export function describeMachineLine(m: MachineInfo): string {
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

function intervalText(ci: Interval, unit: string, scaleOf: number): string {
  return `[${formatSi(ci[0], unit, scaleOf).replace(/ \S+$/, "")}, ${formatSi(ci[1], unit, scaleOf)}]`;
}

const DECISION_TEXT: Record<EnergySummary["decision"], string> = {
  cost: "significant: a cost",
  negative: "significant: NOT a cost, the disabled program used more",
  "no-difference": "not significant: the CI includes 0",
  "too-few-runs": "too few runs for a conclusion",
};

function metricBlock(m: MetricComparison, variants: readonly Variant[]): string[] {
  const title = m.metric === TIME_METRIC ? "time between snapshots (s)" : m.metric === CPU_METRIC ? "CPU time of the run (s)" : `${m.metric} (${m.unit}${m.estimated ? ", ESTIMATED" : ""})`;
  const c = m.cost;
  const scale = Math.max(Math.abs(c.ci95[0]), Math.abs(c.ci95[1])) || Math.abs(c.estimate);
  const lines = [title, row("", ["mean", "median", "stdev", "95% CI of mean"])];
  for (const v of variants) {
    const s = m.samples[v];
    if (s) lines.push(sampleRow(v, s, m.unit));
  }
  lines.push(`  cost        ${formatSi(c.estimate, m.unit, scale)} (${formatPercent(c.fraction)} of baseline), 95% CI ${intervalText(c.ci95, m.unit, scale)}: ${DECISION_TEXT[c.decision]}`);
  if (m.replayCost) lines.push(`  replay      control − baseline ${formatSi(m.replayCost.estimate, m.unit)}, 95% CI ${intervalText(m.replayCost.ci95, m.unit, m.replayCost.estimate)}`);
  lines.push(
    `  detail      bootstrap 95% CI ${intervalText(c.bootstrapCi95, m.unit, scale)}; Welch t = ${formatSignificant(c.welch.t)} (df ${c.welch.df.toFixed(1)}), ${formatP(c.welch.p)}; Mann-Whitney U = ${c.mannWhitney.u} (${c.mannWhitney.method}), ${formatP(c.mannWhitney.p)}; Hedges' g = ${c.hedgesG.toFixed(2)} (${c.effect})`,
  );
  return lines;
}

function describeReplay(summary: EnergySummary): string | undefined {
  const r = summary.replay;
  if (!r) return undefined;
  const n = (x: number, one: string, many: string): string => `${Number(x.toFixed(1))} ${x === 1 ? one : many}`;
  return (
    `${n(r.invocations, "call", "calls")} replayed, ${n(r.bytesWritten, "byte", "bytes")} written, ${n(r.callsReexecuted, "system call", "system calls")} re-executed, ${Number(r.callsAnswered.toFixed(1))} answered from the log per disabled run; ` +
    `${formatSi(r.replaySeconds, "s")} replaying (${formatPercent(r.shareOfDisabledTime)} of a disabled run)`
  );
}

const STOP_TEXT: Record<StopReason, string> = {
  runs: "after the runs asked for (--runs)",
  precision: "when the cost's 95% CI was narrow enough (--precision)",
  "max-runs": "at --max-runs, before the CI was narrow enough",
  "max-time": "at --max-time, before the CI was narrow enough",
  interrupted: "INTERRUPTED: the report covers the runs completed before it",
};

/** One progress line for stderr. */
export function formatProgress(e: ProgressEvent, func: string, precision: number): string {
  if (e.kind === "analyze") return `alpaca: energy: analyzing ${func}`;
  if (e.kind === "stop") return `alpaca: energy: stopped (${e.reason}) after ${e.elapsedSeconds.toFixed(1)} s`;
  const of = e.rounds === "auto" ? "" : `/${e.rounds}`;
  let line = `alpaca: energy: round ${e.round}${of}${e.warmup ? " (warm-up)" : ""}: ${e.variant}, ${e.elapsedSeconds.toFixed(1)} s elapsed`;
  const est = e.estimate;
  if (est) {
    const half = (est.ci95[1] - est.ci95[0]) / 2;
    const rel = Math.abs(half / est.baselineMean);
    line += `; cost so far ${formatSi(est.estimate, est.unit)}, 95% CI [${formatSi(est.ci95[0], est.unit)}, ${formatSi(est.ci95[1], est.unit)}] (±${(rel * 100).toFixed(1)}% of the baseline${e.rounds === "auto" ? `, target ±${(precision * 100).toFixed(1)}%` : ""})`;
  }
  return line;
}

/** The text report. */
export function formatReport(result: EnergyResult, summary: EnergySummary, machine: MachineInfo | undefined): string {
  const lines: string[] = [];
  lines.push(`alpaca energy${result.aa ? " (A/A)" : ""}: ${result.func} in ${[result.program, ...result.args].join(" ")}`);
  if (machine) {
    lines.push(`  machine   ${describeMachineLine(machine)}`);
    lines.push(`  node      ${machine.node}`);
  }
  lines.push(`  source    ${describeSource(result)}`);
  lines.push(`  zones     ${result.zones.join(", ")}`);
  lines.push(`  method    ${result.func}'s cost per run = ${describeMethod(result.method)} (docs/energy.md)${result.aa ? "; A/A: every slot ran the baseline" : ""}`);
  lines.push(`  compile   ${result.compile === "optimized" ? "WebAssembly: every function by V8's optimizing tier before each run (--compile optimized)" : "WebAssembly: V8's default lazy, tiered compilation (--compile tiered)"}`);
  lines.push(`  rule      significant when the 95% CI of the cost (Welch's t interval) excludes 0; p values are supporting detail`);
  const warm = result.variants.length ? result.warmupRuns.length / result.variants.length : 0;
  const counts = result.variants.map((v) => `${summary.valid[v] ?? 0} ${v}`).join(" + ");
  lines.push(`  runs      ${counts} valid, in balanced rounds after ${warm} discarded warm-up round${warm === 1 ? "" : "s"}; ${summary.flagged} flagged; stopped ${STOP_TEXT[result.stopReason]}; ${formatSi(result.totalSeconds, "s")} in all`);
  lines.push(`  log       ${result.logPath} (${result.logReused ? "reused" : "analyzed now"})`);
  for (const m of summary.metrics) {
    lines.push("");
    lines.push(...metricBlock(m, result.variants));
  }
  lines.push("");
  lines.push(`verdict: ${summary.verdict}`);
  const replay = describeReplay(summary);
  if (replay) lines.push(`replay:  ${replay}`);
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
    variants: result.variants,
    method: result.method,
    compile: result.compile,
    aa: result.aa,
    stop_reason: result.stopReason,
    interrupted: result.stopReason === "interrupted",
    log: { path: result.logPath, reused: result.logReused },
    reference: result.reference,
    runs: result.runs.map(runJson),
    warmup_runs: result.warmupRuns.map(runJson),
    summary: {
      primary: summary.primary ?? null,
      rule: "significant when the 95% CI of the cost (Welch) excludes 0",
      decision: summary.decision,
      verdict: summary.verdict,
      cost: costList(summary),
      warnings: summary.warnings,
      valid: summary.valid,
      flagged: summary.flagged,
      aa_false_positive_rate: summary.aaFalsePositiveRate ?? null,
      metrics: summary.metrics.map((m) => ({
        metric: m.metric,
        unit: m.unit,
        estimated: m.estimated,
        samples: Object.fromEntries(Object.entries(m.samples).map(([v, s]) => [v, sampleJson(s)])),
        cost: {
          method: m.cost.method,
          estimate: m.cost.estimate,
          fraction: m.cost.fraction,
          ci95: m.cost.ci95,
          bootstrap_ci95: m.cost.bootstrapCi95,
          decision: m.cost.decision,
          significant: m.cost.significant,
          welch: m.cost.welch,
          mann_whitney: m.cost.mannWhitney,
          hedges_g: m.cost.hedgesG,
          effect: m.cost.effect,
        },
        replay_cost: m.replayCost ?? null,
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
