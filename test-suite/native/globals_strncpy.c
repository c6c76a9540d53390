/* v2 test list: global writes with strncpy. */
#include <stdio.h>
#include <string.h>

#define F __attribute__((noipa))

char name[32];
int counter;
static long history[4];

F void set_name(const char *s, int k) {
  strncpy(name, s, sizeof name - 1);
  counter += k;
  history[k & 3] = (long)strlen(name) * k;
}

int main(int argc, char **argv) {
  const char *words[] = { "alpha", "a much longer name that gets truncated by strncpy", argc > 1 ? argv[1] : "gamma" };
  for (int i = 0; i < 3; i++) {
    set_name(words[i], i + 1);
    printf("name=%s counter=%d history=%ld,%ld,%ld,%ld\n", name, counter, history[0], history[1], history[2], history[3]);
  }
  return 0;
}
