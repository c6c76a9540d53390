/* Writing a file inside F (through a --dir preopen): F = save_report creates or truncates a
 * file and writes a table into it. The caller then reads the file back outside F and prints
 * it, so the disabled run must produce the same file for the same output. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int save_report(const char *path, const int *vals, int n) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  int bytes = fprintf(f, "# %d values\n", n);
  for (int i = 0; i < n; i++) bytes += fprintf(f, "%d,%d,%d\n", i, vals[i], vals[i] * vals[i]);
  if (fclose(f) != 0) return -2;
  return bytes;
}

static void cat(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    printf("cannot reopen %s\n", path);
    return;
  }
  int c;
  while ((c = fgetc(f)) != EOF) putchar(c);
  fclose(f);
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/out";
  int n = argc > 2 ? atoi(argv[2]) : 8;
  int vals[64];
  if (n > 64) n = 64;
  for (int i = 0; i < n; i++) vals[i] = (i * 7919) % 101 - 50;
  char path[256];
  snprintf(path, sizeof path, "%s/report.csv", dir);
  int a = save_report(path, vals, n);
  printf("wrote %d bytes to %s\n", a, path);
  cat(path);
  snprintf(path, sizeof path, "%s/short.csv", dir);
  int b = save_report(path, vals, n / 2);
  printf("wrote %d bytes to %s\n", b, path);
  return a < 0 || b < 0;
}
