/* Demo program for `make demo`: an image pipeline with one obviously heavy function.
 *
 *   make_image  fills a 256×256 grey image from a seeded generator       (cheap)
 *   blur        applies a 3×3 box blur PASSES times                        (heavy: F)
 *   histogram   counts grey levels and prints a checksum of the result     (cheap)
 *
 * `alpaca energy --func blur build/examples/blur.wasm 120` measures what blur costs: the
 * disabled runs replay blur's effect (the blurred image written to the heap) instead of
 * computing it, and the report gives the difference with its confidence interval.
 * Usage: blur [PASSES]   (default 120)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define W 256
#define H 256

static uint8_t image[H][W];
static uint8_t scratch[H][W];

__attribute__((noinline)) void make_image(uint32_t seed) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      seed = seed * 1664525u + 1013904223u;
      image[y][x] = (uint8_t)((seed >> 24) ^ (x + y));
    }
}

/* The heavy function: every pass reads the whole image and writes it back. */
__attribute__((noinline)) void blur(int passes) {
  for (int p = 0; p < passes; p++) {
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        unsigned sum = 0, n = 0;
        for (int dy = -1; dy <= 1; dy++)
          for (int dx = -1; dx <= 1; dx++) {
            int yy = y + dy, xx = x + dx;
            if (yy >= 0 && yy < H && xx >= 0 && xx < W) {
              sum += image[yy][xx];
              n++;
            }
          }
        scratch[y][x] = (uint8_t)(sum / n);
      }
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) image[y][x] = scratch[y][x];
  }
}

__attribute__((noinline)) uint32_t histogram(unsigned counts[256]) {
  uint32_t checksum = 2166136261u;
  for (int i = 0; i < 256; i++) counts[i] = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      counts[image[y][x]]++;
      checksum = (checksum ^ image[y][x]) * 16777619u;
    }
  return checksum;
}

int main(int argc, char **argv) {
  int passes = argc > 1 ? atoi(argv[1]) : 120;
  unsigned counts[256];
  make_image(12345);
  blur(passes);
  uint32_t checksum = histogram(counts);
  int lo = 0, hi = 255;
  while (lo < 255 && counts[lo] == 0) lo++;
  while (hi > 0 && counts[hi] == 0) hi--;
  printf("blurred %dx%d image %d times: grey levels %d..%d, checksum %08x\n", W, H, passes, lo, hi, (unsigned)checksum);
  return 0;
}
