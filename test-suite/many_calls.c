/* Thousands of invocations whose effects steer the caller: F = bump increments one of 64
 * counters and returns its new value; the caller derives the next key from that value. */
#include <stdio.h>
#include <stdlib.h>

unsigned counters[64];

__attribute__((noinline)) unsigned bump(unsigned key) { return ++counters[key & 63]; }

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 5000;
  unsigned key = 7, checksum = 0;
  for (int i = 0; i < n; i++) {
    unsigned v = bump(key);
    checksum = checksum * 33 + v;
    key = (key * 31 + v + (unsigned)i) & 63;
  }
  unsigned max = 0;
  for (int k = 0; k < 64; k++)
    if (counters[k] > max) max = counters[k];
  printf("%d calls, checksum %u, busiest counter %u, last key %u\n", n, checksum, max, key);
  return 0;
}
