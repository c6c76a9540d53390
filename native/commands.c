/*
 * commands.c: Injected syscalls and the commands that do not resume the target (serve).
 * Part of alpaca-native-helper (main.c has the overview); shared state in helper.h.
 */
#include "helper.h"

/* Commands                                                                                   */

void send_ok(void) {
  begin_frame(H_OK);
  end_frame();
  flush_out();
}

/* A signal that arrived while the helper held the target (an injected syscall): delivered with
 * the next resume. */
int deferred_sig;

/* N_TRACE_ALL: how every call of F is analyzed (N_TRACE or N_TRACE_PAGES), decided once, so
 * ENTRY and RETURN need no answer; 0 until then. */
uint8_t standing;

/* Input syscalls (clocks, random bytes; --inputs) the CLI records or answers wherever the
 * analysis engines are not running F. A seccomp filter installed before the exec stops the
 * target at them (SECCOMP_RET_TRACE), so no other syscall costs a stop. */
uint32_t input_nrs[MAX_INPUTS];
unsigned n_inputs;

/* Executes syscall nr in the stopped target with the 2 bytes at F's address borrowed for the
 * `syscall` instruction, registers saved and restored. Ptrace event stops on the way (clone)
 * leave PTRACE_GETEVENTMSG in *event_msg. Returns rax. The target may end here (exit_group). */

uint64_t inject_raw(uint64_t nr, const uint64_t a[6], unsigned long *event_msg) {
  if (!bp_addr) die(ERR_INTERNAL, 0, "inject without a breakpoint address");
  return inject_at(bp_addr, nr, a, event_msg);
}

/* inject_raw with the 2 bytes borrowed at `at` (the program's entry point at the exec stop). */
uint64_t inject_at(uint64_t at, uint64_t nr, const uint64_t a[6], unsigned long *event_msg) {
  struct user_regs_struct saved;
  get_regs();
  saved = regs;
  uint8_t orig[2], code[2] = {0x0f, 0x05};
  if (mem_read(at, orig, 2) < 0 || mem_write(at, code, 2) < 0)
    die(ERR_MEMORY, at, "cannot borrow 2 bytes of code for a syscall");
  struct user_regs_struct r = saved;
  r.rax = nr;
  r.orig_rax = (uint64_t)-1;
  r.rdi = a[0]; r.rsi = a[1]; r.rdx = a[2]; r.r10 = a[3]; r.r8 = a[4]; r.r9 = a[5];
  r.rip = at;
  set_regs(&r);
  for (;;) {
    if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) < 0) die(ERR_PTRACE, 0, "PTRACE_SINGLESTEP: %s", strerror(errno));
    int st = wait_stop(); /* exit_group ends here, reported by wait_stop */
    if ((st >> 16) != 0) {
      if (event_msg) ptrace(PTRACE_GETEVENTMSG, pid, 0, event_msg);
      continue;
    }
    int sig = signal_of_stop(st);
    if (sig && !deferred_sig) deferred_sig = sig;
    get_regs();
    if (regs.rip == at + 2 && !sig) break;
    if (regs.rip != at && regs.rip != at + 2) die(ERR_INTERNAL, regs.rip, "injected syscall went astray");
  }
  uint64_t result = regs.rax;
  if (mem_write(at, orig, 2) < 0) die(ERR_MEMORY, at, "cannot restore the borrowed code bytes");
  set_regs(&saved);
  return result;
}

/* N_INJECT: one syscall the CLI asks for (replay). */
void inject_syscall(void) {
  uint64_t nr = get64(), a[6];
  for (int i = 0; i < 6; i++) a[i] = get64();
  uint64_t result = inject_raw(nr, a, NULL);
  begin_frame(H_RESULT);
  put64(result);
  end_frame();
  flush_out();
}

/* Serves commands that do not resume the target; returns the first one that does. */
uint8_t serve(void) {
  flush_out();
  for (;;) {
    uint8_t t = read_frame();
    switch (t) {
      case N_READ: {
        uint64_t addr = get64();
        uint32_t len = get32();
        begin_frame(H_MEM);
        size_t ok_at = olen;
        put8(1);
        out_reserve(len);
        if (mem_read(addr, obuf + olen, len) == 0) {
          olen += len;
        } else {
          obuf[ok_at] = 0;
        }
        end_frame();
        flush_out();
        break;
      }
      case N_WRITE: {
        uint64_t addr = get64();
        size_t n = ilen - ipos;
        if (mem_write(addr, ibuf + ipos, n) < 0)
          die(ERR_MEMORY, addr, "cannot write %zu bytes at 0x%llx: %s", n, (unsigned long long)addr, strerror(errno));
        send_ok();
        break;
      }
      case N_WRITES: {
        uint8_t flags;
        get_bytes(&flags, 1);
        uint32_t count = get32();
        static uint8_t *cur;
        static size_t ccur;
        for (uint32_t i = 0; i < count; i++) {
          uint64_t addr = get64();
          uint32_t len = get32();
          if (ipos + len > ilen) die(ERR_INTERNAL, 0, "short WRITES frame");
          const uint8_t *bytes = ibuf + ipos;
          ipos += len;
          if (flags & W_IF_DIFFERENT) {
            if (len > ccur) {
              free(cur);
              ccur = len;
              cur = malloc(ccur);
              if (!cur) die(ERR_INTERNAL, 0, "out of memory");
            }
            if (mem_read(addr, cur, len) == 0 && memcmp(cur, bytes, len) == 0) continue;
          }
          if (mem_write(addr, bytes, len) < 0)
            die(ERR_MEMORY, addr, "cannot write %u bytes at 0x%llx: %s", len, (unsigned long long)addr, strerror(errno));
        }
        send_ok();
        break;
      }
      case N_SET_BP:
        bp_remove();
        bp_addr = get64();
        bp_insert();
        send_ok();
        break;
      case N_PATCH: {
        uint64_t addr = get64();
        stub_trap = get64();
        stub_counter = get64();
        uint32_t n = (uint32_t)(ilen - ipos);
        if (n == 0 || n > sizeof patch_bytes) die(ERR_INTERNAL, 0, "PATCH of %u bytes", n);
        bp_remove(); /* the jump takes the breakpoint's place */
        if (mem_read(addr, patch_orig, n) < 0) die(ERR_MEMORY, addr, "cannot read F's first bytes");
        get_bytes(patch_bytes, n);
        if (mem_write(addr, patch_bytes, n) < 0) die(ERR_MEMORY, addr, "cannot patch F");
        patch_addr = addr;
        patch_len = n;
        send_ok();
        break;
      }
      case N_TRACE_ALL: {
        uint8_t how;
        get_bytes(&how, 1);
        if (how != N_TRACE && how != N_TRACE_PAGES) die(ERR_INTERNAL, 0, "TRACE_ALL with %u", how);
        standing = how;
        send_ok();
        break;
      }
      case N_UNPATCH:
        if (patch_len && mem_write(patch_addr, patch_orig, patch_len) < 0) die(ERR_MEMORY, patch_addr, "cannot restore F");
        patch_len = 0;
        send_ok();
        break;
      case N_INJECT:
        inject_syscall();
        break;
      default:
        return t;
    }
  }
}
