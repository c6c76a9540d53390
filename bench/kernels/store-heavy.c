/* Strategy-choice shape (issue 17): F = fill stores 16,384 ints into a static table per call,
 * more stores than diffing memory costs, so diffing is the better strategy; the bench copy of
 * test-suite/store_heavy.c with the number of calls as its argument. */
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
  unsigned sum = 0;
  unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 20;
  for (unsigned r = 0; r < rounds; r++) sum += fill(r);
  unsigned check = 0;
  for (int i = 0; i < 16384; i++) check = check * 31 + table[i];
  printf("sum %u, table checksum %u\n", sum, check);
  return 0;
}
