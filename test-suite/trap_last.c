/* F traps on its last invocation: F = ratio divides, and on a zero divisor reports it on
 * (unbuffered) stderr and executes `unreachable`. The trapped invocation's fd_write must be
 * replayed before the disabled run traps the same way. */
#include <stdio.h>
#include <stdlib.h>

int calls;

__attribute__((noinline)) int ratio(int a, int b) {
  calls++;
  if (b == 0) {
    fprintf(stderr, "ratio: call %d divides %d by zero\n", calls, a);
    __builtin_trap();
  }
  return a / b;
}

int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    int r = ratio(atoi(argv[i]), atoi(argv[i + 1]));
    printf("%s / %s = %d\n", argv[i], argv[i + 1], r);
    fflush(stdout);
  }
  return 0;
}
