/**
 * The committed in-Wasm cores are the builds of their reviewed sources: each .wasm is built
 * afresh from its C into a temporary folder (make core-build) and compared with the committed
 * file, which no ordinary make target rewrites (mk/cores.mk). A different clang may emit other
 * bytes, so the comparison runs when this machine's clang is the one src/runtime/cores.clang
 * records, and says so when it is not. The C's log-format tags come from src/log/format.ts
 * through the committed src/runtime/log-format.h, which must be what the generator prints.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatHeader } from "../log/format-header.js";

const ROOT = join(import.meta.dirname, "../..");
const clang = spawnSync("clang", ["--target=wasm32", "--version"], { encoding: "utf8" });
const here = clang.status === 0 ? clang.stdout.split("\n")[0]!.trim() : undefined;
const recorded = readFileSync(join(ROOT, "src/runtime/cores.clang"), "utf8").trim();
const skip = here === undefined ? "clang not installed" : here !== recorded ? `the cores were built by ${recorded}; this machine has ${here}` : false;

describe("committed cores", () => {
  it("src/runtime/log-format.h is what src/log/format-header.ts generates from format.ts", () => {
    assert.equal(readFileSync(join(ROOT, "src/runtime/log-format.h"), "utf8"), formatHeader(), "src/runtime/log-format.h is stale: run `make cores` and commit it");
  });

  for (const core of ["recorder", "replay"]) {
    it(`src/runtime/${core}-core.wasm is the build of ${core}-core.c`, { skip }, () => {
      const dir = mkdtempSync(join(tmpdir(), "alpaca-core-"));
      try {
        const out = join(dir, `${core}.wasm`);
        execFileSync("make", ["-s", "-C", ROOT, "core-build", `CORE=${core}`, `CORE_OUT=${out}`], { stdio: "pipe" });
        const committed = readFileSync(join(ROOT, `src/runtime/${core}-core.wasm`));
        assert.ok(readFileSync(out).equals(committed), `src/runtime/${core}-core.wasm is stale: run \`make cores\` and commit it`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
