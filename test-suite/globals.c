/* Globals: F = record updates C globals in linear memory (data and bss) and a mutable Wasm
 * global defined in assembly (global.set inside F's extent). Later output reads all of them.
 * A second Wasm global, g_epoch, is set only outside F (main bumps it after every call): it is
 * never an effect of F, even though F's invocations change another global. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A mutable i64 Wasm global with two helpers written in assembly (clang 14's assembler cannot
 * check functions with results in inline asm, so the reader stores through a pointer). */
__asm__(
    ".globaltype g_ticks, i64\n"
    "g_ticks:\n"
    ".globl ticks_add\n"
    ".type ticks_add,@function\n"
    "ticks_add:\n"
    ".functype ticks_add (i64) -> ()\n"
    "  local.get 0\n"
    "  global.get g_ticks\n"
    "  i64.add\n"
    "  global.set g_ticks\n"
    "  end_function\n"
    ".globl ticks_read\n"
    ".type ticks_read,@function\n"
    "ticks_read:\n"
    ".functype ticks_read (i32) -> ()\n"
    "  local.get 0\n"
    "  global.get g_ticks\n"
    "  i64.store 0\n"
    "  end_function\n"
    ".globaltype g_epoch, i32\n"
    "g_epoch:\n"
    ".globl epoch_bump\n"
    ".type epoch_bump,@function\n"
    "epoch_bump:\n"
    ".functype epoch_bump () -> ()\n"
    "  global.get g_epoch\n"
    "  i32.const 7\n"
    "  i32.add\n"
    "  global.set g_epoch\n"
    "  end_function\n"
    ".globl epoch_read\n"
    ".type epoch_read,@function\n"
    "epoch_read:\n"
    ".functype epoch_read (i32) -> ()\n"
    "  local.get 0\n"
    "  global.get g_epoch\n"
    "  i32.store 0\n"
    "  end_function\n");
void ticks_add(long long delta);
void ticks_read(long long *out);
void epoch_bump(void);
void epoch_read(int *out);

int counter;                  /* bss */
long long total = 1000;       /* data */
char last_name[24] = "none";  /* data */
struct { short min, max; } range = { 32767, -32768 };

__attribute__((noinline)) void record(const char *name, int value) {
  counter++;
  total += value;
  strncpy(last_name, name, sizeof last_name - 1);
  if (value < range.min) range.min = (short)value;
  if (value > range.max) range.max = (short)value;
  ticks_add(value * 3 + 1);
}

int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    record(argv[i], atoi(argv[i + 1]));
    long long ticks;
    ticks_read(&ticks);
    epoch_bump();
    int epoch;
    epoch_read(&epoch);
    printf("counter=%d total=%lld last=%s range=[%d,%d] ticks=%lld epoch=%d\n", counter, total, last_name,
           range.min, range.max, ticks, epoch);
  }
  return 0;
}
