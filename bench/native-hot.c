/* Benchmark target for the per-call cost of native analysis and replay (bench/native-speed.ts):
 * bump() is called n times (default 300,000); each call mixes its argument into a global table
 * and returns a hash, about 40 ns natively. */
#include <stdio.h>
#include <stdlib.h>

unsigned long table[64];

__attribute__((noipa)) unsigned long bump(unsigned long x) {
  unsigned long h = x * 0x9E3779B97F4A7C15ul;
  for (int i = 0; i < 8; i++) h = (h ^ (h >> 29)) * 1099511628211ul;
  table[x & 63] += h;
  return h;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 300000;
  unsigned long acc = 0;
  for (long i = 0; i < n; i++) acc ^= bump((unsigned long)i);
  unsigned long t = 0;
  for (int i = 0; i < 64; i++) t += table[i] * (unsigned long)(i + 1);
  printf("%lx %lx\n", acc, t);
  return 0;
}
