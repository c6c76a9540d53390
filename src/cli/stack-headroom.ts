/**
 * Stack headroom for analyses (issue 17). Analysis may run F's extent in traced copies, whose
 * frames are larger than the plain code's (scratch locals for the marks), so a recursion as deep
 * as a plain run survives could overflow V8's stack (984 KB by default). The launcher
 * (bin/alpaca.js) therefore runs `analyze` (and `run` with ALPACA_MODE=a) in a child Node with
 * a stack limit three times the default, when the process's own stack rlimit allows it. Plain,
 * disabled, baseline and control runs keep Node's default: their code recurses exactly as the
 * plain program does (a copy of F calls itself, src/wasm/rewrite.ts addRecursiveCopy).
 * Signals that end alpaca reach the child, and the child's ending is the launcher's. The second
 * Node start costs about 150 ms per analysis (0.45 s against 0.30 s for a small analysis here,
 * five runs each); a worker thread with its own stack size would cost less and is the next step.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { isElfFile } from "../backend/program-kind.js";

/** V8's stack limit for analyses, KB: three times Node's default. */
export const ANALYSIS_STACK_KB = 3 * 984;
/** Room the thread's stack keeps beyond V8's limit (native frames, signal handling), KB. */
const NATIVE_MARGIN_KB = 1024;
const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];

/** The soft limit of this process's stack, KB (Infinity when unlimited or unknown). */
function stackRlimitKb(): number {
  try {
    const m = /^Max stack size\s+(\S+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return m && m[1] !== "unlimited" ? Number(m[1]) / 1024 : Infinity;
  } catch {
    return Infinity;
  }
}

/** Options of `run` and `analyze` that take a value as the next argument. */
const VALUE_OPTIONS = new Set(["-f", "--func", "-l", "--log", "--strategy", "--dir", "--env", "--on-extra-calls"]);

/** The PROGRAM argument of a `run`/`analyze` command line (the first operand after the subcommand). */
export function programArgument(argv: readonly string[]): string | undefined {
  const start = argv.findIndex((a) => !a.startsWith("-")) + 1;
  for (let i = start; i > 0 && i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") return argv[i + 1];
    if (!a.startsWith("-")) return a;
    if (VALUE_OPTIONS.has(a)) i++;
  }
  return undefined;
}

/** Whether this command line is an analysis that should get the larger stack (not a native one). */
export function wantsAnalysisStack(argv: readonly string[], env: NodeJS.ProcessEnv, execArgv: readonly string[]): boolean {
  if (execArgv.some((a) => a.startsWith("--stack-size") || a.startsWith("--stack_size"))) return false;
  const sub = argv.find((a) => !a.startsWith("-"));
  if (sub !== "analyze" && !(sub === "run" && env.ALPACA_MODE === "a")) return false;
  const program = programArgument(argv);
  if (program !== undefined && isElfFile(program)) return false;
  return stackRlimitKb() >= ANALYSIS_STACK_KB + NATIVE_MARGIN_KB;
}

/** Runs the launcher again with the analysis stack; resolves with its exit status, or ends this process by its signal. */
export function relaunchWithAnalysisStack(launcher: string, argv: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, `--stack-size=${ANALYSIS_STACK_KB}`, launcher, ...argv], { stdio: "inherit" });
    const forward = (signal: NodeJS.Signals) => () => void child.kill(signal);
    const handlers = FORWARDED.map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    child.on("exit", (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h);
      if (signal) process.kill(process.pid, signal);
      else resolve(code ?? 125);
    });
    child.on("error", (error) => {
      for (const [s, h] of handlers) process.off(s, h);
      process.stderr.write(`alpaca: cannot start the analysis: ${error.message}\n`);
      resolve(125);
    });
  });
}
