/*
 * Replay false alarms (issue 16): F is the first to print, so wasi-libc asks fd_fdstat_get
 * whether stdout is a terminal inside F, and F stats files in the preopen /data, whose
 * filestat has padding the host never writes and inodes and times that change between runs.
 * Run with stdout as a file, a pipe or a terminal in any mix of modes, a replay must not warn.
 */
#include <stdio.h>
#include <sys/stat.h>

__attribute__((noinline)) static long describe(int i) {
  struct stat st;
  long size = stat("/data/input.txt", &st) == 0 ? (long)st.st_size : -1;
  int dir = stat("/data", &st) == 0 && S_ISDIR(st.st_mode);
  printf("round %d: input.txt has %ld bytes, /data is %sa directory\n", i, size, dir ? "" : "not ");
  return size;
}

int main(void) {
  long total = 0;
  for (int i = 0; i < 3; i++) total += describe(i);
  printf("total %ld\n", total);
  return 0;
}
