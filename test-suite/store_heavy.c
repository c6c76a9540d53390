/* The adaptive strategy's budget (issue 17): F = fill stores 16,384 ints into a static table on
 * each of its 20 calls, more marks than diffing memory would cost, so adaptive's one marked
 * trial invocation stops marking part way and finishes by diffing, and the log is the one
 * forced diffing writes. The number of calls is the argument (default 20): make bench-strategy
 * runs it with 3000. */
#include <stdio.h>
#include <stdlib.h>

static unsigned table[16384];

__attribute__((noinline)) unsigned fill(unsigned seed) {
  unsigned x = seed;
  for (int i = 0; i < 16384; i++) {
    x = x * 1103515245u + 12345u;
    table[i] = x >> 8;
  }
  return table[seed % 16384];
}

int main(int argc, char **argv) {
  unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 20;
  unsigned sum = 0;
  for (unsigned r = 0; r < rounds; r++) sum += fill(r);
  unsigned check = 0;
  for (int i = 0; i < 16384; i++) check = check * 31 + table[i];
  printf("sum %u, table checksum %u\n", sum, check);
  return 0;
}
