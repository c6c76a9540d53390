/* F calls exit() on its last invocation: F = process_item prints (buffered) and returns a
 * value, except for the last item, where it exits with status 3. exit runs the caller's atexit
 * handler and flushes stdout from inside F's extent. */
#include <stdio.h>
#include <stdlib.h>

static int handled;

static void goodbye(void) { printf("atexit: %d items handled\n", handled); }

__attribute__((noinline)) int process_item(int i, int n) {
  printf("item %d of %d\n", i + 1, n);
  if (i == n - 1) exit(3);
  return i * i;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 4;
  atexit(goodbye);
  for (int i = 0; i < n; i++) {
    int r = process_item(i, n);
    handled++;
    printf("  result %d\n", r);
  }
  printf("not reached\n");
  return 0;
}
