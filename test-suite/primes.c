/* Compute-heavy pure F: F = count_primes counts primes below n by trial division; it writes no
 * memory outside its frame and makes no calls, so replay is just the return value. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int count_primes(int n) {
  int count = 0;
  for (int i = 2; i < n; i++) {
    int prime = 1;
    for (int d = 2; d * d <= i; d++)
      if (i % d == 0) {
        prime = 0;
        break;
      }
    count += prime;
  }
  return count;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    int n = atoi(argv[i]);
    printf("primes below %d: %d\n", n, count_primes(n));
  }
  return 0;
}
