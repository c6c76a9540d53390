/* PolyBench-style floyd-warshall: all-pairs shortest paths on an N-node graph, in place.
 * F = kernel_floyd_warshall, called once. Usage: floyd-warshall [N]. Prints a checksum. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void kernel_floyd_warshall(int n, int *path) {
  for (int k = 0; k < n; k++)
    for (int i = 0; i < n; i++) {
      int ik = path[i * n + k];
      for (int j = 0; j < n; j++) {
        int via = ik + path[k * n + j];
        if (via < path[i * n + j]) path[i * n + j] = via;
      }
    }
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 600;
  int *path = malloc(sizeof(int) * (size_t)n * (size_t)n);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      path[i * n + j] = i * j % 7 + 1;
      if ((i + j) % 13 == 0 || (i + j) % 7 == 0 || (i + j) % 11 == 0) path[i * n + j] = 999;
    }
  kernel_floyd_warshall(n, path);
  unsigned long long sum = 0;
  for (int i = 0; i < n * n; i++) sum = sum * 31 + (unsigned)path[i];
  printf("floyd-warshall n=%d checksum %llu\n", n, sum);
  free(path);
  return 0;
}
