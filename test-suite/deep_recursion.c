/* Recursion as deep as a plain run goes (issue 17): F = walk recurses n levels with work after
 * the recursive call, so the compiler cannot turn it into a loop, and nothing on the shadow
 * stack, so the engine's own stack is what runs out. test/recursion.test.ts finds the deepest n a plain run
 * survives, and analyzes, disables and runs the baseline at 90% of it. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) unsigned long walk(unsigned n, unsigned long acc) {
  if (n == 0) return acc;
  unsigned long r = walk(n - 1, acc * 31 + n);
  return r ^ (r >> 7) ^ n;
}

int main(int argc, char **argv) {
  unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
  printf("walk(%u) = %lu\n", n, walk(n, 1));
  return 0;
}
