/* SIMD and bulk-memory stores inside F: F = blend is compiled with simd128 and bulk-memory
 * enabled (per function), so it writes with v128.store, memory.fill and memory.copy; the
 * caller prints checksums of the buffers it wrote. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasm_simd128.h>

#define N 4096

uint8_t src[N], dst[N], scratch[N];

__attribute__((noinline, target("simd128,bulk-memory"))) int blend(int seed, int fill) {
  v128_t k = wasm_i8x16_splat((int8_t)seed);
  for (int i = 0; i < N; i += 16) {
    v128_t v = wasm_v128_load(src + i);
    wasm_v128_store(dst + i, wasm_i8x16_add(v, k));
  }
  __builtin_memset(scratch, fill, N / 2);             /* memory.fill */
  __builtin_memcpy(scratch + N / 2, dst + 7, N / 2);  /* memory.copy */
  return dst[seed & (N - 1)];
}

static uint32_t sum(const uint8_t *p, int n) {
  uint32_t s = 0;
  for (int i = 0; i < n; i++) s = s * 31 + p[i];
  return s;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 3;
  for (int i = 0; i < N; i++) src[i] = (uint8_t)(i * 7 + 3);
  for (int r = 0; r < rounds; r++) {
    int v = blend(r * 17 + 1, r + 0x40);
    printf("round %d: blend %d dst %08x scratch %08x\n", r, v, sum(dst, N), sum(scratch, N));
    src[r] ^= 0xff;
  }
  return 0;
}
