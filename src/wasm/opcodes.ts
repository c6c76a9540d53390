/**
 * The WebAssembly opcodes Alpaca reads and writes, by name: the one table the rewriter
 * (rewrite.ts), the tracer (trace.ts), the write applier (apply-writes.ts), the call counter
 * (count-calls.ts) and the instruction walker (instructions.ts) share. Values are from the
 * WebAssembly core specification's binary format (section 5.4).
 */
export const OP = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, return: 0x0f,
  call: 0x10, callIndirect: 0x11, returnCall: 0x12, returnCallIndirect: 0x13, callRef: 0x14, returnCallRef: 0x15,
  drop: 0x1a, select: 0x1b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22, globalGet: 0x23, globalSet: 0x24,
  i32Load8U: 0x2d, i32Store: 0x36, i64Store: 0x37, i32Store8: 0x3a,
  memorySize: 0x3f, memoryGrow: 0x40, i32Const: 0x41, i64Const: 0x42,
  i32Eqz: 0x45, i32Eq: 0x46, i32Ne: 0x47, i32LtU: 0x49, i32GtU: 0x4b, i32LeU: 0x4d, i32GeU: 0x4f, i64Ne: 0x52, i64GtU: 0x56,
  i32Add: 0x6a, i32Sub: 0x6b, i32And: 0x71, i32Or: 0x72, i32Xor: 0x73, i32Shl: 0x74,
  i64Add: 0x7c, i64Shl: 0x86, i64ShrU: 0x88,
  i32WrapI64: 0xa7, i64ExtendI32U: 0xad,
  i32ReinterpretF32: 0xbc, i64ReinterpretF64: 0xbd, f32ReinterpretI32: 0xbe, f64ReinterpretI64: 0xbf,
  /** Prefix of the bulk-memory, table and saturating-truncation instructions (a sub-opcode follows). */
  prefixFC: 0xfc,
} as const;

/** Sub-opcodes after OP.prefixFC. */
export const FC = {
  memoryInit: 8, memoryCopy: 10, memoryFill: 11, tableInit: 12, tableCopy: 14, tableGrow: 15, tableFill: 17,
} as const;

/** The empty block type (`if`, `block`, `loop` with no params or results). */
export const BLOCK_VOID = 0x40;
