/**
 * Nothing lost on interruption, constant memory where logs are large (issue 16):
 * - SIGINT and SIGTERM during `analyze` end it with 130 / 143, remove its temporary file, and
 *   keep the log that was there before;
 * - `log dump`, text and --json, of a 64 MiB log runs in a V8 heap of 48 MiB and under 140 MiB
 *   resident: it streams;
 * - a directory or an unwritable path as --log is refused before the program starts;
 * - a disk that fills while the log is written (a 64 KiB tmpfs, where this test may mount one)
 *   ends analyze with one line and 125, keeping nothing partial and the log that was there.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { encodeLog, encodeMacBlock, logMac, loadUserKey, type Invocation } from "../src/log/index.js";
import { runCliSync, spawnCli } from "./harness/cli.js";

const ROOT = join(import.meta.dirname, "..");
const PROGRAM = join(ROOT, "build/test-suite/many_calls.wasm");
/** Writes about 1 MiB of log for 2,000 calls. */
const STORE_HEAVY = join(ROOT, "build/test-suite/store_heavy.wasm");

/** Mounts a 64 KiB tmpfs at a new folder; undefined where this user may not mount. */
function smallDisk(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), "alpaca-full-"));
  if (spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { stdio: "ignore" }).status === 0) return dir;
  rmSync(dir, { recursive: true, force: true });
  return undefined;
}

describe("interrupting analyze", { skip: existsSync(PROGRAM) ? false : "run make test-suite first" }, () => {
  for (const [signal, status] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    it(`${signal}: exit ${status}, no temporary file, the old log kept`, async () => {
      const t = mkdtempSync(join(tmpdir(), "alpaca-faults-"));
      try {
        writeFileSync(join(t, "bump.alog"), "the old log\n");
        // 400 million calls: minutes of analysis, far more than this test waits.
        const child = spawnCli(["analyze", "--func", "bump", "--log", "bump.alog", PROGRAM, "400000000"], { cwd: t, env: process.env, stdio: "ignore" });
        const exited = new Promise<number | null>((resolve) => child.on("exit", (code, sig) => resolve(code ?? (sig ? 128 + (sig === "SIGINT" ? 2 : 15) : null))));
        // Wait until the analysis is writing its temporary log.
        const deadline = Date.now() + 30_000;
        while (!readdirSync(t).some((f) => f.includes(".tmp-") && statSync(join(t, f)).size > 0) && Date.now() < deadline) await sleep(50);
        assert.ok(readdirSync(t).some((f) => f.includes(".tmp-")), "the analysis started writing");
        child.kill(signal);
        assert.equal(await exited, status);
        // The sentinel removes the file once alpaca is gone.
        for (let i = 0; i < 100 && readdirSync(t).length > 1; i++) await sleep(20);
        assert.deepEqual(readdirSync(t), ["bump.alog"]);
        assert.equal(readFileSync(join(t, "bump.alog"), "utf8"), "the old log\n");
      } finally {
        rmSync(t, { recursive: true, force: true });
      }
    });
  }

  it("refuses a directory, or a path in a folder that does not exist, as --log before the program starts", () => {
    const t = mkdtempSync(join(tmpdir(), "alpaca-faults-"));
    try {
      mkdirSync(join(t, "adir"));
      for (const [log, why] of [[join(t, "adir"), `--log ${join(t, "adir")}: is a directory`], [join(t, "no/such/f.alog"), `cannot write log ${join(t, "no/such/f.alog")}: no such directory`]] as const) {
        const r = runCliSync(["analyze", "--func", "bump", "--log", log, PROGRAM], { env: process.env });
        assert.equal(r.status, 125);
        assert.equal(r.stdout, "", "the program did not run");
        assert.equal(r.stderr, `alpaca: ${why}\n`);
      }
    } finally {
      rmSync(t, { recursive: true, force: true });
    }
  });
});

