/*
 * breakpoints.c: Breakpoints at F and at F's return address, and forked children cleaned of them.
 * Part of alpaca-native-helper (main.c has the overview); shared state in helper.h.
 */
#include "helper.h"

/* Breakpoints                                                                                */

uint64_t bp_addr;
uint8_t bp_orig;
int bp_on;
uint64_t ret_bp_addr;
uint8_t ret_bp_orig;
int ret_bp_on;


void poke_byte(uint64_t addr, uint8_t b) {
  if (mem_write(addr, &b, 1) < 0) die(ERR_MEMORY, addr, "cannot write code at 0x%llx", (unsigned long long)addr);
}
uint8_t peek_byte(uint64_t addr) {
  uint8_t b;
  if (mem_read(addr, &b, 1) < 0) die(ERR_MEMORY, addr, "cannot read code at 0x%llx", (unsigned long long)addr);
  return b;
}
void bp_insert(void) {
  if (bp_on || !bp_addr) return;
  bp_orig = peek_byte(bp_addr);
  poke_byte(bp_addr, 0xcc);
  bp_on = 1;
}
void bp_remove(void) {
  if (!bp_on) return;
  poke_byte(bp_addr, bp_orig);
  bp_on = 0;
}

/* A child the target forked: it gets the original bytes under our breakpoints and is let go,
 * so it runs the program as it would outside Alpaca (its calls of F are not analyzed). A vfork
 * child shares the target's memory: the breakpoints come back at VFORK_DONE. */
void release_child(void) {
  unsigned long child = 0;
  if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &child) < 0 || child == 0) return;
  int st;
  while (waitpid((pid_t)child, &st, __WALL) < 0 && errno == EINTR) {}
  char path[64];
  snprintf(path, sizeof path, "/proc/%lu/mem", child);
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    if (bp_on && pwrite(fd, &bp_orig, 1, (off_t)bp_addr) != 1) die(ERR_MEMORY, bp_addr, "cannot clean a forked child");
    if (ret_bp_on && pwrite(fd, &ret_bp_orig, 1, (off_t)ret_bp_addr) != 1) die(ERR_MEMORY, ret_bp_addr, "cannot clean a forked child");
    if (patch_len && pwrite(fd, patch_orig, patch_len, (off_t)patch_addr) != (ssize_t)patch_len) die(ERR_MEMORY, patch_addr, "cannot clean a forked child");
    close(fd);
  }
  ptrace(PTRACE_DETACH, (pid_t)child, 0, 0);
}

void rearm_after_vfork(void) {
  if (bp_on) poke_byte(bp_addr, 0xcc);
  if (ret_bp_on) poke_byte(ret_bp_addr, 0xcc);
  if (patch_len && mem_write(patch_addr, patch_bytes, patch_len) < 0) die(ERR_MEMORY, patch_addr, "cannot patch F again");
}
