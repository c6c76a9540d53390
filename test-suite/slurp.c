/* Memory growth and WASI writes into the new pages: F = slurp reads all of stdin into a buffer
 * that it keeps doubling with realloc, so memory grows inside F and fd_read fills pages that did
 * not exist when F was entered. The caller checksums what F returned. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) char *slurp(size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (n == cap) {
      cap *= 2;
      buf = realloc(buf, cap);
    }
    ssize_t got = read(0, buf + n, cap - n);
    if (got <= 0) break;
    n += (size_t)got;
  }
  *len = n;
  return buf;
}

int main(void) {
  size_t len = 0;
  char *data = slurp(&len);
  unsigned long h = 5381;
  size_t lines = 0;
  for (size_t i = 0; i < len; i++) {
    h = h * 33 + (unsigned char)data[i];
    lines += data[i] == '\n';
  }
  printf("%zu bytes, %zu lines, hash %08lx\n", len, lines, h & 0xffffffffUL);
  char *after = malloc(64);
  printf("next block %ld bytes after the data\n", (long)(after - data));
  free(after);
  free(data);
  return 0;
}
