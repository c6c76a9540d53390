/**
 * Stand-alone entry of the serving sampler, for tests and benchmarks that must not depend on
 * the whole CLI: `node --import tsx src/energy/sampler-main.ts --source rapl --powercap-root DIR`.
 * `alpaca sampler --serve` (src/cli/cmd-sampler.ts) runs the same serveSampler.
 */
import { parseArgs } from "node:util";
import { DEFAULT_WATTS_PER_CORE } from "../source/model.js";
import { POWERCAP_ROOT } from "../source/powercap.js";
import { serveSampler } from "./sampler-serve.js";

const { values } = parseArgs({
  options: {
    serve: { type: "boolean" },
    source: { type: "string", default: "rapl" },
    "powercap-root": { type: "string", default: POWERCAP_ROOT },
    watts: { type: "string", default: String(DEFAULT_WATTS_PER_CORE) },
  },
});
const source = values.source === "model" ? "model" : "rapl";
try {
  await serveSampler({ source, powercapRoot: values["powercap-root"], wattsPerCore: Number(values.watts) });
} catch (error) {
  process.stderr.write(`alpaca: ${(error as Error).message}\n`);
  process.exitCode = 125;
}
