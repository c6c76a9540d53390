/**
 * `alpaca sampler`: the energy sampler on its own, as the v2 `energy` tool was. Runs PROGRAM
 * with ALPACA_PPID (and the snapshot channel) pointing at itself, takes a snapshot on every
 * SIGUSR1, and when PROGRAM ends prints the per-zone differences between consecutive
 * snapshots on stdout, then exits with PROGRAM's status. A WASI module as PROGRAM runs through
 * `alpaca run` (so ALPACA_MODE/ALPACA_FUNC/ALPACA_LOG apply). Without PROGRAM it waits for
 * signals until interrupted. `--serve` is the child-process mode `alpaca energy` uses.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { constants as osConstants } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { Command, Option } from "commander";
import { UsageError } from "../errors/index.js";
import type { SamplerSource, SourceChoice } from "../energy/index.js";
import { DEFAULT_WATTS_PER_CORE, POWERCAP_ROOT, SOURCE_CHOICES } from "../energy/options.js";
import type { CliContext } from "./context.js";
import { ExitStatus } from "./exit-status.js";

interface SamplerCliOptions {
  source: SourceChoice;
  powercapRoot: string;
  watts: string;
  json?: boolean;
  serve?: boolean;
}

const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);

function isWasmFile(path: string): boolean {
  try {
    const fd = fs.openSync(path, "r");
    try {
      const buf = Buffer.alloc(4);
      return fs.readSync(fd, buf, 0, 4, 0) === 4 && buf.equals(WASM_MAGIC);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/**
 * Runs the command with inherited stdio; resolves with the exit status it would give a shell.
 * Like a shell, ignores Ctrl-C while the program runs: the program gets it, and the sampler
 * still prints what it measured.
 */
function runChild(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const ignore = (): void => undefined;
  process.on("SIGINT", ignore);
  return new Promise<number>((resolve, reject) => {
    const child = spawn(command, args, { stdio: "inherit", env });
    child.on("error", (error) => reject(new UsageError(`sampler: cannot run ${command}: ${error.message}`, { cause: error })));
    child.on("exit", (code, signal) => resolve(code ?? 128 + (signal ? osConstants.signals[signal] : 0)));
  }).finally(() => process.off("SIGINT", ignore));
}

function waitForInterrupt(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      resolve();
    };
    process.on("SIGINT", done);
    process.on("SIGTERM", done);
  });
}

export function registerSampler(program: Command, ctx: CliContext): void {
  const cmd = new Command("sampler")
    .description("take an energy snapshot on every SIGUSR1 from PROGRAM (ALPACA_PPID) and print the differences when it ends")
    .addOption(new Option("--source <source>", "energy source").choices(SOURCE_CHOICES).default("auto"))
    .option("--powercap-root <dir>", "powercap sysfs directory", POWERCAP_ROOT)
    .option("--watts <w>", "model source: power of one busy core, watts", String(DEFAULT_WATTS_PER_CORE))
    .option("--json", "print the snapshots and differences as JSON")
    .addOption(new Option("--serve", "child-process mode of `alpaca energy` (IPC)").hideHelp())
    .argument("[program]", "program to run under the sampler (a WASI module runs through `alpaca run`)")
    .argument("[args...]", "the program's arguments")
    .passThroughOptions()
    .action(async (prog: string | undefined, args: string[], o: SamplerCliOptions) => {
      const wattsPerCore = Number(o.watts);
      if (!Number.isFinite(wattsPerCore) || wattsPerCore <= 0) throw new UsageError(`--watts ${o.watts}: expected a power in watts > 0`);
      const { createChannelDir, diffSnapshots, ENV_CHANNEL, ENV_PPID, formatSnapshotDiffs, resolveSource, Sampler, serveSampler } = await import("../energy/index.js");
      if (o.serve) {
        await serveSampler({ source: o.source, powercapRoot: o.powercapRoot, wattsPerCore });
        return;
      }
      const { source: resolved, notice } = resolveSource(o.source, { powercapRoot: o.powercapRoot, wattsPerCore });
      if (notice) ctx.err(`alpaca: ${notice}`);
      const source: SamplerSource = resolved.kind === "rapl" ? { kind: "rapl", zones: resolved.zones } : resolved;
      const channelDir = createChannelDir();
      const sampler = new Sampler({ source, channelDir, onError: (e) => ctx.err(`alpaca: sampler: ${e.message}`) });
      let status = 0;
      try {
        sampler.start();
        const env = { ...ctx.env, [ENV_PPID]: String(process.pid), [ENV_CHANNEL]: channelDir };
        if (prog === undefined) {
          ctx.err(`alpaca: sampler: pid ${process.pid}; programs signal it with ${ENV_PPID}=${process.pid} (and ${ENV_CHANNEL}=${channelDir}); Ctrl-C prints the differences`);
          await waitForInterrupt();
        } else if (isWasmFile(prog)) {
          status = await runChild(process.execPath, [...process.execArgv, ctx.launcherPath, "run", prog, ...args], env);
        } else {
          status = await runChild(prog, args, env);
        }
        // A plain signal sent just before the program exited may still be queued in this loop.
        await sleep(20);
      } finally {
        sampler.stop();
        fs.rmSync(channelDir, { recursive: true, force: true });
      }
      const snapshots = sampler.snapshots();
      const diffs = diffSnapshots(sampler.zoneLabels, snapshots);
      if (o.json) {
        const doc = {
          source: resolved.kind,
          estimated: resolved.kind === "model",
          zones: sampler.zoneLabels,
          snapshots: snapshots.map((s) => ({ index: s.index, timestamp_ns: s.timestampNs.toString(), energy_uj: s.energyUj, request: s.request ?? null })),
          diffs: diffs.map((d) => ({ from: d.from, to: d.to, seconds: d.seconds, energy_j: Object.fromEntries(sampler.zoneLabels.map((z, i) => [z, d.energyJ[i] ?? null])), note: d.note })),
          counts: sampler.stats(),
        };
        ctx.out(`${JSON.stringify(doc, null, 2)}\n`);
      } else {
        ctx.out(formatSnapshotDiffs(sampler.zoneLabels, diffs, snapshots.length));
      }
      throw new ExitStatus(status);
    });
  program.addCommand(cmd);
}
