/* Writes the v2 tool could not see: %fs-based thread-local stores, rep stos/movs (large memset
 * and memcpy), AVX stores from glibc's vectorized string functions, push into memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F __attribute__((noipa))

__thread long tls_counter;
__thread char tls_tag[16];
char *big_a, *big_b;

F unsigned long bulk(int k) {
  tls_counter += k;
  snprintf(tls_tag, sizeof tls_tag, "tls-%d", k);
  memset(big_a, 'a' + k, 1 << 16);
  memcpy(big_b, big_a, (1 << 16) - k);
  memmove(big_b + 1, big_b, 4096);
  unsigned long h = 1469598103934665603ul;
  for (int i = 0; i < 64; i++) h = (h ^ (unsigned char)big_b[i * 1000]) * 1099511628211ul;
  return h;
}

int main(void) {
  big_a = malloc(1 << 16);
  big_b = calloc(1, 1 << 16);
  for (int k = 1; k <= 3; k++) {
    unsigned long h = bulk(k);
    printf("%d tls=%ld %s h=%lx b=%c%c%c\n", k, tls_counter, tls_tag, h, big_b[0], big_b[4000], big_b[65535 - 3]);
  }
  return 0;
}
