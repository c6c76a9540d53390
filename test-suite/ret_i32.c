/* i32 return (signed, negative values included): F = collatz_delta, one invocation per argument. */
#include <stdio.h>
#include <stdlib.h>

/* Collatz step count of n minus 100, so small counts come back negative. */
__attribute__((noinline)) int collatz_delta(int n) {
  int steps = 0;
  while (n > 1) {
    n = (n & 1) ? 3 * n + 1 : n / 2;
    steps++;
  }
  return steps - 100;
}

int main(int argc, char **argv) {
  int total = 0;
  for (int i = 1; i < argc; i++) {
    int n = atoi(argv[i]);
    int d = collatz_delta(n);
    printf("collatz_delta(%d) = %d\n", n, d);
    total += d;
  }
  printf("total %d\n", total);
  /* A non-zero exit status derived from F's results, passed through unchanged. */
  return (total & 0x7fffffff) % 7;
}
