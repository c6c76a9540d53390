/* F traps on its last invocation without making any WASI call, so the analyzer's fast path (the
 * in-Wasm recorder core) is what records it: F = scale writes into a static table before it
 * checks its argument, and on zero executes `unreachable`. The trapped invocation's writes must
 * still be in the log, and the disabled run must trap the same way after the same output. */
#include <stdio.h>
#include <stdlib.h>

int table[16];
int calls;

__attribute__((noinline)) int scale(int k) {
  calls++;
  table[calls & 15] = k * 3;
  if (k == 0) __builtin_trap();
  return 100 / k;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    int r = scale(atoi(argv[i]));
    printf("scale(%s) = %d, table[%d] = %d\n", argv[i], r, calls & 15, table[calls & 15]);
    fflush(stdout);
  }
  return 0;
}
