/* stdin: main reads numbers from stdin (outside F) and F = mean_of returns their f64 mean;
 * a second target, read_numbers, reads stdin inside F. */
#include <stdio.h>

__attribute__((noinline)) int read_numbers(double *xs, int max) {
  int n = 0;
  while (n < max && scanf("%lf", &xs[n]) == 1) n++;
  return n;
}

__attribute__((noinline)) double mean_of(const double *xs, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += xs[i];
  return n ? s / n : 0.0;
}

int main(void) {
  double xs[256];
  int total = 0;
  for (int batch = 0;; batch++) {
    int n = read_numbers(xs, 4);
    if (n == 0) break;
    total += n;
    printf("batch %d: %d numbers, mean %.17g\n", batch, n, mean_of(xs, n));
  }
  printf("%d numbers\n", total);
  return 0;
}
