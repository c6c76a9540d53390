/**
 * Whether a log belongs to the run about to replay it: the one check both backends make before
 * a replay. The backend, the program's SHA-256, and the function (name, index or address, and
 * for Wasm its signature) must match: a UsageError otherwise. Arguments and environment move
 * memory (Wasm: the heap; native: the stack): a difference is a warning, naming the variables,
 * or for native programs, whose stack the log's addresses point into, a refusal.
 */
import { UsageError } from "../errors/index.js";
import type { Backend, LogHeader } from "./format.js";
import { envDifferences } from "./mac.js";

/** What the run about to replay is. */
export interface ReplayTarget {
  backend: Backend;
  programPath: string;
  programSha256: Uint8Array;
  functionName: string;
  /** Wasm function index, or x86-64 symbol address. */
  functionIndex: number;
  /** Wasm only: F's signature, compared with the log's. */
  signature?: { params: readonly string[]; results: readonly string[] };
  args: readonly string[];
  env: Record<string, string>;
  /** The user's log key, for the environment's digests. */
  key: Uint8Array;
  /** What a different environment is: a warning (Wasm) or a refusal (native). */
  envMismatch: "warn" | "refuse";
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const sig = (s: { params: readonly string[]; results: readonly string[] }): string => `(${s.params.join(", ")}) -> (${s.results.join(", ")})`;
const where = (t: ReplayTarget, index: number): string => (t.backend === "wasm" ? `#${index}` : `at 0x${index.toString(16)}`);

/** Throws a UsageError when the log is not for this run; returns warnings for what may move memory. */
export function checkHeaderMatches(h: LogHeader, logPath: string, t: ReplayTarget): string[] {
  const kind = t.backend === "wasm" ? "a WebAssembly program" : "an x86-64 program";
  if (h.backend !== t.backend) throw new UsageError(`log ${logPath} was recorded by the ${h.backend} backend, not for ${kind}`);
  if (hex(h.programSha256) !== hex(t.programSha256)) {
    throw new UsageError(`log ${logPath} was recorded for a different program (log sha256 ${hex(h.programSha256).slice(0, 16)}…, ${t.programPath} has ${hex(t.programSha256).slice(0, 16)}…); analyze this program again`);
  }
  const logged = `${h.functionName} ${where(t, h.functionIndex)}${t.signature ? ` ${sig(h)}` : ""}`;
  const wanted = `${t.functionName} ${where(t, t.functionIndex)}${t.signature ? ` ${sig(t.signature)}` : ""}`;
  if (logged !== wanted) throw new UsageError(`log ${logPath} is for function ${logged}, not ${wanted}`);
  const moves = t.backend === "wasm" ? "memory layout may differ and the replay may be wrong" : "they sit on the stack, so the replay may be wrong";
  const warnings: string[] = [];
  if (JSON.stringify(h.args) !== JSON.stringify(t.args)) warnings.push(`arguments differ from the analyzed run (${JSON.stringify(h.args)}); ${moves}`);
  const differ = envDifferences(t.key, h.env, t.env);
  if (differ.length > 0 && t.envMismatch === "refuse") {
    throw new UsageError(`the environment differs from the analyzed run's in ${differ.join(", ")}: disable needs the same environment, since its strings sit on the stack the log's addresses point into`);
  }
  if (differ.length > 0) warnings.push(`environment variables differ from the analyzed run: ${differ.join(", ")}; ${moves}`);
  return warnings;
}
