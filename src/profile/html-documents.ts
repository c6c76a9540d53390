/**
 * The HTML report's content (html-report.ts HtmlReport) for `alpaca profile` and for
 * `alpaca energy --html`: the rows, the method in words, the notes. Pure.
 */
import { describeMethod, describeSource, type EnergyResult, type EnergySummary, type MachineInfo } from "../energy/index.js";
import { renderHtmlReport } from "./html-report.js";
import { methodLines } from "./profile-report.js";
import type { ProfileResult } from "./profile-run.js";
import { energyRow, profileRows } from "./rows.js";

const RULE = "significant when the 95% CI of the cost (Welch's t interval) excludes 0";

export function profileHtml(p: ProfileResult, machine: MachineInfo | undefined, now = new Date()): string {
  const m = methodLines(p);
  const notes: string[] = [];
  if (p.stopReason === "interrupted") notes.push("INTERRUPTED: this report covers what was measured before the interruption.");
  if (p.stopReason === "max-time") notes.push("--max-time was reached: some candidates were not measured.");
  if (p.source.kind === "model") notes.push("Energy is ESTIMATED from CPU time (no readable RAPL counters): it is a model, not a measurement.");
  return renderHtmlReport({
    command: "alpaca profile",
    program: p.program,
    args: p.args,
    machine,
    source: describeSource(p),
    method: [["phase 1", m.phase1], ["phase 2", m.phase2], ["rule", RULE], ["compile", p.compile]],
    rows: profileRows(p),
    skipped: p.choice.skipped,
    notes,
    generatedAt: now,
  });
}

export function energyHtml(result: EnergyResult, summary: EnergySummary, machine: MachineInfo | undefined, now = new Date()): string {
  const notes = [...summary.warnings];
  if (result.source.kind === "model") notes.push("Energy is ESTIMATED from CPU time (no readable RAPL counters): it is a model, not a measurement.");
  return renderHtmlReport({
    command: `alpaca energy${result.aa ? " (A/A)" : ""}`,
    program: result.program,
    args: result.args,
    machine,
    source: describeSource(result),
    method: [["method", `${result.func}'s cost per run = ${describeMethod(result.method)} (docs/energy.md)`], ["rule", RULE], ["verdict", summary.verdict], ["compile", result.compile]],
    rows: [energyRow(result, summary)],
    notes,
    generatedAt: now,
  });
}
