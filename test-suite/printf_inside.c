/* printf inside F: F = report formats into stdout's buffer (flushing it with fd_write when it
 * fills) and writes each line to unbuffered stderr too; the caller prints between calls, so
 * the order and content of stdout depend on the buffer state F leaves. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int report(const char *label, int value) {
  int n = printf("[%s] value=%d square=%lld hex=%#x\n", label, value, (long long)value * value, (unsigned)value);
  fprintf(stderr, "report %s %d\n", label, value);
  return n;
}

int main(int argc, char **argv) {
  int count = argc > 1 ? atoi(argv[1]) : 100;
  long chars = 0;
  for (int i = 0; i < count; i++) {
    chars += report(i % 2 ? "odd" : "even", i * 37 - 500);
    if (i % 10 == 0) printf("-- %d lines so far, %ld chars\n", i + 1, chars);
  }
  printf("total %ld chars\n", chars);
  return 0;
}
