/* v2 test list: writes to a caller's local, memcpy into the caller's stack. */
#include <stdio.h>
#include <string.h>

#define F __attribute__((noipa))

F void set_local(int *out, int v) { *out = v * 3 + 1; }

static const char pattern[] = "the quick brown fox jumps over the lazy dog, 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ";

F int copy_to_stack(char *dst, int n) {
  char tmp[256];
  memcpy(tmp, pattern, sizeof pattern);
  tmp[0] = (char)('A' + n);
  memcpy(dst, tmp, (size_t)n);
  dst[n] = 0;
  return n;
}

int main(void) {
  for (int i = 1; i <= 3; i++) {
    int local = -1;
    char buf[128];
    memset(buf, '.', sizeof buf);
    set_local(&local, i);
    int n = copy_to_stack(buf, 20 * i + 3);
    printf("%d local=%d n=%d buf=%s tail=%c\n", i, local, n, buf, buf[100]);
  }
  return 0;
}
