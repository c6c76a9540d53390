/* Compute-heavy F: F = matmul multiplies two n x n matrices (O(n^3), far more than 90% of the
 * run); the caller builds the inputs and perturbs B between calls (O(n^2)) and prints checksums. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void matmul(const double *a, const double *b, double *c, int n) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double s = 0;
      for (int k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
      c[i * n + j] = s;
    }
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 300;
  int reps = argc > 2 ? atoi(argv[2]) : 3;
  double *a = malloc(sizeof(double) * (size_t)n * (size_t)n);
  double *b = malloc(sizeof(double) * (size_t)n * (size_t)n);
  double *c = malloc(sizeof(double) * (size_t)n * (size_t)n);
  unsigned x = 12345;
  for (int i = 0; i < n * n; i++) {
    x = x * 1103515245u + 12345u;
    a[i] = (double)(x >> 16 & 0x3ff) / 1024.0 - 0.5;
    x = x * 1103515245u + 12345u;
    b[i] = (double)(x >> 16 & 0x3ff) / 1024.0 - 0.5;
  }
  for (int r = 0; r < reps; r++) {
    matmul(a, b, c, n);
    double trace = 0, sum = 0;
    for (int i = 0; i < n; i++) trace += c[i * n + i];
    for (int i = 0; i < n * n; i++) sum += c[i];
    printf("rep %d: trace %.12f sum %.12f\n", r, trace, sum);
    for (int i = 0; i < n * n; i++) b[i] = b[i] * 0.5 + c[i] * 1e-3;
  }
  free(a);
  free(b);
  free(c);
  return 0;
}
