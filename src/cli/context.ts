/**
 * What every subcommand gets from the CLI shell: the logger, stderr/stdout writers, the process
 * environment, and the registry of per-backend runners. Only the CLI reads process.env / argv.
 */
import pino, { type Logger } from "pino";

export interface CliContext {
  logger: Logger;
  env: NodeJS.ProcessEnv;
  verbose: boolean;
  /** Report output (stdout belongs to the profiled program in run modes; reports use it otherwise). */
  out: (text: string) => void;
  /** One-line diagnostics on stderr. */
  err: (text: string) => void;
  /** Path of the `alpaca` launcher, for commands that spawn runs of their own. */
  launcherPath: string;
}

export function createLogger(level: string): Logger {
  return pino({ level, base: null, timestamp: false }, pino.destination({ fd: 2, sync: true }));
}
