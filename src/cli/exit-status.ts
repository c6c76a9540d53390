/** Thrown by a subcommand's action to end the CLI with a given status (usually the guest's). */
export class ExitStatus extends Error {
  constructor(readonly code: number) {
    super(`exit status ${code}`);
  }
}

/** Exit status for Alpaca's own failures (bad input, environment). */
export const EXIT_ALPACA_FAILURE = 125;
