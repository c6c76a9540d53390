/* Hidden libc state: F = roll_dice calls rand(), whose state lives in libc; the caller
 * seeds it (srand) outside F and also draws from it between calls, so every number printed
 * after the first roll depends on the state F left behind. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int roll_dice(int sides) { return rand() % sides + 1; }

int main(int argc, char **argv) {
  srand(argc > 1 ? (unsigned)atoi(argv[1]) : 1u);
  int rolls = argc > 2 ? atoi(argv[2]) : 10;
  int sum = 0;
  for (int i = 0; i < rolls; i++) {
    int r = roll_dice(6 + i % 3);
    int noise = rand() % 1000;
    printf("roll %d: %d (caller's draw %d)\n", i, r, noise);
    sum += r;
  }
  printf("sum %d\n", sum);
  return 0;
}
