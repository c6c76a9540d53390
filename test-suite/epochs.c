/* Ordering of stores and WASI calls inside F: F = stage fills a buffer, lets read() overwrite the
 * front of it (fd_read writes memory), edits it again, writes a line through write() and then
 * puts a byte back the way it was, so stores before, between and after WASI calls must be
 * replayed in order around the re-executed or answered calls. A second target, restore_echo,
 * changes a global message, writes it out, and restores it: the log must keep the change the
 * fd_write saw even though the final bytes equal the initial ones. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

char message[32] = "status: idle\n";

__attribute__((noinline)) int stage(char *buf, int n) {
  memset(buf, '#', (size_t)n);
  ssize_t got = read(0, buf, (size_t)n / 2);
  if (got > 0) buf[0] = (char)toupper((unsigned char)buf[0]);
  char saved = buf[n - 1];
  buf[n - 1] = '\n';
  write(1, buf, (size_t)n);
  buf[n - 1] = saved;
  return (int)got;
}

__attribute__((noinline)) void restore_echo(const char *word) {
  char saved[sizeof message];
  memcpy(saved, message, sizeof message);
  snprintf(message + 8, sizeof message - 8, "%s\n", word);
  write(1, message, strlen(message));
  memcpy(message, saved, sizeof message);
}

int main(void) {
  char buf[24];
  for (int round = 0; round < 4; round++) {
    int got = stage(buf, (int)sizeof buf);
    printf("round %d: read %d, buffer ends with %02x, message %s", round, got, (unsigned char)buf[sizeof buf - 1], message);
    fflush(stdout);
    restore_echo(round % 2 ? "busy" : "waiting");
  }
  return 0;
}
