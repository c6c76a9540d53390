/**
 * Types for capstone-wasm 1.0.3. Its own index.d.ts is not reachable under NodeNext resolution
 * (the package's "exports" map has no "types" condition), so the part this backend uses is
 * declared here, copied from node_modules/capstone-wasm/dist/index.d.ts.
 */
declare module "capstone-wasm" {
  export interface Insn {
    id: number;
    address: number | bigint;
    size: number;
    bytes: Uint8Array;
    mnemonic: string;
    opStr: string;
  }
  export class Capstone {
    constructor(arch: number, mode: number);
    setOption(opt: number, value: unknown): number;
    close(): void;
    disasm(data: number[] | Uint8Array, options?: { address?: number | bigint; count?: number }): Insn[];
  }
  export const Const: {
    readonly CS_ARCH_X86: number;
    readonly CS_MODE_64: number;
    readonly CS_OPT_SYNTAX: number;
    readonly CS_OPT_SYNTAX_INTEL: number;
  };
  export function loadCapstone(args?: Record<string, unknown>): Promise<void>;
}
