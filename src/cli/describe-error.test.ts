/** The one line alpaca prints for an error: its own errors as they are, a broken invariant or a foreign error as internal. */
import { describe as suite, it } from "node:test";
import assert from "node:assert/strict";
import { AlpacaError, DecodeError, InternalError, UsageError, withContext } from "../errors/index.js";
import { describe } from "./describe-error.js";

suite("error lines", () => {
  it("prints alpaca's own errors as they are, with a hint", () => {
    assert.equal(describe(new UsageError("--runs 0: expected at least 2"), false), "alpaca: --runs 0: expected at least 2");
    assert.equal(describe(new AlpacaError("no RAPL", { hint: "see docs/energy.md" }), false), "alpaca: no RAPL (see docs/energy.md)");
  });
  it("keeps a decode error's class and offset when an edge adds where it happened", () => {
    const e = withContext(new DecodeError("log: unknown block kind 0x09", 42), "f.alog");
    assert.ok(e instanceof DecodeError);
    assert.equal(e.offset, 42);
    assert.equal(describe(e, false), "alpaca: f.alog: log: unknown block kind 0x09 at byte 42");
  });
  it("prints a broken invariant, and any error not alpaca's, as an internal error", () => {
    assert.equal(describe(new InternalError("log: no invocation block 3"), false), "alpaca: internal error: log: no invocation block 3 (run with --verbose for details)");
    assert.equal(describe(new TypeError("x is undefined"), false), "alpaca: internal error: x is undefined (run with --verbose for details)");
    assert.match(describe(new InternalError("broken"), true), /^alpaca: internal error: broken\nInternalError: broken\n {4}at /);
  });
});
