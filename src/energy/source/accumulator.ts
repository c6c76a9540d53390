/**
 * Turns wrapping RAPL counters into monotonic energy totals. Each update adds, per zone, the
 * wrap-aware difference since the previous update; as long as updates come at least once per
 * wrap period (the sampler's background poll guarantees it), any number of wraps between two
 * snapshots is accounted for. Pure: readings are passed in.
 */
import { InternalError } from "../../errors/index.js";
import { wrapDeltaUj } from "./powercap.js";

export class EnergyAccumulator {
  private readonly last: number[];
  private readonly total: number[];
  private started = false;

  /** @param rangesUj each zone's `max_energy_range_uj`, in zone order. */
  constructor(private readonly rangesUj: readonly number[]) {
    this.last = rangesUj.map(() => 0);
    this.total = rangesUj.map(() => 0);
  }

  /** Feeds one reading per zone (µJ, raw counter values). The first reading is the origin. */
  update(readingsUj: readonly number[]): void {
    if (readingsUj.length !== this.rangesUj.length) {
      throw new InternalError(`energy: expected ${this.rangesUj.length} readings, got ${readingsUj.length}`);
    }
    for (let i = 0; i < readingsUj.length; i++) {
      const cur = readingsUj[i] ?? 0;
      if (this.started) this.total[i] = (this.total[i] ?? 0) + wrapDeltaUj(this.last[i] ?? 0, cur, this.rangesUj[i] ?? 0);
      this.last[i] = cur;
    }
    this.started = true;
  }

  /** Energy per zone since the first update, in µJ (a copy). */
  totalsUj(): number[] {
    return [...this.total];
  }
}
