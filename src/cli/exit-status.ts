/** Thrown by a subcommand's action to end the CLI with a given status (usually the guest's). */
export class ExitStatus {
  constructor(readonly code: number) {}
}

/** Exit status for Alpaca's own failures (bad input, environment). */
export const EXIT_ALPACA_FAILURE = 125;
