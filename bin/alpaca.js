#!/usr/bin/env node
// Thin launcher: loads the TypeScript CLI through tsx and hands it argv. The CLI chooses the exit status.
import { register } from "tsx/esm/api";
register();
const { runCli } = await import("../src/cli/main.ts");
process.exitCode = await runCli(process.argv.slice(2));
