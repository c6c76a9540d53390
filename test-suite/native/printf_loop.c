/* v2 test list: printf in a loop (write syscalls inside F, re-executed when disabled). */
#include <stdio.h>

#define F __attribute__((noipa))

F int print_lines(int n) {
  int total = 0;
  for (int i = 0; i < n; i++) {
    total += printf("line %d of %d: %s\n", i + 1, n, i % 2 ? "odd" : "even");
    fflush(stdout);
  }
  fprintf(stderr, "printed %d lines\n", n);
  return total;
}

int main(void) {
  int sum = 0;
  for (int r = 1; r <= 3; r++) sum += print_lines(r + 1);
  printf("total bytes %d\n", sum);
  return sum % 7;
}
