/**
 * The program's output must survive a slow reader: with stdout on a pipe that nobody reads for a
 * while, every byte still arrives, in plain, analyzed and disabled runs (libuv leaves pipes in
 * non-blocking mode, where the guest's direct writes would fail with EAGAIN and be lost). And a
 * reader that stops early (`alpaca log dump | head`) must not get a stack trace.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { encodeLog } from "../src/log/index.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnCli } from "./harness/cli.js";

const ROOT = join(import.meta.dirname, "..");
const PROGRAM = join(ROOT, "build/test-suite/big_output.wasm");
const BLOCKS = 20;
const EXPECTED_LINES = BLOCKS * 1000;

/** Runs the CLI, reading its stdout only after a pause long enough to fill the pipe. */
function runWithSlowReader(args: string[], cwd: string): Promise<{ lines: number; status: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, { cwd, env: process.env, stdio: ["ignore", "pipe", "ignore"] });
    child.stdout!.pause();
    const chunks: Buffer[] = [];
    setTimeout(() => {
      child.stdout!.on("data", (d: Buffer) => chunks.push(d));
      child.stdout!.resume();
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

describe("output to a reader that stops early", () => {
  it("log dump ends quietly when its reader closes the pipe", async () => {
    const dir = mkdtempSync(join(tmpdir(), "alpaca-epipe-"));
    try {
      const log = join(dir, "big.alog");
      const invocations = Array.from({ length: 20000 }, (_, index) => ({
        index, status: "returned" as const, events: [{ kind: "write" as const, addr: 4096 + index, bytes: new Uint8Array([index & 255]) }], returns: [],
      }));
      writeFileSync(log, encodeLog({
        header: { backend: "wasm", programSha256: new Uint8Array(32), functionName: "f", functionIndex: 1, params: [], results: [], args: [], env: [] },
        invocations, inputs: [], end: { invocationCount: invocations.length, inputCount: 0, outcome: "exited", exitCode: 0 },
      }));
      const result = await new Promise<{ stderr: string; status: number | null }>((resolve, reject) => {
        const child = spawnCli(["log", "dump", log], { env: process.env, stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
        child.stdout!.once("data", () => child.stdout!.destroy());
        child.on("error", reject);
        child.on("close", (status) => resolve({ stderr, status }));
      });
      assert.deepEqual(result, { stderr: "", status: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
