/* Writes confined to F's own frames: F = digit_stats formats numbers into a large local buffer
 * with snprintf (which builds its own FILE on the stack), sorts the digits in a local array and
 * recurses through a helper with a variable-length array. All of that lies below the stack
 * pointer at F's entry, so the log must record no write at all, only return values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int helper(const char *s, int depth) {
  char copy[strlen(s) + 1]; /* a VLA: the frame size depends on the input */
  memcpy(copy, s, sizeof copy);
  int sum = 0;
  for (char *p = copy; *p; p++) sum += *p - '0';
  return depth > 0 && copy[0] ? sum + helper(copy + 1, depth - 1) : sum;
}

__attribute__((noinline)) int digit_stats(int n) {
  char text[2048];
  int len = 0;
  for (int i = 1; i <= n && len < (int)sizeof text - 16; i++) len += snprintf(text + len, sizeof text - (size_t)len, "%d", i * i);
  int counts[10] = { 0 };
  for (int i = 0; i < len; i++) counts[text[i] - '0']++;
  int best = 0;
  for (int d = 1; d < 10; d++)
    if (counts[d] > counts[best]) best = d;
  return best * 100000 + helper(text, 6) * 10 + (len & 7);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    int n = atoi(argv[i]);
    printf("digit_stats(%d) = %d\n", n, digit_stats(n));
  }
  return 0;
}
