/* void return: F = histogram fills a global array of bins; its effects are writes only. */
#include <stdio.h>
#include <string.h>

unsigned bins[16];

__attribute__((noinline)) void histogram(const unsigned char *data, int n, unsigned *out) {
  for (int i = 0; i < n; i++) out[data[i] & 15]++;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    histogram((const unsigned char *)argv[i], (int)strlen(argv[i]), bins);
    printf("after \"%s\":", argv[i]);
    for (int b = 0; b < 16; b++) printf(" %u", bins[b]);
    printf("\n");
  }
  return 0;
}
