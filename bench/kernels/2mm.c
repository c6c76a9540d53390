/* PolyBench-style 2mm: tmp = alpha*A*B, D = tmp*C + beta*D, all N x N.
 * F = kernel_2mm, called once. Usage: 2mm [N]. Prints a checksum of D. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void kernel_2mm(int n, double alpha, double beta, double *tmp,
                                          const double *a, const double *b, const double *c, double *d) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double s = 0;
      for (int k = 0; k < n; k++) s += alpha * a[i * n + k] * b[k * n + j];
      tmp[i * n + j] = s;
    }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double s = d[i * n + j] * beta;
      for (int k = 0; k < n; k++) s += tmp[i * n + k] * c[k * n + j];
      d[i * n + j] = s;
    }
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 350;
  size_t nn = (size_t)n * (size_t)n;
  double *tmp = malloc(sizeof(double) * nn), *a = malloc(sizeof(double) * nn), *b = malloc(sizeof(double) * nn);
  double *c = malloc(sizeof(double) * nn), *d = malloc(sizeof(double) * nn);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      a[i * n + j] = (double)((i * j + 1) % n) / n;
      b[i * n + j] = (double)(i * (j + 1) % n) / n;
      c[i * n + j] = (double)((i * (j + 3) + 1) % n) / n;
      d[i * n + j] = (double)(i * (j + 2) % n) / n;
    }
  kernel_2mm(n, 1.5, 1.2, tmp, a, b, c, d);
  double sum = 0;
  for (size_t i = 0; i < nn; i++) sum += d[i] * (double)(i % 7 + 1);
  printf("2mm n=%d checksum %.6f\n", n, sum);
  free(tmp);
  free(a);
  free(b);
  free(c);
  free(d);
  return 0;
}
