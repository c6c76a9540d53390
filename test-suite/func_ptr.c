/* F called through a function pointer (call_indirect): main runs a little program of
 * operations picked from a table; F = op_mix is only ever reached through the table. */
#include <stdio.h>
#include <stdlib.h>

typedef int (*op_fn)(int, int);

int op_add(int a, int b) { return a + b; }
int op_mul(int a, int b) { return a * b; }
__attribute__((noinline)) int op_mix(int a, int b) {
  unsigned x = (unsigned)a * 2654435761u ^ (unsigned)b;
  x ^= x >> 13;
  return (int)(x % 100000u);
}
int op_sub(int a, int b) { return a - b; }

static op_fn table[4] = { op_add, op_mul, op_mix, op_sub };

int main(int argc, char **argv) {
  const char *prog = argc > 1 ? argv[1] : "amxs";
  int acc = argc > 2 ? atoi(argv[2]) : 1;
  for (int i = 0; prog[i]; i++) {
    int which = prog[i] == 'a' ? 0 : prog[i] == 'm' ? 1 : prog[i] == 'x' ? 2 : 3;
    op_fn f = table[which];
    acc = f(acc, i + 3);
    printf("%c(%d) -> %d\n", prog[i], i + 3, acc);
  }
  return 0;
}
