/* F ends the process on its third call: the invocation is "exited" and the disabled run exits
 * the same way, with the same status and the same buffered output flushed by exit. */
#include <stdio.h>
#include <stdlib.h>

#define F __attribute__((noipa))

F int step(int i) {
  printf("step %d\n", i);
  if (i == 3) exit(42);
  return i * 10;
}

int main(void) {
  for (int i = 1; i <= 5; i++) printf("got %d\n", step(i));
  return 0;
}
