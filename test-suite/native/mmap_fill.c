/* v2 test list: mmap. map_table maps fresh memory inside F and fills it; main reads it after. */
#include <stdio.h>
#include <sys/mman.h>

#define F __attribute__((noipa))

F unsigned *map_table(unsigned n) {
  unsigned *t = mmap(NULL, n * sizeof *t, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (t == MAP_FAILED) return NULL;
  for (unsigned i = 0; i < n; i++) t[i] = i * 2654435761u;
  return t;
}

int main(void) {
  for (unsigned k = 1; k <= 3; k++) {
    unsigned n = 3000 * k;
    unsigned *t = map_table(n);
    unsigned long sum = 0;
    for (unsigned i = 0; i < n; i++) sum += t[i];
    printf("%u: t[1]=%u t[last]=%u sum=%lu\n", k, t[1], t[n - 1], sum);
    munmap(t, n * sizeof *t);
  }
  return 0;
}
