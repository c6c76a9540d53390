/* F changes what it does part way through the run (issue 17: the adaptive strategy must not stay
 * on a choice that has become costly). F = step rewrites a 256 KiB table eight times over (two
 * million stores) on its heavy calls, and bumps one counter on the others; a heap of HEAP_MIB
 * MiB makes diffing each call cost that much. Arguments: CALLS SWITCH HEAP_MIB ORDER, where
 * ORDER "heavy-first" makes calls before SWITCH heavy (adaptive tries marks again later and
 * keeps them), and "light-first" makes calls from SWITCH on heavy (adaptive leaves marks for
 * diffing after the first costly call). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char table[256 * 1024];
static unsigned long counter;

__attribute__((noinline)) unsigned long step(int i, int heavy) {
  if (heavy) {
    for (int pass = 0; pass < 8; pass++)
      for (unsigned j = 0; j < sizeof table; j++) table[j] = (unsigned char)(j * 31 + i + pass);
    return table[i % sizeof table];
  }
  return ++counter;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: phase_change CALLS SWITCH HEAP_MIB heavy-first|light-first\n");
    return 2;
  }
  int calls = atoi(argv[1]), at = atoi(argv[2]);
  size_t heap_bytes = (size_t)atoi(argv[3]) << 20;
  int heavy_first = strcmp(argv[4], "heavy-first") == 0;
  volatile char *heap = malloc(heap_bytes);
  for (size_t k = 0; k < heap_bytes; k += 4096) heap[k] = (char)(k >> 12);
  unsigned long sum = 0;
  for (int i = 0; i < calls; i++) sum += step(i, (i < at) == heavy_first);
  printf("sum %lu, heap byte %d\n", sum, heap_bytes > 4096 ? heap[4096] : 0);
  return 0;
}
