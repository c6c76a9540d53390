/* F dies of SIGSEGV on its second call: every mode ends with status 139 (128 + 11) and the same
 * output; the disabled run replays the first invocation, then kills the process the same way. */
#include <stdio.h>

#define F __attribute__((noipa))

int *volatile target;
int cell;

F int poke(int v) {
  *target = v;
  return v + 1;
}

int main(void) {
  target = &cell;
  printf("first %d cell=%d\n", poke(5), cell);
  fflush(stdout);
  target = NULL;
  printf("second %d\n", poke(6));
  return 0;
}
