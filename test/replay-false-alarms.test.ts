/**
 * A correct replay never warns (issue 16): test-suite/stat_print.c's F checks whether stdout is
 * a terminal (fd_fdstat_get) and stats files (path_filestat_get, with padding the host never
 * writes). Analyzed with stdout as a file, a pipe or a terminal, and disabled with each of them,
 * on a data folder made anew between the two runs (new inodes and times), `disable --strict`
 * prints what the analyzed run printed, with nothing on stderr and status 0. The terminal cases
 * run under util-linux `script` and are skipped where it is missing.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliArgv, runCliSync } from "./harness/cli.js";

const ROOT = join(import.meta.dirname, "..");
const PROGRAM = join(ROOT, "build/test-suite/stat_print.wasm");
const INPUT = "twelve bytes";

type Stdout = "file" | "pipe" | "terminal";

const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;

/** What stat_print prints, from its source. */
const EXPECTED = [0, 1, 2].map((i) => `round ${i}: input.txt has ${INPUT.length} bytes, /data is a directory\n`).join("") + `total ${3 * INPUT.length}\n`;

function freshData(t: string): string {
  const data = join(t, "data");
  rmSync(data, { recursive: true, force: true });
  mkdirSync(data);
  writeFileSync(join(data, "input.txt"), INPUT);
  return data;
}

function run(args: string[], stdout: Stdout, t: string): { out: string; stderr: string; status: number | null } {
  const env = { ...process.env, ALPACA_LOG_LEVEL: "" };
  if (stdout === "terminal") {
    const command = cliArgv(args).map((a) => `'${a}'`).join(" ");
    const r = spawnSync("script", ["-qec", `${command} 2>${join(t, "stderr")}`, "/dev/null"], { encoding: "utf8", env });
    return { out: r.stdout.replace(/\r\n/g, "\n"), stderr: readFileSync(join(t, "stderr"), "utf8"), status: r.status };
  }
  if (stdout === "file") {
    const path = join(t, "stdout");
    const fd = openSync(path, "w");
    try {
      const r = runCliSync(args, { env, stdio: ["ignore", fd, "pipe"] });
      return { out: readFileSync(path, "utf8"), stderr: r.stderr, status: r.status };
    } finally {
      closeSync(fd);
    }
  }
  const r = runCliSync(args, { env });
  return { out: r.stdout, stderr: r.stderr, status: r.status };
}

describe("replays that must not warn", { skip: existsSync(PROGRAM) ? false : "run make test-suite first" }, () => {
  const kinds: Stdout[] = ["file", "pipe", "terminal"];
  for (const analyzed of kinds) {
    for (const disabled of kinds) {
      const skip = (analyzed === "terminal" || disabled === "terminal") && !hasScript ? "util-linux script is not installed" : false;
      it(`stdout as ${analyzed} when analyzed, as ${disabled} when disabled`, { skip }, () => {
        const t = mkdtempSync(join(tmpdir(), "alpaca-alarms-"));
        try {
          const log = join(t, "describe.alog");
          const a = run(["analyze", "--func", "describe", "--log", log, "--dir", `${freshData(t)}:/data`, PROGRAM], analyzed, t);
          assert.equal(a.stderr, "");
          assert.equal(a.out, EXPECTED);
          const d = run(["disable", "--strict", "--func", "describe", "--log", log, "--dir", `${freshData(t)}:/data`, PROGRAM], disabled, t);
          assert.equal(d.stderr, "", "no warning, no --strict failure");
          assert.equal(d.status, 0);
          assert.equal(d.out, EXPECTED);
        } finally {
          rmSync(t, { recursive: true, force: true });
        }
      });
    }
  }
});
