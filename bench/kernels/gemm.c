/* PolyBench-style gemm: C = alpha*A*B + beta*C with A (ni x nk), B (nk x nj), C (ni x nj).
 * F = kernel_gemm, called once. Usage: gemm [N] (ni = nj = nk = N). Prints a checksum of C. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void kernel_gemm(int ni, int nj, int nk, double alpha, double beta,
                                           double *c, const double *a, const double *b) {
  for (int i = 0; i < ni; i++) {
    for (int j = 0; j < nj; j++) c[i * nj + j] *= beta;
    for (int k = 0; k < nk; k++)
      for (int j = 0; j < nj; j++) c[i * nj + j] += alpha * a[i * nk + k] * b[k * nj + j];
  }
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 500;
  int ni = n, nj = n, nk = n;
  double *a = malloc(sizeof(double) * (size_t)ni * (size_t)nk);
  double *b = malloc(sizeof(double) * (size_t)nk * (size_t)nj);
  double *c = malloc(sizeof(double) * (size_t)ni * (size_t)nj);
  for (int i = 0; i < ni; i++)
    for (int j = 0; j < nj; j++) c[i * nj + j] = (double)((i * j + 1) % ni) / ni;
  for (int i = 0; i < ni; i++)
    for (int k = 0; k < nk; k++) a[i * nk + k] = (double)(i * (k + 1) % nk) / nk;
  for (int k = 0; k < nk; k++)
    for (int j = 0; j < nj; j++) b[k * nj + j] = (double)(k * (j + 2) % nj) / nj;
  kernel_gemm(ni, nj, nk, 1.5, 1.2, c, a, b);
  double sum = 0;
  for (int i = 0; i < ni * nj; i++) sum += c[i] * (double)(i % 7 + 1);
  printf("gemm n=%d checksum %.6f\n", n, sum);
  free(a);
  free(b);
  free(c);
  return 0;
}
