/**
 * The energy layer: RAPL through powercap, the SIGUSR1 sampler and its request/ack channel,
 * the run notifier `alpaca run` calls, the baseline-vs-disabled comparison, its statistics and
 * its reports. See docs/energy.md for the method.
 */
export { ENV_CHANNEL, ENV_PPID, ENV_RUN_ID, ENV_TIMEOUT_MS } from "./sampler/channel.js";
export { describeMachine, type MachineInfo } from "./report/machine.js";
export { describeMethod, type DecisionKind } from "./stats/decision.js";
export { DEFAULT_WATTS_PER_CORE, MODEL_ZONE } from "./source/model.js";
export { createRunNotifier, type RunNotifier } from "./sampler/notify.js";
export { runEnergy, type EnergyOptions, type ProgressEvent, type RunningEstimate } from "./runs/orchestrate.js";
export { POWERCAP_ROOT } from "./source/powercap.js";
export { readZones } from "./source/powercap-reader.js";
export { describeMachineLine, describeSource, diffSnapshots, formatProgress, formatReport, formatSnapshotDiffs, toCsv, toJson } from "./report/report.js";
export { formatPercent, formatPlusMinus, formatSi, siUnit } from "./report/format.js";
export { launcherSamplerCommand } from "./sampler/sampler-command.js";
export { serveSampler } from "./sampler/sampler-serve.js";
export { createChannelDir, Sampler, type SamplerSource } from "./sampler/sampler.js";
export { resolveSource, type ResolvedSource } from "./source/source.js";
export { COMPILE_CHOICES, COMPILE_FLAGS, SOURCE_CHOICES, type CompileMode } from "./options.js";
export type { SourceChoice } from "./types.js";
export { costList, metricValues, summarizeEnergy, type EnergySummary, type MetricComparison } from "./stats/summary.js";
export type { EnergyResult, RunRecord, Snapshot } from "./types.js";
