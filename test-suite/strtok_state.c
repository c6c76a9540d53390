/* Hidden libc state: F = next_field wraps strtok, whose saved position lives in libc's own
 * static data; the caller passes the string once and NULL afterwards, so every later call
 * depends on state F left in libc. strtok also writes NULs into the caller's buffer. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

__attribute__((noinline)) char *next_field(char *s) {
  char *tok = strtok(s, ",;");
  if (tok) tok[0] = (char)toupper((unsigned char)tok[0]);
  return tok;
}

int main(int argc, char **argv) {
  char buf[128];
  strncpy(buf, argc > 1 ? argv[1] : "alpha,beta;;gamma", sizeof buf - 1);
  buf[sizeof buf - 1] = '\0';
  size_t len = strlen(buf);
  int i = 0;
  for (char *t = next_field(buf); t; t = next_field(NULL)) printf("field %d at +%ld: %s\n", i++, (long)(t - buf), t);
  printf("buffer:");
  for (size_t k = 0; k < len; k++) printf(" %02x", (unsigned char)buf[k]);
  printf("\n");
  return i;
}
