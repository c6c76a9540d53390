/* printf inside F: F = report formats into stdout's buffer (flushing it with fd_write when it
 * fills) and writes each line to unbuffered stderr too; the caller prints between calls, so
 * the order and content of stdout depend on the buffer state F leaves. The caller reads the
 * environment variable REPORT_TAG (passed with --env) and hands it to F. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int report(const char *tag, const char *label, int value) {
  int n = printf("[%s/%s] value=%d square=%lld hex=%#x\n", tag, label, value, (long long)value * value, (unsigned)value);
  fprintf(stderr, "report %s %d\n", label, value);
  return n;
}

int main(int argc, char **argv) {
  int count = argc > 1 ? atoi(argv[1]) : 100;
  const char *tag = getenv("REPORT_TAG");
  long chars = 0;
  if (!tag) tag = "untagged";
  for (int i = 0; i < count; i++) {
    chars += report(tag, i % 2 ? "odd" : "even", i * 37 - 500);
    if (i % 10 == 0) printf("-- %d lines so far, %ld chars\n", i + 1, chars);
  }
  printf("total %ld chars\n", chars);
  return 0;
}
