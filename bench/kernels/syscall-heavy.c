/* Syscall-heavy F: report prints `lines` short lines; stdout is line-buffered (set in main), so
 * every line is one fd_write made inside F; every 16th line also goes out through write(2)
 * directly. F is called `rounds` times. Usage: syscall-heavy [LINES] [ROUNDS]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) unsigned report(int round, int lines) {
  unsigned h = 2166136261u;
  char buf[48];
  for (int i = 0; i < lines; i++) {
    h = (h ^ (unsigned)(i + round)) * 16777619u;
    printf("r%d l%d %08x\n", round, i, h);
    if (i % 16 == 15) {
      int len = snprintf(buf, sizeof buf, "raw %u\n", h % 1000u);
      fflush(stdout);
      if (write(1, buf, (size_t)len) != len) abort();
    }
  }
  return h;
}

int main(int argc, char **argv) {
  int lines = argc > 1 ? atoi(argv[1]) : 20000;
  int rounds = argc > 2 ? atoi(argv[2]) : 5;
  setvbuf(stdout, NULL, _IOLBF, 0);
  unsigned checksum = 0;
  for (int r = 0; r < rounds; r++) checksum = checksum * 31 + report(r, lines);
  printf("syscall-heavy lines=%d rounds=%d checksum %u\n", lines, rounds, checksum);
  return 0;
}
