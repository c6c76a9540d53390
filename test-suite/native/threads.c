/* F called from a worker thread while another thread writes its own data. The writer's array
 * is incremented all the time F runs; if Alpaca took the writer's stores as F's (the page engine
 * sees every thread's writes to a page) and replayed them, the disabled run would put back stale
 * counts and the sums printed at the end would differ from the plain run's. A breakpoint hit in
 * an untraced thread would kill the program with SIGTRAP. */
#include <pthread.h>
#include <stdio.h>

#define F __attribute__((noipa))
#define CALLS 20
#define CELLS 4096
#define F_CELLS 512

static pthread_barrier_t start;
static unsigned long writer_cells[CELLS]; /* the writer's own data */
static unsigned long f_cells[F_CELLS];    /* F's */
static unsigned long results[CALLS];

F unsigned long mix(unsigned long seed) {
  unsigned long h = seed * 0x9E3779B97F4A7C15ul;
  for (int i = 0; i < F_CELLS; i++) {
    h = (h ^ (unsigned long)i) * 1099511628211ul;
    f_cells[i] += h >> 7;
  }
  return h;
}

static void *worker(void *arg) {
  (void)arg;
  pthread_barrier_wait(&start);
  for (int k = 0; k < CALLS; k++) results[k] = mix((unsigned long)k + 1);
  return NULL;
}

static void *writer(void *arg) {
  (void)arg;
  pthread_barrier_wait(&start);
  for (int round = 0; round < 20000; round++)
    for (int i = 0; i < CELLS; i++) writer_cells[i] += (unsigned long)(round + i);
  return NULL;
}

int main(void) {
  pthread_t w, x;
  pthread_barrier_init(&start, NULL, 2);
  pthread_create(&x, NULL, writer, NULL);
  pthread_create(&w, NULL, worker, NULL);
  pthread_join(w, NULL);
  pthread_join(x, NULL);
  unsigned long ws = 0, fs = 0, rs = 0;
  for (int i = 0; i < CELLS; i++) ws += writer_cells[i] * (unsigned long)(i + 1);
  for (int i = 0; i < F_CELLS; i++) fs += f_cells[i] * (unsigned long)(i + 1);
  for (int k = 0; k < CALLS; k++) rs ^= results[k] + (unsigned long)k;
  printf("writer %lx\nf %lx\nresults %lx\n", ws, fs, rs);
  return 0;
}
