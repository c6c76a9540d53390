/* f32 return, including signalling and quiet NaNs with payloads that must survive bit-exactly. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float from_bits(uint32_t b) {
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}

/* k % 5 picks: x * 1.5, sqrt(x), a signalling NaN with payload k, a negative quiet NaN with payload, -0. */
__attribute__((noinline)) float f32_pick(int k, float x) {
  switch (k % 5) {
    case 0: return x * 1.5f;
    case 1: return sqrtf(x);
    case 2: return from_bits(0x7fa00000u | (uint32_t)k);
    case 3: return from_bits(0xffc0beefu ^ (uint32_t)k);
    default: return -0.0f;
  }
}

/* NaN payloads passed in: F must receive its argument bit-exactly in every mode. */
__attribute__((noinline)) float f32_keep(float x, uint32_t *bits_out) {
  memcpy(bits_out, &x, sizeof x);
  return x;
}

int main(int argc, char **argv) {
  float x = argc > 1 ? strtof(argv[1], NULL) : 2.0f;
  int n = argc > 2 ? atoi(argv[2]) : 10;
  int nans = 0;
  for (int k = 0; k < n; k++) {
    float r = f32_pick(k, x);
    uint32_t bits;
    memcpy(&bits, &r, sizeof bits);
    if (r != r) nans++;
    printf("f32_pick(%d, %g) bits %08x\n", k, (double)x, bits);
    x += 0.25f;
  }
  printf("%d NaNs\n", nans);
  static const uint32_t payloads[] = { 0x7fa00001u, 0xffbfffffu, 0x7fc00000u, 0x7f812345u, 0x3f800000u };
  for (int i = 0; i < 5; i++) {
    uint32_t seen = 0, back;
    float r = f32_keep(from_bits(payloads[i] ^ (uint32_t)(argc - 3)), &seen);
    memcpy(&back, &r, sizeof back);
    printf("f32_keep %08x: saw %08x, returned %08x\n", payloads[i] ^ (uint32_t)(argc - 3), seen, back);
  }
  return 0;
}
