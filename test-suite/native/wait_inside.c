/* A program that waits inside F until something outside ends it: the end-to-end test sends it
 * SIGKILL or SIGTERM while it is analyzed. It prints its pid first, so the test can signal it. */
#include <stdio.h>
#include <unistd.h>

#define F __attribute__((noipa))

static volatile int ticks;

F void wait_forever(void) {
  for (;;) {
    ticks++;
    pause();
  }
}

int main(void) {
  printf("%d\n", (int)getpid());
  fflush(stdout);
  wait_forever();
  return 0;
}
