/* F waits for another thread (pthread_join of a thread that is still sleeping): Alpaca holds the
 * other threads while F runs, so the analysis must refuse rather than wait forever. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define F __attribute__((noipa))

static void *sleeper(void *arg) {
  struct timespec ts = {0, 300 * 1000 * 1000};
  nanosleep(&ts, NULL);
  return arg;
}

F long join_it(pthread_t t) {
  void *r;
  pthread_join(t, &r);
  return (long)r;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, sleeper, (void *)42);
  printf("joined %ld\n", join_it(t));
  return 0;
}
