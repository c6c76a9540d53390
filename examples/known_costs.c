/* Functions with known marginal costs, for checking energy answers against ground truth.
 *
 *   known_costs TINY_CALLS TINY_REPS KERNEL_REPS PRINT_REPS
 *
 * Each pass of the main loop calls tiny_mix TINY_REPS times (a function of about 40 ns that
 * writes one word of a table: a small function called millions of times); big_kernel is called
 * KERNEL_REPS times (one long call of a stencil); print_report PRINT_REPS times (200 lines of
 * formatted numbers: most of its cost is formatting, a little is writing). Running the same program with a function's REPS at 2 instead of 1 measures that
 * function's marginal cost directly: the difference is exactly one more set of its calls.
 * The rest of the program (other_work) costs about as much as the functions together, so F is
 * never the whole program. Output depends on every call, so nothing is optimized away. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define TABLE 256
#define GRID 192

static uint32_t table[TABLE];
static double grid[GRID][GRID], next[GRID][GRID];

__attribute__((noinline)) uint32_t tiny_mix(uint32_t x) {
  for (int i = 0; i < 28; i++) x = (x ^ (x >> 15)) * 2246822519u + (uint32_t)i;
  table[x & (TABLE - 1)] += x;
  return x;
}

__attribute__((noinline)) double big_kernel(int steps) {
  for (int s = 0; s < steps; s++) {
    for (int i = 1; i < GRID - 1; i++)
      for (int j = 1; j < GRID - 1; j++)
        next[i][j] = 0.2 * (grid[i][j] + grid[i - 1][j] + grid[i + 1][j] + grid[i][j - 1] + grid[i][j + 1]);
    for (int i = 1; i < GRID - 1; i++)
      for (int j = 1; j < GRID - 1; j++) grid[i][j] = next[i][j] + 1e-3;
  }
  return grid[GRID / 2][GRID / 2];
}

__attribute__((noinline)) void print_report(long round, uint32_t acc) {
  /* Numbers of extreme magnitude: formatting each takes musl's printf a long big-number
   * conversion, while a line stays short, so formatting costs far more than writing. */
  for (int i = 0; i < 200; i++) {
    double x = ((double)acc + (double)round) / (i + 1);
    printf("report %ld.%d: %08x %.4e %.4e %.4e\n", round, i, acc ^ (uint32_t)i, x * 1e300, x * 1e-300, x * 1e-250);
  }
}

__attribute__((noinline)) uint64_t other_work(long n) {
  uint64_t h = 1469598103934665603ull;
  for (long i = 0; i < n; i++) h = (h ^ (uint64_t)i) * 1099511628211ull;
  return h;
}

int main(int argc, char **argv) {
  long calls = argc > 1 ? atol(argv[1]) : 3000000;
  int tiny_reps = argc > 2 ? atoi(argv[2]) : 1;
  int kernel_reps = argc > 3 ? atoi(argv[3]) : 1;
  int print_reps = argc > 4 ? atoi(argv[4]) : 1;
  /* Output in 64 KiB writes: print_report's cost is then its formatting, which disabling it
   * saves; the writes themselves are effects a disabled run still makes (docs/profile.md). */
  static char outbuf[1 << 16];
  setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
  for (int i = 0; i < GRID; i++)
    for (int j = 0; j < GRID; j++) grid[i][j] = (double)((i * 31 + j * 17) % 97);
  uint32_t acc = 7;
  for (long i = 0; i < calls; i++)
    for (int r = 0; r < tiny_reps; r++) acc = tiny_mix(acc + (uint32_t)i);
  double k = 0;
  for (int r = 0; r < kernel_reps; r++) k += big_kernel(4000);
  for (int r = 0; r < print_reps; r++) print_report(r, acc);
  uint64_t h = other_work(calls * 30);
  uint32_t sum = 0;
  for (int i = 0; i < TABLE; i++) sum ^= table[i] * (uint32_t)(i + 1);
  printf("acc %08x table %08x kernel %.6f other %016llx\n", acc, sum, k, (unsigned long long)h);
  return 0;
}
