/* i64 return: F = fnv1a64 hashes each argument (values above 2^63 show as negative i64).
 * A second target, rotmix, takes an i64 parameter as well. */
#include <inttypes.h>
#include <stdio.h>

__attribute__((noinline)) uint64_t fnv1a64(const char *s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 0x100000001b3ull;
  }
  return h;
}

__attribute__((noinline)) uint64_t rotmix(uint64_t x, int r) {
  r &= 63;
  x = (x << r) | (x >> ((64 - r) & 63));
  return x * 0x9e3779b97f4a7c15ull + (uint64_t)r;
}

int main(int argc, char **argv) {
  uint64_t acc = 0;
  for (int i = 1; i < argc; i++) {
    uint64_t h = fnv1a64(argv[i]);
    printf("fnv1a64(\"%s\") = %016" PRIx64 " (%" PRId64 ")\n", argv[i], h, (int64_t)h);
    acc ^= h;
  }
  printf("xor %016" PRIx64 "\n", acc);
  for (int r = 0; r < 70; r += 13) {
    acc = rotmix(acc, r);
    printf("rotmix %d -> %016" PRIx64 "\n", r, acc);
  }
  return (int)(acc & 0x3f);
}
