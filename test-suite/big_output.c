/* Writes far more than a pipe buffer holds (about 1 MB), from inside F and outside it: a slow
 * reader downstream must still get every byte (test/stdout-pipe.test.ts). */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int emit_block(int block) {
  for (int i = 0; i < 1000; i++) printf("block %4d line %4d ..............................\n", block, i);
  return block;
}

int main(int argc, char **argv) {
  int blocks = argc > 1 ? atoi(argv[1]) : 20;
  int sum = 0;
  for (int b = 0; b < blocks; b++) sum += emit_block(b);
  fprintf(stderr, "done %d\n", sum);
  return 0;
}
