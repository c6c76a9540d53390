/* f64 return, including signalling and negative NaNs with payloads that must survive bit-exactly. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double from_bits(uint64_t b) {
  double d;
  memcpy(&d, &b, sizeof d);
  return d;
}

/* k % 5 picks: x / 3, x * x - k, a signalling NaN with payload, a negative quiet NaN with payload, -inf. */
__attribute__((noinline)) double f64_pick(int k, double x) {
  switch (k % 5) {
    case 0: return x / 3.0;
    case 1: return x * x - k;
    case 2: return from_bits(0x7ff4000000000000ull | ((uint64_t)k << 8) | 0xab);
    case 3: return from_bits(0xfff8dead0000beefull ^ (uint64_t)k);
    default: return -1.0 / 0.0;
  }
}

/* NaN payloads passed in: F must receive its argument bit-exactly in every mode. */
__attribute__((noinline)) double f64_keep(double x, uint64_t *bits_out) {
  memcpy(bits_out, &x, sizeof x);
  return x;
}

int main(int argc, char **argv) {
  double x = argc > 1 ? strtod(argv[1], NULL) : 1.0;
  int n = argc > 2 ? atoi(argv[2]) : 10;
  double finite_sum = 0;
  for (int k = 0; k < n; k++) {
    double r = f64_pick(k, x);
    uint64_t bits;
    memcpy(&bits, &r, sizeof bits);
    if (r == r && r > -1e300) finite_sum += r;
    printf("f64_pick(%d, %.17g) bits %016" PRIx64 "\n", k, x, bits);
    x = x * 1.5 + 0.125;
  }
  printf("finite sum %.17g\n", finite_sum);
  static const uint64_t payloads[] = { 0x7ff0000000000001ull, 0xfff7ffffffffffffull, 0x7ff8000000000000ull, 0x7ff4dead0000beefull };
  for (int i = 0; i < 4; i++) {
    uint64_t seen = 0, back, want = payloads[i] ^ (uint64_t)(argc - 3);
    double r = f64_keep(from_bits(want), &seen);
    memcpy(&back, &r, sizeof back);
    printf("f64_keep %016" PRIx64 ": saw %016" PRIx64 ", returned %016" PRIx64 "\n", want, seen, back);
  }
  return 0;
}
