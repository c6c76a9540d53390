/* Random bytes taken outside F, which F then overwrites. The page engine sees F's stores as the
 * bytes that changed, so a byte F overwrites with its old value is not logged: the disabled run
 * must hold the analyzed run's random bytes there, which it does because native runs record
 * getrandom outside F and feed it to disabled and baseline runs (src/native/inputs.ts). The
 * output is a checksum of the bytes F wrote: the same in every run when the replay is right. */
#include <stdio.h>
#include <sys/random.h>

#define F __attribute__((noipa))

static unsigned char buf[1 << 16];

/* One byte in 32: each store is a run of its own, so about 1 in 256 of them stores the byte
 * already there (the page engine carries equal bytes along only inside a run). */
F void fill(unsigned char c) {
  for (unsigned i = 0; i < sizeof buf; i += 32) buf[i] = c;
}

int main(void) {
  for (int round = 0; round < 3; round++) {
    if (getrandom(buf, sizeof buf, 0) != (ssize_t)sizeof buf) return 1;
    fill((unsigned char)('A' + round));
    unsigned long sum = 0;
    for (unsigned i = 0; i < sizeof buf; i += 32) sum = sum * 31 + buf[i];
    printf("round %d: %lx\n", round, sum);
  }
  return 0;
}