describe("a full disk while the log is written", { skip: existsSync(STORE_HEAVY) ? false : "run make test-suite first" }, () => {
  it("says so in one line, keeps nothing partial and keeps the previous log", (t) => {
    const disk = smallDisk();
    if (disk === undefined) return t.skip("cannot mount a tmpfs here (needs root)");
    try {
      const fresh = join(disk, "fresh.alog");
      const kept = join(disk, "kept.alog");
      writeFileSync(kept, "the old log\n");
      for (const [log, words] of [[fresh, "no partial log was kept"], [kept, "the previous log is kept"]] as const) {
        const r = runCliSync(["analyze", "--func", "fill", "--log", log, STORE_HEAVY, "2000"], { env: process.env });
        assert.equal(r.status, 125);
        assert.equal(r.stderr, `alpaca: cannot write log ${log}: no space left on the device; ${words}\n`);
      }
      assert.deepEqual(readdirSync(disk), ["kept.alog"]);
      assert.equal(readFileSync(kept, "utf8"), "the old log\n");
    } finally {
      spawnSync("umount", [disk], { stdio: "ignore" });
      rmSync(disk, { recursive: true, force: true });
    }
  });
});

/** Runs `alpaca log dump` with a small heap, counting output bytes and `needle`s as they stream past. */
function dumpCounting(args: string[], env: NodeJS.ProcessEnv, needle: string): Promise<{ status: number | null; bytes: number; count: number; peakRssMiB: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnCli(["log", "dump", ...args], { nodeArgs: ["--max-old-space-size=48"], env, stdio: ["ignore", "pipe", "pipe"] });
    let bytes = 0;
    let count = 0;
    let carry = "";
    let stderr = "";
    child.stdout!.setEncoding("latin1");
    child.stdout!.on("data", (s: string) => {
      bytes += s.length;
      const text = carry + s;
      count += text.split(needle).length - 1;
      carry = text.slice(-(needle.length - 1));
      if (carry.includes(needle)) carry = "";
    });
    child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    // The kernel's high-water mark of the dump's resident memory, read while it runs.
    let peakKiB = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
      } catch {
        // exited between two polls
      }
    }, 20);
    child.on("close", (status) => {
      clearInterval(poll);
      resolve({ status, bytes, count, peakRssMiB: peakKiB / 1024, stderr });
    });
  });
}

describe("log dump of a large log", () => {
  it("streams: text and --json in a 48 MiB heap for a 64 MiB log", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "alpaca-faults-"));
    try {
      const env = { ...process.env, XDG_CONFIG_HOME: join(dir, "config") };
      const invocations: Invocation[] = Array.from({ length: 2048 }, (_, index) => ({
        index, status: "returned", events: [{ kind: "write", addr: 4096, bytes: new Uint8Array(32768).fill(index & 0xff) }], returns: [],
      }));
      const body = encodeLog({
        header: { backend: "wasm", programSha256: new Uint8Array(32), functionName: "f", functionIndex: 1, params: [], results: [], args: [], env: [] },
        invocations, inputs: [], end: { invocationCount: invocations.length, inputCount: 0, outcome: "exited", exitCode: 0 },
      });
      const mac = logMac(loadUserKey(env));
      mac.update(body);
      const path = join(dir, "big.alog");
      writeFileSync(path, Buffer.concat([body, encodeMacBlock(mac.digest())]));
      assert.ok(statSync(path).size > 64 * 1024 * 1024);

      const text = await dumpCounting([path], env, "\ninvocation ");
      assert.equal(text.status, 0, text.stderr);
      assert.equal(text.count, invocations.length);
      assert.ok(text.peakRssMiB < 140, `text dump: ${text.peakRssMiB.toFixed(0)} MiB resident for a 64 MiB log`);
      const json = await dumpCounting(["--json", path], env, '"status": ');
      assert.equal(json.status, 0, json.stderr);
      assert.equal(json.count, invocations.length);
      assert.ok(json.bytes > 2 * 64 * 1024 * 1024, `${json.bytes} bytes of JSON: every write's bytes in hex`);
      assert.ok(json.peakRssMiB < 140, `JSON dump: ${json.peakRssMiB.toFixed(0)} MiB resident for a 64 MiB log`);
      t.diagnostic(`peak resident memory: text ${text.peakRssMiB.toFixed(0)} MiB, JSON ${json.peakRssMiB.toFixed(0)} MiB`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
