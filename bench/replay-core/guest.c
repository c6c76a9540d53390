/* Experiment for bench/replay-floor.ts: the stores a replay module would export to a replay
 * core, over a 32 MiB memory standing in for the guest's. */
void store8(unsigned addr, unsigned value) { *(volatile unsigned char *)addr = (unsigned char)value; }
void store64(unsigned addr, unsigned long long value) { __builtin_memcpy((void *)addr, &value, 8); }
