/** The one check of a log against the run about to replay it (both backends). */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { checkHeaderMatches, envVars, type LogHeader, type ReplayTarget } from "./index.js";

const KEY = new Uint8Array(32).fill(5);
const header: LogHeader = {
  backend: "wasm", programSha256: new Uint8Array(32).fill(1), functionName: "f", functionIndex: 7,
  params: ["i32"], results: ["i64"], args: ["a"], env: envVars(KEY, { HOME: "/h", TOKEN: "secret" }),
};
const target: ReplayTarget = {
  backend: "wasm", programPath: "p.wasm", programSha256: new Uint8Array(32).fill(1), functionName: "f", functionIndex: 7,
  signature: { params: ["i32"], results: ["i64"] }, args: ["a"], env: { HOME: "/h", TOKEN: "secret" }, key: KEY, envMismatch: "warn",
};

describe("a log's header against the run", () => {
  it("matches the run it was made for, without warnings", () => {
    assert.deepEqual(checkHeaderMatches(header, "f.alog", target), []);
  });
  it("refuses another backend, program or function, saying which", () => {
    assert.throws(() => checkHeaderMatches({ ...header, backend: "x86-64" }, "f.alog", target), /^UsageError: log f\.alog was recorded by the x86-64 backend, not for a WebAssembly program$/);
    assert.throws(() => checkHeaderMatches({ ...header, programSha256: new Uint8Array(32) }, "f.alog", target), /recorded for a different program \(log sha256 0000000000000000…, p\.wasm has 0101010101010101…\); analyze this program again$/);
    assert.throws(() => checkHeaderMatches({ ...header, results: ["i32"] }, "f.alog", target), /is for function f #7 \(i32\) -> \(i32\), not f #7 \(i32\) -> \(i64\)$/);
    const native: ReplayTarget = { ...target, backend: "x86-64", functionIndex: 0x401010 };
    delete native.signature;
    assert.throws(() => checkHeaderMatches({ ...header, backend: "x86-64", functionIndex: 0x401000 }, "f.alog", native), /is for function f at 0x401000, not f at 0x401010$/);
  });
  it("warns about other arguments, and about other environment variables by name, never by value", () => {
    const w = checkHeaderMatches(header, "f.alog", { ...target, args: ["b"], env: { HOME: "/h", TOKEN: "other", EXTRA: "1" } });
    assert.equal(w.length, 2);
    assert.match(w[0]!, /^arguments differ from the analyzed run \(\["a"\]\)/);
    assert.match(w[1]!, /^environment variables differ from the analyzed run: EXTRA, TOKEN;/);
    assert.ok(!w.join("").includes("secret") && !w.join("").includes("other"));
  });
  it("refuses another environment where the log's addresses depend on it (native)", () => {
    assert.throws(() => checkHeaderMatches(header, "f.alog", { ...target, env: { HOME: "/x", TOKEN: "secret" }, envMismatch: "refuse" }), /environment differs from the analyzed run's in HOME: disable needs the same environment/);
  });
});
