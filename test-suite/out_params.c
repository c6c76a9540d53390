/* Out-parameters: F = divmod writes quotient and remainder into locals of the caller's frame
 * (address-taken, so on the shadow stack) and returns a status. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int divmod(int a, int b, int *q, int *r) {
  if (b == 0) return -22;
  *q = a / b;
  *r = a % b;
  return 0;
}

int main(int argc, char **argv) {
  int q = -1, r = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    int a = atoi(argv[i]), b = atoi(argv[i + 1]);
    int rc = divmod(a, b, &q, &r);
    /* q and r keep their previous values when divmod fails: the replay must not invent writes. */
    printf("divmod(%d, %d) = %d: q=%d r=%d\n", a, b, rc, q, r);
  }
  return 0;
}
