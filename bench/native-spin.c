/* Benchmark target for bench/native-speed.ts: spin(n) runs about 8 instructions per iteration
 * with one store to a global array each; no syscalls inside F. */
#include <stdio.h>
#include <stdlib.h>

unsigned long acc[256];

__attribute__((noipa)) unsigned long spin(int n) {
  unsigned long h = 1469598103934665603ul;
  for (int i = 0; i < n; i++) {
    h = (h ^ (unsigned long)i) * 1099511628211ul;
    acc[i & 255] += h;
  }
  return h;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 100000;
  unsigned long h = spin(n);
  printf("%lx %lx\n", h, acc[7]);
  return 0;
}
