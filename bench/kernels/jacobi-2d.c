/* PolyBench-style jacobi-2d: 5-point stencil on two N x N grids for T time steps.
 * F = kernel_jacobi_2d, called once. Usage: jacobi-2d [N] [T]. Prints a checksum of A. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void kernel_jacobi_2d(int tsteps, int n, double *a, double *b) {
  for (int t = 0; t < tsteps; t++) {
    for (int i = 1; i < n - 1; i++)
      for (int j = 1; j < n - 1; j++)
        b[i * n + j] = 0.2 * (a[i * n + j] + a[i * n + j - 1] + a[i * n + j + 1] + a[(i + 1) * n + j] + a[(i - 1) * n + j]);
    for (int i = 1; i < n - 1; i++)
      for (int j = 1; j < n - 1; j++)
        a[i * n + j] = 0.2 * (b[i * n + j] + b[i * n + j - 1] + b[i * n + j + 1] + b[(i + 1) * n + j] + b[(i - 1) * n + j]);
  }
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  int t = argc > 2 ? atoi(argv[2]) : 60;
  double *a = malloc(sizeof(double) * (size_t)n * (size_t)n);
  double *b = malloc(sizeof(double) * (size_t)n * (size_t)n);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      a[i * n + j] = ((double)i * (j + 2) + 2) / n;
      b[i * n + j] = ((double)i * (j + 3) + 3) / n;
    }
  kernel_jacobi_2d(t, n, a, b);
  double sum = 0;
  for (int i = 0; i < n * n; i++) sum += a[i] * (double)(i % 7 + 1);
  printf("jacobi-2d n=%d t=%d checksum %.6f\n", n, t, sum);
  free(a);
  free(b);
  return 0;
}
