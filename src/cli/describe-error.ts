/**
 * An error as the one line alpaca prints for it: AlpacaError → `alpaca: message (hint)`;
 * InternalError, and anything not an AlpacaError, `alpaca: internal error: ...`; stack traces
 * only when verbose.
 */
import { AlpacaError, InternalError } from "../errors/index.js";

export function describe(error: unknown, verbose: boolean): string {
  if (error instanceof AlpacaError && !(error instanceof InternalError)) {
    const hint = error.hint ? ` (${error.hint})` : "";
    const stack = verbose && error.stack ? `\n${error.stack}` : "";
    return `alpaca: ${error.message}${hint}${stack}`;
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return `alpaca: internal error: ${e.message}${verbose && e.stack ? `\n${e.stack}` : " (run with --verbose for details)"}`;
}
