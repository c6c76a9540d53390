import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ByteWriter } from "../binary/index.js";
import { AlpacaError, EnvironmentError, UsageError } from "../errors/index.js";
import { ERR, H } from "./protocol.js";
import { defaultHelperPath, helperError, parseExit, signalName } from "./session.js";

const errorFrame = (code: number, message: string, addr = 0n) => ({
  type: H.ERROR,
  payload: new ByteWriter().u32(code).u64(addr).bytes(new TextEncoder().encode(message)).toBytes(),
});

describe("helper errors become Alpaca errors", () => {
  it("ptrace refused: environment error saying how to allow it", () => {
    const e = helperError(errorFrame(ERR.PTRACE, "PTRACE_TRACEME: Operation not permitted"));
    assert.ok(e instanceof EnvironmentError);
    assert.match(e.message, /ptrace is not permitted/);
    assert.match(e.hint ?? "", /ptrace_scope=0.*root/);
  });
  it("exec failures are usage errors; personality refused is the environment's", () => {
    assert.ok(helperError(errorFrame(ERR.EXEC, "cannot execute ./x: Permission denied")) instanceof UsageError);
    const p = helperError(errorFrame(ERR.EXEC, "cannot disable address randomization: personality: Operation not permitted"));
    assert.ok(p instanceof EnvironmentError);
    assert.match(p.hint ?? "", /personality/);
  });
  it("unsupported instructions are described by the decoder", () => {
    const e = helperError(errorFrame(ERR.UNSUPPORTED_INSN, "x", 0x401000n), (a) => `\`vscatterdps\` at 0x${a.toString(16)}`);
    assert.ok(e instanceof AlpacaError);
    assert.equal(e.message, "native: cannot locate the memory written by `vscatterdps` at 0x401000");
  });
});

describe("exits", () => {
  it("an exit status passes through; a signal death is 128 + signo with a message; the stub's count comes along", () => {
    const exit = (kind: number, code: number, calls = 0) => ({
      type: H.EXIT, payload: new Uint8Array([kind, code, 0, 0, 0, calls, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x27, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]),
    });
    const cpu = { user: 10000, system: 3 };
    assert.deepEqual(parseExit(exit(0, 42)), { exitCode: 42, stubCalls: 0n, cpu });
    assert.deepEqual(parseExit(exit(1, 11, 7)), { exitCode: 139, signal: 11, message: "killed by signal 11 (SIGSEGV)", stubCalls: 7n, cpu });
    assert.deepEqual(parseExit(exit(2, 9)), { exitCode: 137, signal: 9, message: "killed by signal 9 (SIGKILL)", stubCalls: 0n, cpu, fromOutside: true });
    assert.throws(() => parseExit({ type: H.EXIT, payload: new Uint8Array([0, 1, 0, 0, 0]) }), /short EXIT frame/);
    assert.equal(signalName(99), "signal 99");
  });
  it("the helper path can be overridden", () => {
    assert.equal(defaultHelperPath({ ALPACA_NATIVE_HELPER: "/opt/h" }), "/opt/h");
    assert.match(defaultHelperPath({}), /build\/native\/alpaca-native-helper$/);
  });
});
