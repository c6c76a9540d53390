/* PolyBench-style seidel-2d: in-place 9-point Gauss-Seidel sweep on an N x N grid, T steps.
 * F = kernel_seidel_2d, called once. Usage: seidel-2d [N] [T]. Prints a checksum of A. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void kernel_seidel_2d(int tsteps, int n, double *a) {
  for (int t = 0; t <= tsteps - 1; t++)
    for (int i = 1; i <= n - 2; i++)
      for (int j = 1; j <= n - 2; j++)
        a[i * n + j] = (a[(i - 1) * n + j - 1] + a[(i - 1) * n + j] + a[(i - 1) * n + j + 1] +
                        a[i * n + j - 1] + a[i * n + j] + a[i * n + j + 1] +
                        a[(i + 1) * n + j - 1] + a[(i + 1) * n + j] + a[(i + 1) * n + j + 1]) / 9.0;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  int t = argc > 2 ? atoi(argv[2]) : 40;
  double *a = malloc(sizeof(double) * (size_t)n * (size_t)n);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) a[i * n + j] = ((double)i * (j + 2) + 2) / n;
  kernel_seidel_2d(t, n, a);
  double sum = 0;
  for (int i = 0; i < n * n; i++) sum += a[i] * (double)(i % 7 + 1);
  printf("seidel-2d n=%d t=%d checksum %.6f\n", n, t, sum);
  free(a);
  return 0;
}
