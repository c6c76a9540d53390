/**
 * What every subcommand gets from the CLI shell: the logger, stderr/stdout writers, the process
 * environment, and the launcher's path. Only the CLI reads process.env / argv.
 */
import { createRequire } from "node:module";
import type { Logger } from "pino";

export interface CliContext {
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** Set once the command line is parsed: --verbose before PROGRAM (debug logging, stack traces). */
  verbose: boolean;
  /** Report output (stdout belongs to the profiled program in run modes; reports use it otherwise). */
  out: (text: string) => void;
  /** One-line diagnostics on stderr. */
  err: (text: string) => void;
  /** Path of the `alpaca` launcher, for commands that spawn runs of their own. */
  launcherPath: string;
}

/** pino's numeric levels, to tell a call that logs from one that is switched off without loading pino. */
const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/**
 * A pino logger on stderr at `level()`, created on its first enabled call: loading pino costs
 * about 20 ms of start-up, and most runs never log. `level` is read then, so the CLI can settle
 * --verbose after parsing the command line.
 */
export function createLogger(level: () => string): Logger {
  let real: Logger | undefined;
  const load = (): Logger => {
    if (!real) {
      const pino = createRequire(import.meta.url)("pino") as typeof import("pino");
      real = pino.default({ level: level(), base: null, timestamp: false }, pino.default.destination({ fd: 2, sync: true }));
    }
    return real;
  };
  const noop = (): void => {};
  return new Proxy({} as Logger, {
    get(_target, prop) {
      if (!real && typeof prop === "string" && prop in LEVELS && LEVELS[prop]! < (LEVELS[level()] ?? LEVELS.warn!)) return noop;
      const value: unknown = Reflect.get(load(), prop);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(real) : value;
    },
  });
}

/** How commands that spawn runs start `alpaca`: this Node binary, its engine flags, the launcher. */
export function launcherFor(ctx: CliContext): { execPath: string; engineArgs: readonly string[]; launcherPath: string } {
  return { execPath: process.execPath, engineArgs: process.execArgv, launcherPath: ctx.launcherPath };
}
