/* Experiment for bench/replay-floor.ts (not used by the replay): a Wasm replay core that holds
 * write events in its own memory (tag 1, LEB128 address, LEB128 length, bytes) and applies
 * them to another instance's memory through that instance's exported stores, one call per
 * 8 bytes and per trailing byte, since Node 20 has no multi-memory to copy between memories. */
#define GUEST(name) __attribute__((import_module("guest"), import_name(name)))
GUEST("store8") void store8(unsigned addr, unsigned value);
GUEST("store64") void store64(unsigned addr, unsigned long long value);

extern unsigned char __heap_base;

/* Where the host copies the events. */
unsigned events_base(void) { return (unsigned)&__heap_base; }

static unsigned read_leb(const unsigned char **at) {
  const unsigned char *p = *at;
  unsigned value = 0, shift = 0, byte;
  do {
    byte = *p++;
    value |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  *at = p;
  return value;
}

/* Applies the write events in [from, to); returns how many. */
unsigned apply(unsigned from, unsigned to) {
  const unsigned char *p = (const unsigned char *)from, *end = (const unsigned char *)to;
  unsigned count = 0;
  while (p < end && *p == 1) {
    p++;
    unsigned addr = read_leb(&p), len = read_leb(&p);
    for (; len >= 8; len -= 8, addr += 8, p += 8) {
      unsigned long long word;
      __builtin_memcpy(&word, p, 8);
      store64(addr, word);
    }
    while (len--) store8(addr++, *p++);
    count++;
  }
  return count;
}
