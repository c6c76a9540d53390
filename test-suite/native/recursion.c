/* Recursive F: one invocation per outermost call; the inner calls are inside its extent. */
#include <stdio.h>

#define F __attribute__((noipa))

long memo[64];

F long fib(int n) {
  if (n < 2) return n;
  if (memo[n]) return memo[n];
  long v = fib(n - 1) + fib(n - 2);
  if (n % 5 == 0) memo[n] = v;
  return v;
}

int main(void) {
  for (int n = 10; n <= 22; n += 6) printf("fib(%d)=%ld memo20=%ld\n", n, fib(n), memo[20]);
  return 0;
}
