/**
 * `alpaca profile`'s text report (a ranked table) and its `--json` document. Pure.
 */
import { describeMachineLine, describeMethod, describeSource, formatPercent, formatSi, type MachineInfo } from "../energy/index.js";
import type { Skipped } from "./candidates.js";
import type { ProfileResult } from "./profile-run.js";
import { profileRows, type FunctionRow } from "./rows.js";

export const PROFILE_JSON_VERSION = 1;

const VERDICT_WORD: Record<string, string> = {
  cost: "a cost",
  negative: "NOT a cost (used more without it)",
  "no-difference": "no significant difference",
  "too-few-runs": "too few runs",
};

const STOP_TEXT: Record<ProfileResult["stopReason"], string> = {
  done: "every candidate measured",
  "max-time": "at --max-time: the functions marked not measured had no time left",
  interrupted: "INTERRUPTED: the report covers what was measured before it",
};

/** The method in words, for every report. */
export function methodLines(p: Pick<ProfileResult, "profile" | "functions">): { phase1: string; phase2: string } {
  const method = p.functions.find((f) => f.result)?.result?.method ?? "control-minus-disabled";
  return {
    phase1: `one plain run with a call counter in every function and V8's sampling profiler (every ${Math.round(p.profile.sampleIntervalUs)} µs on average): calls, inclusive time share`,
    phase2: `for each candidate, the energy comparison of alpaca energy: cost per run = ${describeMethod(method)}; runs until the 95% CI is narrow enough or the time is up (docs/profile.md)`,
  };
}

function costCell(r: FunctionRow): string {
  if (!r.cost) return "";
  const c = r.cost;
  const scale = Math.max(Math.abs(c.ci95[0]), Math.abs(c.ci95[1])) || Math.abs(c.estimate);
  return `${formatSi(c.estimate, c.unit, scale)} [${formatSi(c.ci95[0], c.unit, scale).replace(/ \S+$/, "")}, ${formatSi(c.ci95[1], c.unit, scale)}]`;
}

function table(rows: readonly FunctionRow[]): string[] {
  const head = ["#", "function", "calls", "time", "cost per run [95% CI]", "energy", "verdict"];
  const body = rows.map((r, i) => [
    String(i + 1),
    r.name,
    r.calls === undefined ? "" : String(r.calls),
    r.timeShare === undefined ? "" : formatPercent(r.timeShare),
    costCell(r),
    r.energyShare === undefined ? "" : formatPercent(r.energyShare),
    r.status === "measured" ? VERDICT_WORD[r.decision ?? "too-few-runs"]! : r.status === "cannot-disable" ? `cannot disable: ${r.reason ?? ""}` : `not measured: ${r.reason ?? ""}`,
  ]);
  const widths = head.map((h, c) => Math.min(c === 1 ? 40 : 60, Math.max(h.length, ...body.map((b) => b[c]!.length))));
  const line = (cells: string[]): string => `  ${cells.map((x, c) => (c === cells.length - 1 ? x : x.length > widths[c]! ? `${x.slice(0, widths[c]! - 1)}…` : c === 2 || c === 3 || c === 5 ? x.padStart(widths[c]!) : x.padEnd(widths[c]!))).join("  ")}`.trimEnd();
  return [line(head), ...body.map(line)];
}

function skippedLines(skipped: readonly Skipped[]): string[] {
  return skipped.slice(0, 8).map((s) => `  ${s.name} (${formatPercent(s.timeShare)} of the time): ${s.reason}`);
}

export function formatProfileReport(p: ProfileResult, machine: MachineInfo | undefined): string {
  const rows = profileRows(p);
  const m = methodLines(p);
  const lines: string[] = [];
  lines.push(`alpaca profile: ${[p.program, ...p.args].join(" ")}`);
  if (machine) lines.push(`  machine   ${describeMachineLine(machine)}`);
  lines.push(`  source    ${describeSource(p)}`);
  lines.push(`  phase 1   ${m.phase1}; ${formatSi(p.phase1Seconds, "s")}, ${p.profile.samples} samples, ${p.profile.functions.length} functions run`);
  lines.push(`  phase 2   ${m.phase2}`);
  lines.push(`  rule      significant when the 95% CI of the cost excludes 0`);
  lines.push(`  stopped   ${STOP_TEXT[p.stopReason]}; ${formatSi(p.totalSeconds, "s")} in all`);
  lines.push("");
  if (rows.length) lines.push(...table(rows));
  else lines.push("  no function has enough of the program's time to measure (the run is too short for the sampler: give it a longer workload)");
  if (p.choice.skipped.length) {
    lines.push("");
    lines.push("not measured, so that no time is counted twice:");
    lines.push(...skippedLines(p.choice.skipped));
  }
  const warnings = [...new Set(p.functions.flatMap((f) => (f.summary?.warnings ?? []).map((w) => `${f.candidate.name}: ${w}`)))];
  for (const w of warnings.slice(0, 8)) lines.push(`warning: ${w}`);
  return `${lines.join("\n")}\n`;
}

function rowJson(r: FunctionRow): Record<string, unknown> {
  return {
    name: r.name,
    index: r.index ?? null,
    calls: r.calls ?? null,
    time_share: r.timeShare ?? null,
    cost: r.cost ? { metric: r.cost.metric, unit: r.cost.unit, estimated: r.cost.estimated, estimate: r.cost.estimate, ci95: r.cost.ci95 } : null,
    energy_share: r.energyShare ?? null,
    status: r.status,
    decision: r.decision ?? null,
    verdict: r.verdict ?? null,
    reason: r.reason ?? null,
    replay_cost: r.replayCost ?? null,
    runs: r.runs,
  };
}

/** The `--json` document: functions sorted by cost. */
export function profileJson(p: ProfileResult, machine: MachineInfo | undefined): Record<string, unknown> {
  const m = methodLines(p);
  return {
    version: PROFILE_JSON_VERSION,
    program: p.program,
    args: p.args,
    machine: machine ?? null,
    source: p.source.kind === "model" ? { kind: "model", estimated: true, watts_per_core: p.source.wattsPerCore } : { kind: "rapl", estimated: false, root: p.source.root },
    method: { phase1: m.phase1, phase2: m.phase2, rule: "significant when the 95% CI of the cost excludes 0", compile: p.compile },
    phase1: { seconds: p.phase1Seconds, samples: p.profile.samples, sample_interval_us: p.profile.sampleIntervalUs, guest_seconds: p.profile.guestSeconds },
    top: p.top,
    stop_reason: p.stopReason,
    interrupted: p.stopReason === "interrupted",
    functions: profileRows(p).map(rowJson),
    skipped: p.choice.skipped.map((s) => ({ name: s.name, index: s.index, calls: s.calls, time_share: s.timeShare, reason: s.reason })),
    total_s: p.totalSeconds,
  };
}
