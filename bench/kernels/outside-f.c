/* Heavy work outside F: main relaxes a 512 x 512 grid (2 MB) for many sweeps; F = probe is
 * small and called once every `every` sweeps to sample a few cells. The analyzed run should cost
 * about what the plain run costs. Usage: outside-f [SWEEPS] [EVERY]. Prints a checksum. */
#include <stdio.h>
#include <stdlib.h>

#define N 512

static double grid[N * N];

__attribute__((noinline)) double probe(const double *g, int sweep, double *history) {
  double s = 0;
  for (int i = 1; i < N; i += N / 8) s += g[i * N + i];
  history[sweep % 16] = s;
  return s;
}

int main(int argc, char **argv) {
  int sweeps = argc > 1 ? atoi(argv[1]) : 200;
  int every = argc > 2 ? atoi(argv[2]) : 20;
  double history[16] = {0};
  double total = 0;
  for (int i = 0; i < N * N; i++) grid[i] = (double)(i % 97) / 97.0;
  for (int t = 0; t < sweeps; t++) {
    for (int i = 1; i < N - 1; i++)
      for (int j = 1; j < N - 1; j++)
        grid[i * N + j] = 0.25 * (grid[(i - 1) * N + j] + grid[(i + 1) * N + j] + grid[i * N + j - 1] + grid[i * N + j + 1]);
    if (t % every == 0) total += probe(grid, t, history);
  }
  double h = 0;
  for (int i = 0; i < 16; i++) h += history[i] * (i + 1);
  printf("outside-f sweeps=%d checksum %.9f history %.9f\n", sweeps, total, h);
  return 0;
}
