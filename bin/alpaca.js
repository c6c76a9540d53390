#!/usr/bin/env node
// Thin launcher: loads the TypeScript CLI through tsx and hands it argv. The CLI chooses the exit status.
// Node prints an ExperimentalWarning when node:wasi loads; the profiled program's stderr must
// carry only what the program writes, so that one warning is dropped and others still print.
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (w.name === "ExperimentalWarning" && /WASI/.test(w.message)) return;
  process.stderr.write(`${w.name}: ${w.message}\n`);
});
import("tsx/esm/api").then(async ({ register }) => {
  register();
  const { runCli } = await import("../src/cli/main.ts");
  process.exitCode = await runCli(process.argv.slice(2));
});
