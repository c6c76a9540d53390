/**
 * Stack headroom for analyses (issue 17). Analysis may run F's extent in traced copies, whose
 * frames are larger than the plain code's (scratch locals for the marks), so a recursion as deep
 * as a plain run survives could overflow V8's stack (984 KB by default). The launcher
 * (bin/alpaca.js) therefore runs `analyze` (and `run` with ALPACA_MODE=a) in a child Node with
 * a stack limit three times the default, or three times the user's own `node --stack-size=N`,
 * when the process's own stack rlimit allows it. Plain,
 * disabled, baseline and control runs keep Node's default: their code recurses exactly as the
 * plain program does (a copy of F calls itself, src/wasm/rewrite.ts addRecursiveCopy).
 * Signals that end alpaca reach the child, and the child's ending is the launcher's. The second
 * Node start costs about 150 ms per analysis (0.45 s against 0.30 s for a small analysis here,
 * five runs each); a worker thread with its own stack size would cost less and is the next step.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { isElfFile } from "../backend/program-kind.js";

/** V8's default stack limit, KB. */
const DEFAULT_STACK_KB = 984;
/** How much larger an analysis's V8 stack is than the plain run's. */
const ANALYSIS_STACK_FACTOR = 3;
/** V8's stack limit for analyses under Node's default, KB. */
export const ANALYSIS_STACK_KB = ANALYSIS_STACK_FACTOR * DEFAULT_STACK_KB;
/** Set in the relaunched analysis's environment, so that it does not relaunch again. */
const RELAUNCHED = "ALPACA_ANALYSIS_STACK";
const STACK_SIZE_FLAG = /^--stack[-_]size=(\d+)$/;
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

/** The V8 stack limit Node was started with, KB: the last --stack-size, else the default. */
function plainStackKb(execArgv: readonly string[]): number {
  let kb = DEFAULT_STACK_KB;
  for (const a of execArgv) {
    const m = STACK_SIZE_FLAG.exec(a);
    if (m) kb = Number(m[1]);
  }
  return kb;
}

/**
 * The V8 stack limit, KB, to run this command line's analysis with, or undefined to run it here:
 * not an analysis, a native program's, already relaunched, or a stack rlimit too small.
 */
export function wantsAnalysisStack(argv: readonly string[], env: NodeJS.ProcessEnv, execArgv: readonly string[]): number | undefined {
  if (env[RELAUNCHED] !== undefined) return undefined;
  const sub = argv.find((a) => !a.startsWith("-"));
  if (sub !== "analyze" && !(sub === "run" && env.ALPACA_MODE === "a")) return undefined;
  const program = programArgument(argv);
  if (program !== undefined && isElfFile(program)) return undefined;
  const kb = ANALYSIS_STACK_FACTOR * plainStackKb(execArgv);
  return stackRlimitKb() >= kb + NATIVE_MARGIN_KB ? kb : undefined;
}

/** Runs the launcher again with a V8 stack of `kb`; resolves with its exit status, or ends this process by its signal. */
export function relaunchWithAnalysisStack(launcher: string, argv: readonly string[], kb: number): Promise<number> {
  return new Promise((resolve) => {
    const engineArgs = [...process.execArgv.filter((a) => !STACK_SIZE_FLAG.test(a)), `--stack-size=${kb}`];
    const child = spawn(process.execPath, [...engineArgs, launcher, ...argv], { stdio: "inherit", env: { ...process.env, [RELAUNCHED]: String(kb) } });
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
