/**
 * The host side of the replay core (replay-core.c): loads its module once, instantiates it
 * against a disabled or control instance's exported stores, and gives the replayer what it needs
 * to share the log's blocks with it: load a block, apply the next record from JS, and where the
 * core stopped. The rewritten module calls the core's `replay_next` and `result_bits` itself,
 * through its hook table (RewriteLayout.replayCore).
 */
import { EXPORT, isPackedReplay, VALTYPE_CODE, type WasmValType } from "../wasm/index.js";
import { loadCoreModule } from "./core-module.js";

/** The compiled core, or null when its .wasm is missing (the replay then stays in JS). */
export function replayCoreModule(): WebAssembly.Module | null {
  return loadCoreModule("replay-core.wasm");
}

interface CoreExports {
  memory: WebAssembly.Memory;
  buffer(): number;
  buffer_bytes(): number;
  init(type: number): void;
  load_block(len: number): void;
  resume(pos: number): void;
  replay_next(): number;
  replay_packed(): bigint;
  result_bits(): bigint;
  defer_pos(): number;
  resume_pos(): number;
  applied(): number;
  applied_bytes(): bigint;
  owned(): number;
}

export class ReplayCore {
  private readonly ex: CoreExports;
  private readonly capacity: number;
  /**
   * For the guest's hook table: apply the next record (1) or leave it to the host (0); for an F
   * with at most one 32-bit result, with the result packed in (isPackedReplay).
   */
  readonly replayNext: WebAssembly.ExportValue;
  /** For a control module's hook table: replay_packed after F's result exists (see rewrite.ts controlBodyPacked). */
  readonly replayAfter: WebAssembly.ExportValue;
  /** For the guest's hook table: the applied record's result bits. */
  readonly resultBits: WebAssembly.ExportValue;

  /** Instantiates the core for a guest instance whose module exports the stores (EXPORT.store). */
  constructor(module: WebAssembly.Module, guest: WebAssembly.Exports, result: WasmValType | undefined) {
    const instance = new WebAssembly.Instance(module, {
      alpaca: {
        store8: guest[EXPORT.store(8)]!,
        store32: guest[EXPORT.store(32)]!,
        store64: guest[EXPORT.store(64)]!,
        pages: guest[EXPORT.pages]!,
      },
    });
    this.ex = instance.exports as unknown as CoreExports;
    this.ex.init(result === undefined ? 0 : VALTYPE_CODE[result]);
    this.capacity = this.ex.buffer_bytes();
    this.replayNext = isPackedReplay(result === undefined ? [] : [result]) ? instance.exports.replay_packed! : instance.exports.replay_next!;
    this.resultBits = instance.exports.result_bits!;
    this.replayAfter = instance.exports.replay_packed_after!;
  }

  /** Gives the core a block's payload; false when it is too large for the core's buffer. */
  loadBlock(payload: Uint8Array): boolean {
    if (payload.length > this.capacity) return false;
    new Uint8Array(this.ex.memory.buffer, this.ex.buffer(), payload.length).set(payload);
    this.ex.load_block(payload.length);
    return true;
  }

  /** The host applied the block's records up to byte `pos`, the last of which no record can repeat: the core reads on. */
  resume(pos: number): void {
    this.ex.resume(pos);
  }

  /** Applies the next record from JS: true when the core did. */
  next(): boolean {
    return this.ex.replay_next() === 1;
  }

  get owned(): boolean {
    return this.ex.owned() === 1;
  }

  /** Where the core stopped in its block: the record it left to the host (the block's length when it read them all). */
  get deferPos(): number {
    return this.ex.defer_pos();
  }

  /** Where the host must start reading to know the shape of the record at deferPos. */
  get resumePos(): number {
    return this.ex.resume_pos();
  }

  get resultBitsValue(): bigint {
    return this.ex.result_bits();
  }

  get applied(): number {
    return this.ex.applied();
  }

  get appliedBytes(): number {
    return Number(this.ex.applied_bytes());
  }
}
