/* Strategy-choice shape (issue 17), like MiBench bitcount: F = bits counts the set bits of one
 * word and stores nothing, called millions of times while the program holds a multi-MB heap,
 * so diffing memory per call is far dearer than marking F's few stores. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int bits(unsigned long x) {
  int n = 0;
  while (x) {
    n += (int)(x & 1u);
    x >>= 1;
  }
  return n;
}

int main(int argc, char **argv) {
  long calls = argc > 1 ? atol(argv[1]) : 2000000;
  size_t heap_mb = argc > 2 ? (size_t)atol(argv[2]) : 8;
  unsigned char *heap = malloc(heap_mb << 20);
  for (size_t i = 0; i < (heap_mb << 20); i += 4096) heap[i] = (unsigned char)i;
  long total = 0;
  unsigned long x = 0x12345678u;
  for (long i = 0; i < calls; i++) {
    x = x * 6364136223846793005ul + 1442695040888963407ul;
    total += bits(x >> 17);
  }
  printf("%ld calls, %ld bits, heap byte %d\n", calls, total, heap[4096]);
  return 0;
}
