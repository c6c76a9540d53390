/**
 * The WASI sandbox against a hostile guest (test-suite/sandbox_escape.c, issue 16): in plain,
 * analyzed and disabled runs, every escape (`..`, absolute paths, a sibling whose name starts
 * with the preopen's, symlinks made by the guest or already there, hard links, renames, a
 * directory descriptor's own `..`) fails with the errno a capability-based runtime gives, every
 * legitimate path works, and nothing outside the preopen is created, changed or removed.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCliSync } from "./harness/cli.js";

const ROOT = join(import.meta.dirname, "..");
const PROGRAM = join(ROOT, "build/test-suite/sandbox_escape.wasm");

const NOTCAPABLE = 76;
const LOOP = 32;
const NOENT = 44;

/** What each attempt must give: ok_* succeed; the rest fail with this errno. */
const EXPECTED_FAILURES: Record<string, number> = {
  deny_loop: LOOP,
  // O_NOFOLLOW on a symlink: ELOOP, as open(2) gives.
  deny_open_out_nofollow: LOOP,
  // The symlink `a` was refused, so there is nothing to go through.
  deny_create_through_a: NOENT,
};

/** A preopen `box` beside a folder `outside` with a secret and a victim, and a sibling `boxsibling`. */
function makeTree(): string {
  const t = mkdtempSync(join(tmpdir(), "alpaca-sandbox-"));
  mkdirSync(join(t, "box/sub"), { recursive: true });
  mkdirSync(join(t, "outside"));
  mkdirSync(join(t, "boxsibling"));
  writeFileSync(join(t, "box/sub/file"), "inside\n");
  writeFileSync(join(t, "outside/secret"), "secret\n");
  writeFileSync(join(t, "outside/victim"), "victim\n");
  writeFileSync(join(t, "boxsibling/f"), "sibling\n");
  symlinkSync("../outside", join(t, "box/out"));
  symlinkSync("sub", join(t, "box/in"));
  symlinkSync("loop2", join(t, "box/loop1"));
  symlinkSync("loop1", join(t, "box/loop2"));
  symlinkSync("../outside/newfile", join(t, "box/dangling"));
  return t;
}

/** Every path under `dir` with its kind and content, for comparing before and after. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) out.push(`${name}/`, ...snapshot(p).map((s) => `${name}/${s}`));
    else out.push(`${name} ${st.isSymbolicLink() ? "link" : readFileSync(p, "utf8")} ${st.mtimeMs} ${st.ctimeMs}`);
  }
  return out;
}

function alpaca(args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = runCliSync(args, { env: { ...process.env, ALPACA_LOG_LEVEL: "" } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

function checkAttempts(stdout: string): void {
  const lines = stdout.trim().split("\n").map((l) => l.split(" "));
  assert.ok(lines.length >= 40, `the guest made ${lines.length} attempts:\n${stdout}`);
  for (const [name, errno] of lines) {
    const got = Number(errno);
    if (name!.startsWith("ok_")) assert.equal(got, 0, `${name} must succeed`);
    else assert.equal(got, EXPECTED_FAILURES[name!] ?? NOTCAPABLE, `${name} must fail`);
  }
}

describe("WASI sandbox against a hostile guest", { skip: existsSync(PROGRAM) ? false : "run make test-suite first" }, () => {
  const modes: Array<[string, (box: string, log: string) => string[][]]> = [
    ["plain", (box) => [["run", "--dir", `${box}:/box`, PROGRAM]]],
    ["analyze and disable", (box, log) => [
      ["analyze", "--func", "attack", "--log", log, "--dir", `${box}:/box`, PROGRAM],
      ["disable", "--func", "attack", "--log", log, "--dir", `${box}:/box`, PROGRAM],
    ]],
  ];
  for (const [name, commands] of modes) {
    it(`keeps the guest inside its preopen: ${name}`, () => {
      const t = makeTree();
      try {
        const outside = snapshot(join(t, "outside"));
        const sibling = snapshot(join(t, "boxsibling"));
        const top = readdirSync(t).sort();
        const outputs: string[] = [];
        for (const args of commands(join(t, "box"), join(t, "attack.alog"))) {
          const r = alpaca(args);
          assert.equal(r.stderr, "", `${args[0]}: ${r.stderr}`);
          assert.equal(r.status, 0);
          checkAttempts(r.stdout);
          outputs.push(r.stdout);
          assert.deepEqual(snapshot(join(t, "outside")), outside, "nothing outside the preopen changes");
          assert.deepEqual(snapshot(join(t, "boxsibling")), sibling);
          assert.deepEqual(readdirSync(t).filter((n) => n !== "attack.alog").sort(), top);
        }
        if (outputs.length === 2) assert.equal(outputs[1], outputs[0], "the disabled run prints what the analyzed run printed");
        assert.ok(lstatSync(join(t, "box/made")).isFile());
        assert.ok(!existsSync(join(t, "box/a")) && !existsSync(join(t, "box/c")) && !existsSync(join(t, "box/hardlink")));
      } finally {
        rmSync(t, { recursive: true, force: true });
      }
    });
  }

  it("refuses a --dir that does not exist or is not a directory, before the program starts", () => {
    const t = mkdtempSync(join(tmpdir(), "alpaca-sandbox-"));
    try {
      writeFileSync(join(t, "file"), "");
      for (const [host, why] of [[join(t, "missing"), "no such directory"], [join(t, "file"), "not a directory"]] as const) {
        const r = alpaca(["run", "--dir", `${host}:/box`, PROGRAM]);
        assert.equal(r.status, 125);
        assert.equal(r.stdout, "", "the program did not start");
        assert.equal(r.stderr, `alpaca: --dir ${host}: ${why}\n`);
      }
    } finally {
      rmSync(t, { recursive: true, force: true });
    }
  });
});
