/* A realistic interpreter as F: F = vm_run executes bytecode with a dense switch (br_table),
 * i32/i64/f64 arithmetic and conversions, builtins called through a function-pointer table,
 * printf for PRINT, and writes the VM state and global statistics. Each program's result
 * feeds the next program's input. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PUSH, ADD, SUB, MUL, DIV, MOD, DUP, SWAP, DROP, LOAD, STORE, JMP, JZ, JNZ, LT, CALLB, PRINT, TOF, FMUL, FADD, TOI, MUL64, HALT };

struct insn { int op, arg; };
struct vmstate {
  int64_t stack[64];
  double fstack[8];
  int sp, fsp;
  int64_t mem[16];
  long steps;
};

long total_steps, total_prints;

static int64_t b_abs(int64_t x) { return x < 0 ? -x : x; }
static int64_t b_isqrt(int64_t x) { return (int64_t)sqrt((double)x); }
static int64_t b_popcount(int64_t x) { return __builtin_popcountll((uint64_t)x); }
static int64_t (*const builtins[])(int64_t) = { b_abs, b_isqrt, b_popcount };

__attribute__((noinline)) int64_t vm_run(const struct insn *code, int n, struct vmstate *st) {
  int pc = 0;
  while (pc < n) {
    const struct insn in = code[pc++];
    int64_t a, b;
    st->steps++;
    switch (in.op) {
      case PUSH: st->stack[st->sp++] = in.arg; break;
      case ADD: b = st->stack[--st->sp]; st->stack[st->sp - 1] += b; break;
      case SUB: b = st->stack[--st->sp]; st->stack[st->sp - 1] -= b; break;
      case MUL: b = st->stack[--st->sp]; st->stack[st->sp - 1] *= b; break;
      case DIV: b = st->stack[--st->sp]; st->stack[st->sp - 1] = b ? st->stack[st->sp - 1] / b : 0; break;
      case MOD: b = st->stack[--st->sp]; st->stack[st->sp - 1] = b ? st->stack[st->sp - 1] % b : 0; break;
      case DUP: st->stack[st->sp] = st->stack[st->sp - 1]; st->sp++; break;
      case SWAP: a = st->stack[st->sp - 1]; st->stack[st->sp - 1] = st->stack[st->sp - 2]; st->stack[st->sp - 2] = a; break;
      case DROP: st->sp--; break;
      case LOAD: st->stack[st->sp++] = st->mem[in.arg & 15]; break;
      case STORE: st->mem[in.arg & 15] = st->stack[--st->sp]; break;
      case JMP: pc = in.arg; break;
      case JZ: if (st->stack[--st->sp] == 0) pc = in.arg; break;
      case JNZ: if (st->stack[--st->sp] != 0) pc = in.arg; break;
      case LT: b = st->stack[--st->sp]; st->stack[st->sp - 1] = st->stack[st->sp - 1] < b; break;
      case CALLB: st->stack[st->sp - 1] = builtins[in.arg % 3](st->stack[st->sp - 1]); break;
      case PRINT: printf("  vm: %" PRId64 "\n", st->stack[st->sp - 1]); total_prints++; break;
      case TOF: st->fstack[st->fsp++] = (double)st->stack[--st->sp]; break;
      case FMUL: st->fstack[st->fsp - 2] *= st->fstack[st->fsp - 1]; st->fsp--; break;
      case FADD: st->fstack[st->fsp - 2] += st->fstack[st->fsp - 1]; st->fsp--; break;
      case TOI: st->stack[st->sp++] = (int64_t)(st->fstack[--st->fsp] * 1000.0); break;
      case MUL64: b = st->stack[--st->sp]; st->stack[st->sp - 1] = (int64_t)((uint64_t)st->stack[st->sp - 1] * (uint64_t)b * 0x9e3779b97f4a7c15ull); break;
      case HALT: pc = n; break;
    }
  }
  total_steps += st->steps;
  return st->sp > 0 ? st->stack[st->sp - 1] : 0;
}

/* mem[0] = n; loop: acc = acc * 3 + i (mod 1000003), print every 4th; then builtins and floats. */
static const struct insn program[] = {
  { STORE, 0 }, { PUSH, 1 }, { STORE, 1 }, { PUSH, 0 }, { STORE, 2 },          /* 0-4: n, acc=1, i=0 */
  { LOAD, 2 }, { LOAD, 0 }, { LT, 0 }, { JZ, 28 },                              /* 5-8: while i < n */
  { LOAD, 1 }, { PUSH, 3 }, { MUL, 0 }, { LOAD, 2 }, { ADD, 0 }, { PUSH, 1000003 }, { MOD, 0 }, { STORE, 1 },
  { LOAD, 2 }, { PUSH, 4 }, { MOD, 0 }, { JNZ, 23 }, { LOAD, 1 }, { PRINT, 0 }, /* 17-22 */
  { LOAD, 2 }, { PUSH, 1 }, { ADD, 0 }, { STORE, 2 }, { JMP, 5 },               /* 23-27: i++ */
  { LOAD, 1 }, { CALLB, 1 }, { DUP, 0 }, { CALLB, 2 }, { ADD, 0 },              /* 28-32: isqrt + popcount */
  { TOF, 0 }, { LOAD, 1 }, { TOF, 0 }, { FMUL, 0 }, { PUSH, 7 }, { TOF, 0 }, { FADD, 0 }, { TOI, 0 },
  { LOAD, 0 }, { MUL64, 0 }, { CALLB, 0 }, { PRINT, 0 }, { HALT, 0 },
};

int main(int argc, char **argv) {
  struct insn code[sizeof program / sizeof program[0]]; /* a copy in main's frame */
  memcpy(code, program, sizeof program);
  int n = (int)(sizeof code / sizeof code[0]);
  int64_t input = argc > 1 ? atoll(argv[1]) : 10;
  for (int round = 0; round < 4; round++) {
    struct vmstate st;
    memset(&st, 0, sizeof st);
    st.stack[st.sp++] = input;
    int64_t r = vm_run(code, n, &st);
    printf("round %d: input %" PRId64 " -> %" PRId64 " (%ld steps, acc %" PRId64 ")\n", round, input, r, st.steps, st.mem[1]);
    input = (r < 0 ? -r : r) % 37 + 5;
  }
  printf("total %ld steps, %ld prints\n", total_steps, total_prints);
  return 0;
}
