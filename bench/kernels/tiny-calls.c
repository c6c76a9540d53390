/* A tiny F called very often: step advances a counter in linear memory and returns a mixed
 * value; the caller folds every result into the next argument, so no call can be skipped.
 * The target is 20 million calls. Usage: tiny-calls [CALLS] (default 20000000). */
#include <stdio.h>
#include <stdlib.h>

unsigned step_count;

__attribute__((noinline)) unsigned step(unsigned x) {
  step_count++;
  return (x ^ (x >> 15)) * 2246822519u + 374761393u;
}

int main(int argc, char **argv) {
  long calls = argc > 1 ? atol(argv[1]) : 20000000L;
  unsigned x = 1, checksum = 0;
  for (long i = 0; i < calls; i++) {
    x = step(x + (unsigned)i);
    checksum += x >> 7;
  }
  printf("tiny-calls calls=%ld steps=%u checksum %u last %u\n", calls, step_count, checksum, x);
  return 0;
}
