/**
 * The program's output must survive a slow reader: with stdout on a pipe that nobody reads for a
 * while, every byte still arrives, in plain, analyzed and disabled runs (libuv leaves pipes in
 * non-blocking mode, where the guest's direct writes would fail with EAGAIN and be lost).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const PROGRAM = join(ROOT, "build/test-suite/big_output.wasm");
const BLOCKS = 20;
const EXPECTED_LINES = BLOCKS * 1000;

/** Runs the CLI, reading its stdout only after a pause long enough to fill the pipe. */
function runWithSlowReader(args: string[], cwd: string): Promise<{ lines: number; status: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "bin/alpaca.js"), ...args], { cwd, stdio: ["ignore", "pipe", "ignore"] });
    child.stdout.pause();
    const chunks: Buffer[] = [];
    setTimeout(() => {
      child.stdout.on("data", (d: Buffer) => chunks.push(d));
      child.stdout.resume();
    }, 1500);
    child.on("error", reject);
    child.on("close", (status) => {
      const text = Buffer.concat(chunks).toString();
      resolve({ lines: text.split("\n").length - 1, status });
    });
  });
}

describe("output through a slow pipe", { skip: existsSync(PROGRAM) ? false : "run make test-suite first" }, () => {
  it("loses nothing in plain, analyzed and disabled runs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "alpaca-pipe-"));
    try {
      const log = join(dir, "e.alog");
      const plain = await runWithSlowReader(["run", PROGRAM, String(BLOCKS)], dir);
      assert.deepEqual(plain, { lines: EXPECTED_LINES, status: 0 });
      const analyzed = await runWithSlowReader(["analyze", "--func", "emit_block", "--log", log, PROGRAM, String(BLOCKS)], dir);
      assert.deepEqual(analyzed, { lines: EXPECTED_LINES, status: 0 });
      const disabled = await runWithSlowReader(["disable", "--func", "emit_block", "--log", log, PROGRAM, String(BLOCKS)], dir);
      assert.deepEqual(disabled, { lines: EXPECTED_LINES, status: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
