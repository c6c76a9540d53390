/* A small F called very often that writes two scattered words: scatter updates two slots of a
 * 64 KiB table chosen by its argument, so the write addresses change from call to call and no
 * record repeats the one before. The case is 20 million calls.
 * Usage: two-writes [CALLS] (default 20000000). */
#include <stdio.h>
#include <stdlib.h>

#define SLOTS 16384
unsigned table[SLOTS];

__attribute__((noinline)) unsigned scatter(unsigned x) {
  unsigned a = (x * 2654435761u) >> 18, b = (x * 2246822519u) >> 18;
  table[a] += x;
  table[b] ^= x >> 3;
  return table[a] + b;
}

int main(int argc, char **argv) {
  long calls = argc > 1 ? atol(argv[1]) : 20000000L;
  unsigned x = 1, checksum = 0;
  for (long i = 0; i < calls; i++) {
    x = scatter(x + (unsigned)i);
    checksum += x >> 5;
  }
  unsigned sum = 0;
  for (int i = 0; i < SLOTS; i++) sum ^= table[i] * (unsigned)(i + 1);
  printf("two-writes calls=%ld checksum %u table %u\n", calls, checksum, sum);
  return 0;
}
