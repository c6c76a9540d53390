/** `alpaca energy` (placeholder until the energy utility lands). */
import type { Command } from "commander";
import type { CliContext } from "./context.js";

export function registerEnergy(_program: Command, _ctx: CliContext): void {}
