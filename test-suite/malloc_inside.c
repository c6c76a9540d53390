/* malloc/realloc/free inside F: F = join_words builds a string with a growing buffer
 * (realloc), uses and frees a scratch allocation, and returns a malloc'd result the caller
 * keeps or frees. Later calls and the caller's own allocations depend on the allocator state
 * F left behind, and the output prints heap offsets, so a wrong replay shows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) char *join_words(int n, char **words, const char *sep) {
  size_t cap = 4, len = 0;
  char *out = malloc(cap);
  size_t *lens = malloc(sizeof *lens * (size_t)n); /* scratch, freed before returning */
  for (int i = 0; i < n; i++) lens[i] = strlen(words[i]);
  for (int i = 0; i < n; i++) {
    size_t need = len + lens[i] + strlen(sep) + 1;
    if (need > cap) {
      while (cap < need) cap *= 2;
      out = realloc(out, cap);
    }
    if (i > 0) {
      memcpy(out + len, sep, strlen(sep));
      len += strlen(sep);
    }
    memcpy(out + len, words[i], lens[i]);
    len += lens[i];
  }
  out[len] = '\0';
  free(lens);
  return out;
}

int main(int argc, char **argv) {
  char *base = malloc(16);
  char *kept[8];
  int nkept = 0;
  for (int round = 1; round < argc && nkept < 8; round++) {
    char *s = join_words(round, argv + 1, round % 2 ? "-" : ", ");
    printf("round %d: \"%s\" at heap+%ld\n", round, s, (long)(s - base));
    if (round % 2) {
      kept[nkept++] = s;
    } else {
      free(s);
    }
    char *mine = malloc(24);
    printf("  caller's block at heap+%ld\n", (long)(mine - base));
    free(mine);
  }
  for (int i = 0; i < nkept; i++) {
    printf("kept %d: %s\n", i, kept[i]);
    free(kept[i]);
  }
  free(base);
  return 0;
}
