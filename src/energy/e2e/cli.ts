/**
 * Spawns the real `alpaca` CLI for the energy end-to-end harnesses, with the caller's
 * environment less its ALPACA_* variables, no stdin, and stdout and stderr collected.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const ALPACA = path.join(ROOT, "bin/alpaca.js");

export interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `alpaca ARGS`, with extra variables `env` and Node flags `engineFlags`. */
export function alpaca(args: string[], env: NodeJS.ProcessEnv = {}, engineFlags: readonly string[] = []): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ALPACA_")));
    const child = spawn(process.execPath, [...engineFlags, ALPACA, ...args], { env: { ...clean, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** One end-to-end case: a name and a check that throws with what went wrong. */
export interface E2eCase {
  name: string;
  run: () => Promise<void>;
  /** Why this case cannot run here (it is then listed as skipped), if it cannot. */
  skip?: () => string | undefined;
}

/** Runs the cases in order, one line each (`ok`, `FAIL`, `skip`), and returns the counts. */
export async function runCases(cases: readonly E2eCase[]): Promise<{ passed: number; failed: number }> {
  let passed = 0;
  let failed = 0;
  for (const c of cases) {
    const skipped = c.skip?.();
    if (skipped) {
      console.log(`skip ${c.name}: ${skipped}`);
      continue;
    }
    const t0 = Date.now();
    try {
      await c.run();
      passed++;
      console.log(`ok   ${c.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${c.name}: ${(error as Error).message}`);
    }
  }
  return { passed, failed };
}
