/* F called by two threads at the same time, each using what F returns. Alpaca holds the other
 * threads while one runs F, so the analysis records each call whole; a disabled run replays each
 * thread's calls in that thread's order (the log keeps the thread of each invocation), whatever
 * order the threads reach F in. */
#include <pthread.h>
#include <stdio.h>

#define F __attribute__((noipa))
#define CALLS 30

static pthread_barrier_t start;
static unsigned long table[2][CALLS];

F unsigned long step(int id, int k) {
  unsigned long h = (unsigned long)(id * 1000 + k) * 0x9E3779B97F4A7C15ul;
  for (int i = 0; i < 200; i++) h = (h ^ (unsigned long)i) * 1099511628211ul;
  table[id][k] = h & 0xffff; /* F's write, in the caller thread's row */
  return h;
}

static void *worker(void *arg) {
  int id = (int)(long)arg;
  unsigned long acc = 0;
  pthread_barrier_wait(&start);
  for (int k = 0; k < CALLS; k++) acc = acc * 31 + step(id, k);
  return (void *)acc;
}

int main(void) {
  pthread_t t[2];
  void *acc[2];
  pthread_barrier_init(&start, NULL, 2);
  for (long id = 0; id < 2; id++) pthread_create(&t[id], NULL, worker, (void *)id);
  for (int id = 0; id < 2; id++) pthread_join(t[id], &acc[id]);
  unsigned long s = 0;
  for (int id = 0; id < 2; id++)
    for (int k = 0; k < CALLS; k++) s = s * 131 + table[id][k];
  printf("thread 0 %lx\nthread 1 %lx\ntable %lx\n", (unsigned long)acc[0], (unsigned long)acc[1], s);
  return 0;
}
