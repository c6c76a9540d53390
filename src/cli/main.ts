/**
 * The `alpaca` command line (commander). One file per subcommand registers itself here; this
 * module owns error reporting: AlpacaError → `alpaca: message` on stderr and exit status 125,
 * anything else the same plus a stack trace under --verbose. Returns the exit status; only the
 * launcher (bin/alpaca.js) sets it.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { createLogger, type CliContext } from "./context.js";
import { describe } from "./describe-error.js";
import { EXIT_ALPACA_FAILURE, ExitStatus } from "./exit-status.js";
import { registerRunCommands } from "./cmd-run.js";
import { registerFunctions } from "./cmd-functions.js";
import { registerLog } from "./cmd-log.js";
import { registerEnergy } from "./cmd-energy.js";
import { registerProfile } from "./cmd-profile.js";
import { registerRunner } from "./cmd-runner.js";
import { registerSampler } from "./cmd-sampler.js";

export { ExitStatus, EXIT_ALPACA_FAILURE };

/** Commander's own errors get our one-line `alpaca: ...` form. */
const OUTPUT = {
  writeErr: (s: string) => process.stderr.write(s),
  writeOut: (s: string) => process.stdout.write(s),
  outputError: (s: string, write: (s: string) => void) => write(`alpaca: ${s.replace(/^error: /, "")}`),
};


/** A reader that stops early (`alpaca log dump big.alog | head`) ends our output quietly, as Unix tools do. */
function quietOnClosedStdout(): void {
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
}

/** The version in package.json (two folders up from src/cli and from dist/cli alike). */
function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
  return pkg.version ?? "unknown";
}

/**
 * Alpaca's options are read only before PROGRAM: commander stops at the first argument of a
 * subcommand (passThroughOptions), so `-v` after PROGRAM is the program's. Every subcommand takes
 * -v/--verbose as the top level does, and `verbose` is settled once parsing has reached an action.
 */
function addVerboseOption(cmd: Command): void {
  if (!cmd.options.some((o) => o.long === "--verbose")) cmd.option("-v, --verbose", "debug logging and stack traces on failure");
}

export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  quietOnClosedStdout();
  const ctx: CliContext = {
    logger: createLogger(() => (ctx.verbose ? "debug" : (env.ALPACA_LOG_LEVEL ?? "warn"))),
    env,
    verbose: false,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
    launcherPath: fileURLToPath(new URL("../../bin/alpaca.js", import.meta.url)),
  };
  const program = new Command("alpaca")
    .description("function-level energy profiler: analyze a function, disable it by replay, compare energy")
    .version(readVersion(), "-V, --version", "print alpaca's version")
    .option("-v, --verbose", "debug logging and stack traces on failure")
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput(OUTPUT);
  registerRunCommands(program, ctx);
  registerFunctions(program, ctx);
  registerLog(program, ctx);
  registerEnergy(program, ctx);
  registerProfile(program, ctx);
  registerRunner(program, ctx);
  registerSampler(program, ctx);
  for (const cmd of program.commands) {
    cmd.exitOverride().configureOutput(OUTPUT);
    if (cmd.commands.length === 0) addVerboseOption(cmd);
    for (const sub of cmd.commands) addVerboseOption(sub.exitOverride().configureOutput(OUTPUT));
  }
  program.hook("preAction", (_top, action) => {
    ctx.verbose = Boolean(program.opts().verbose || action.opts().verbose);
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof ExitStatus) return error.code;
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return 0;
      // commander already printed "error: ..."; keep our one-line contract by not adding more.
      return EXIT_ALPACA_FAILURE;
    }
    ctx.err(describe(error, ctx.verbose));
    return EXIT_ALPACA_FAILURE;
  }
}
