/* Clock and random inside F: F = sample_entropy reads random bytes (random_get) and two clocks
 * (clock_time_get) and returns a mix of them. The caller prints them, reads the clock outside F
 * too, and chooses how much work to do from them, so a replay that feeds different values
 * shows in the output. Nondeterministic between separate plain runs by design. */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) uint64_t sample_entropy(unsigned char *buf, size_t n) {
  struct timespec mono, real;
  if (getentropy(buf, n) != 0) return 0;
  clock_gettime(CLOCK_MONOTONIC, &mono);
  clock_gettime(CLOCK_REALTIME, &real);
  uint64_t mix = (uint64_t)mono.tv_nsec ^ ((uint64_t)real.tv_sec << 20);
  for (size_t i = 0; i < n; i++) mix = mix * 31 + buf[i];
  return mix;
}

int main(void) {
  time_t start = time(NULL); /* an input outside F */
  unsigned char buf[16];
  for (int round = 0; round < 3; round++) {
    uint64_t mix = sample_entropy(buf, sizeof buf);
    printf("round %d: mix %016llx bytes", round, (unsigned long long)mix);
    for (size_t i = 0; i < sizeof buf; i++) printf(" %02x", buf[i]);
    printf("\n");
    int work = buf[0] % 5 + 1;
    for (int w = 0; w < work; w++) printf("  work item %d of %d\n", w + 1, work);
  }
  printf("started at %lld\n", (long long)start);
  return 0;
}
