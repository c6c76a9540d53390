#!/usr/bin/env node
// Thin launcher: runs the compiled CLI (dist/, built by `npm run build`) and hands it argv. The
// CLI chooses the exit status. An analysis runs in a child Node with a larger stack
// (src/cli/stack-headroom.ts). Node prints an ExperimentalWarning when node:wasi loads; the
// profiled program's stderr must carry only what the program writes, so that one warning is
// dropped and others still print.
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (w.name === "ExperimentalWarning" && /WASI/.test(w.message)) return;
  process.stderr.write(`${w.name}: ${w.message}\n`);
});
const main = new URL("../dist/cli/main.js", import.meta.url);
const headroom = new URL("../dist/cli/stack-headroom.js", import.meta.url);
// Analyses run with a larger V8 stack (dist/cli/stack-headroom.js says why): in a child Node.
const relaunched = import(headroom.href).then(
  ({ wantsAnalysisStack, relaunchWithAnalysisStack }) => {
    const kb = wantsAnalysisStack(process.argv.slice(2), process.env, process.execArgv);
    return kb === undefined ? undefined : relaunchWithAnalysisStack(new URL(import.meta.url).pathname, process.argv.slice(2), kb);
  },
  () => undefined,
);
relaunched.then((status) => (status === undefined ? import(main.href) : { runCli: async () => status })).then(
  async ({ runCli }) => {
    process.exitCode = await runCli(process.argv.slice(2));
  },
  (error) => {
    const missing = error?.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes(main.pathname);
    process.stderr.write(missing ? "alpaca: not built: run `npm run build` in the alpaca checkout (dist/ is missing)\n" : `alpaca: cannot start: ${error?.stack ?? error}\n`);
    process.exitCode = 125;
  },
);
