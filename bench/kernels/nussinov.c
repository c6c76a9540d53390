/* PolyBench-style nussinov: RNA secondary-structure dynamic programming over a sequence of
 * length N (O(N^3)). F = kernel_nussinov, called once. Usage: nussinov [N]. Prints a checksum. */
#include <stdio.h>
#include <stdlib.h>

#define MAX(a, b) ((a) >= (b) ? (a) : (b))
#define MATCH(b1, b2) (((b1) + (b2)) == 3 ? 1 : 0)

__attribute__((noinline)) void kernel_nussinov(int n, const unsigned char *seq, int *table) {
  for (int i = n - 1; i >= 0; i--) {
    for (int j = i + 1; j < n; j++) {
      int *t = &table[i * n + j];
      if (j - 1 >= 0) *t = MAX(*t, table[i * n + j - 1]);
      if (i + 1 < n) *t = MAX(*t, table[(i + 1) * n + j]);
      if (j - 1 >= 0 && i + 1 < n) {
        if (i < j - 1) *t = MAX(*t, table[(i + 1) * n + j - 1] + MATCH(seq[i], seq[j]));
        else *t = MAX(*t, table[(i + 1) * n + j - 1]);
      }
      for (int k = i + 1; k < j; k++) *t = MAX(*t, table[i * n + k] + table[(k + 1) * n + j]);
    }
  }
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  unsigned char *seq = malloc((size_t)n);
  int *table = calloc((size_t)n * (size_t)n, sizeof(int));
  for (int i = 0; i < n; i++) seq[i] = (unsigned char)((i + 1) % 4);
  kernel_nussinov(n, seq, table);
  unsigned long long sum = 0;
  for (int i = 0; i < n * n; i++) sum = sum * 31 + (unsigned)table[i];
  printf("nussinov n=%d checksum %llu top %d\n", n, sum, table[n - 1]);
  free(seq);
  free(table);
  return 0;
}
