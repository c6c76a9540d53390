/* The empty kernel: measures start-up cost per mode (Node, tsx, module load and rewrite, log
 * open and close). F = nothing is called once and does nothing. Prints one line. */
#include <stdio.h>

int sink;

__attribute__((noinline)) void nothing(void) { __asm__ volatile("" ::: "memory"); }

int main(void) {
  nothing();
  printf("empty ok %d\n", sink);
  return 0;
}
