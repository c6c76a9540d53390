/* Struct returned by value: the wasm32 C ABI passes a hidden pointer into the caller's frame
 * (sret), so F has no result and its return value shows up as writes above its frame. */
#include <stdio.h>
#include <stdlib.h>

struct stats {
  double mean;
  double min;
  double max;
  int count;
  int negatives;
};

__attribute__((noinline)) struct stats summarize(const double *xs, int n) {
  struct stats s = { 0.0, xs[0], xs[0], n, 0 };
  for (int i = 0; i < n; i++) {
    s.mean += xs[i];
    if (xs[i] < s.min) s.min = xs[i];
    if (xs[i] > s.max) s.max = xs[i];
    if (xs[i] < 0) s.negatives++;
  }
  s.mean /= n;
  return s;
}

int main(int argc, char **argv) {
  double xs[64];
  int n = 0;
  for (int i = 1; i < argc && n < 64; i++) xs[n++] = strtod(argv[i], NULL);
  /* One call per prefix length 1, 2, 4, 8, ... and the whole list. */
  for (int len = 1;; len *= 2) {
    if (len > n) len = n;
    struct stats s = summarize(xs, len);
    printf("n=%d mean=%.6f min=%g max=%g negatives=%d\n", s.count, s.mean, s.min, s.max, s.negatives);
    if (len == n) break;
  }
  return 0;
}
