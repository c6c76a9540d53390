/* A large allocation inside F that grows linear memory (memory.grow through sbrk): F =
 * make_table allocates and fills a table of doubles; the second call frees the first table and
 * allocates a larger one, growing memory again. The caller reads entries back. */
#include <stdio.h>
#include <stdlib.h>

double *table;

__attribute__((noinline)) size_t make_table(size_t n) {
  free(table);
  table = malloc(n * sizeof *table);
  if (!table) return 0;
  for (size_t i = 0; i < n; i++) table[i] = (double)(i + n) * 0.1; /* differs from whatever the old table left there */
  return n;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)atol(argv[1]) : 300000;
  for (int round = 0; round < 2; round++) {
    size_t got = make_table(n);
    double sum = 0;
    for (size_t i = 0; i < got; i += 997) sum += table[i];
    printf("round %d: %zu entries, sample sum %.3f, last %.1f\n", round, got, sum, got ? table[got - 1] : 0.0);
    n *= 2;
  }
  return 0;
}
