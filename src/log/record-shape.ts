/**
 * The shape of an invocation record, for the v2 "repeat" form: the addresses and lengths of its
 * writes and the types of its results, kept for the last record of a block when that record
 * returned and did nothing but write memory. The encoder writes a record that has the same shape
 * as a repeat (its bytes and result bits only); the decoder rebuilds the writes from the shape.
 * A tiny F called millions of times writes the same few bytes each time, so most of its records
 * shrink to a form byte, the changed bytes and the result. Pure.
 */
import { withCapacity } from "../binary/index.js";
import type { Invocation, ValType } from "./format.js";

export class RecordShape {
  /** Whether the previous record in the block can be repeated. */
  valid = false;
  count = 0;
  addrs = new Float64Array(8);
  lens = new Float64Array(8);
  types: ValType[] = [];

  clear(): void {
    this.valid = false;
  }

  /** Starts a new shape of `count` writes (set them with setWrite) and these result types. */
  reset(count: number, types: readonly ValType[]): void {
    this.reserve(count);
    this.count = count;
    if (!sameTypes(this.types, types)) this.types = [...types];
    this.valid = true;
  }

  /** Sets write i (growing the arrays as needed: the decoder sets writes before it knows their count). */
  setWrite(i: number, addr: number, len: number): void {
    if (i >= this.addrs.length) this.reserve(i + 1);
    this.addrs[i] = addr;
    this.lens[i] = len;
  }

  private reserve(n: number): void {
    if (n <= this.addrs.length) return;
    const cap = Math.max(n, this.addrs.length * 2);
    this.addrs = withCapacity(this.addrs, cap);
    this.lens = withCapacity(this.lens, cap);
  }

  /** Whether `inv` has this shape. */
  matches(inv: Invocation): boolean {
    if (!this.valid || inv.status !== "returned" || (inv.thread ?? 0) !== 0) return false;
    if (inv.events.length !== this.count || inv.returns.length !== this.types.length) return false;
    for (let i = 0; i < this.count; i++) {
      const e = inv.events[i]!;
      if (e.kind !== "write" || e.addr !== this.addrs[i] || e.bytes.length !== this.lens[i]) return false;
    }
    return inv.returns.every((v, i) => v.type === this.types[i]);
  }

  /** Whether a returned record of `runs` writes [starts[i], ends[i]) and these result types has this shape. */
  matchesRuns(starts: Float64Array, ends: Float64Array, runs: number, types: readonly ValType[]): boolean {
    if (!this.valid || runs !== this.count || !sameTypes(this.types, types)) return false;
    for (let i = 0; i < runs; i++) {
      if (starts[i] !== this.addrs[i] || ends[i]! - starts[i]! !== this.lens[i]) return false;
    }
    return true;
  }

  /** Remembers the shape of a returned record of `runs` writes [starts[i], ends[i]) and these result types. */
  takeRuns(starts: Float64Array, ends: Float64Array, runs: number, types: readonly ValType[]): void {
    this.reset(runs, types);
    for (let i = 0; i < runs; i++) this.setWrite(i, starts[i]!, ends[i]! - starts[i]!);
  }

  /** Remembers the shape of a returned record of `count` writes, write i `lens[i]` bytes at `addrs[i]`, and these result types. */
  takeWrites(count: number, addrs: ArrayLike<number>, lens: ArrayLike<number>, types: readonly ValType[]): void {
    this.reset(count, types);
    for (let i = 0; i < count; i++) this.setWrite(i, addrs[i]!, lens[i]!);
  }

  /** Remembers `inv`'s shape, or forgets the shape when `inv` cannot be repeated. */
  take(inv: Invocation): void {
    if (inv.status !== "returned" || (inv.thread ?? 0) !== 0 || inv.events.some((e) => e.kind !== "write")) {
      this.valid = false;
      return;
    }
    this.reset(inv.events.length, inv.returns.map((v) => v.type));
    inv.events.forEach((e, i) => {
      if (e.kind === "write") this.setWrite(i, e.addr, e.bytes.length);
    });
  }
}

function sameTypes(a: readonly ValType[], b: readonly ValType[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
