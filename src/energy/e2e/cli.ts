/**
 * The energy and profile end-to-end harnesses: `alpaca` through the shared CLI harness
 * (test/harness/cli.ts), and the runner of their cases.
 */
import { envWithoutAlpaca, LAUNCHER, ROOT, runCli } from "../../../test/harness/cli.js";

export { ROOT };
export const ALPACA = LAUNCHER;

export interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `alpaca ARGS`, with extra variables `env` and Node flags `engineFlags` (test/harness/cli.ts). */
export async function alpaca(args: string[], env: NodeJS.ProcessEnv = {}, engineFlags: readonly string[] = []): Promise<Outcome> {
  const r = await runCli(args, { env: envWithoutAlpaca(env), nodeArgs: engineFlags });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
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
