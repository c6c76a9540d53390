/* Recursion: F = fib_memo recurses and memoizes in global tables. Each call from main is one
 * outermost invocation however deep the recursion goes; the last call finds its answer in
 * the table and writes nothing. */
#include <stdio.h>
#include <stdlib.h>

static long long memo[93];
static unsigned char known[93];

__attribute__((noinline)) long long fib_memo(int n) {
  if (n < 2) return n;
  if (known[n]) return memo[n];
  long long v = fib_memo(n - 1) + fib_memo(n - 2);
  memo[n] = v;
  known[n] = 1;
  return v;
}

int main(int argc, char **argv) {
  int count = 0;
  for (int i = 1; i < argc; i++) {
    int n = atoi(argv[i]);
    if (n < 0 || n > 92) continue;
    printf("fib(%d) = %lld\n", n, fib_memo(n));
    count++;
  }
  int filled = 0;
  for (int i = 0; i < 93; i++) filled += known[i];
  printf("%d calls, %d table entries\n", count, filled);
  return 0;
}
