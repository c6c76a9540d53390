/* v2 test list: scalar returns (bool, short, int, long, long long), float and double returns and
 * float arguments, small structs in registers (RAX:RDX, XMM0:XMM1), large structs through a
 * hidden pointer (sret into the caller's frame). One function per case, each called 3 times. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define F __attribute__((noipa))

F bool ret_bool(int x) { return x % 2 == 0; }
F short ret_short(int x) { return (short)(-1000 * x - 7); }
F int ret_int(int x) { return x * x * 1000 + 17; }
F long ret_long(long x) { return x * 0x100000001L + 5; }
F long long ret_llong(long long x) { return -x * 0x123456789LL; }
F float ret_float(int x) { return (float)x * 1.5f + 0.25f; }
F double ret_double(int x) { return (double)x / 3.0 + 1e10; }
F float take_floats(float a, float b, double c) { return a * b + (float)c; }

struct small { long a; long b; };
F struct small ret_small(long x) { struct small s = { x + 1, x * 2 }; return s; }
struct pair_d { double x; double y; };
F struct pair_d ret_pair_d(int x) { struct pair_d p = { x * 0.5, x * -2.25 }; return p; }
struct big { long v[8]; char name[24]; };
F struct big ret_big(int x) {
  struct big b;
  for (int i = 0; i < 8; i++) b.v[i] = (long)x * 100 + i;
  snprintf(b.name, sizeof b.name, "big-%d", x);
  return b;
}

int main(void) {
  for (int i = 1; i <= 3; i++) {
    struct small s = ret_small(i);
    struct pair_d p = ret_pair_d(i);
    struct big b = ret_big(i);
    printf("%d bool=%d short=%d int=%d long=%ld llong=%lld\n", i, ret_bool(i), ret_short(i), ret_int(i), ret_long(i), ret_llong(i));
    printf("%d float=%.6f double=%.6f floats=%.6f\n", i, ret_float(i), ret_double(i), take_floats(i * 0.5f, 3.0f, i * 0.125));
    printf("%d small=%ld,%ld pair=%.3f,%.3f big=%ld,%ld,%s\n", i, s.a, s.b, p.x, p.y, b.v[0], b.v[7], b.name);
  }
  return 0;
}
