/*
 * alpaca-native-helper: runs an x86-64 Linux program under ptrace for Alpaca's native backend.
 *
 *   alpaca-native-helper [--ctl-fd N] [--inputs NR,NR...] -- PROGRAM [ARGS...]
 *
 * The helper forks, turns address-space randomization off (personality ADDR_NO_RANDOMIZE),
 * asks to be traced and execs PROGRAM with exactly the helper's own environment and the given
 * argv, so every mode sees the same addresses, environment strings and auxiliary vector. The
 * 16 AT_RANDOM bytes are set to a constant at the exec stop, so the stack-protector canary and
 * glibc's pointer guard are the same in every run too.
 *
 * All decisions live in the CLI (src/native): the helper reports events on the control socket
 * and serves commands (protocol.h). The one hot loop stays here: while F runs in analyze mode
 * the helper single-steps it, looks every instruction address up in a table the CLI filled
 * from capstone (one decode per address), computes the effective address of each store and
 * keeps a set of written intervals outside F's frame. At the end of an epoch (a syscall inside
 * F, a signal, F's return) it reads the current bytes of those intervals and sends them. No
 * message per instruction crosses the socket.
 *
 * Also here: every thread traced, the others held while one runs F (Threads); the input
 * syscalls stopped by a seccomp filter installed before the exec (--inputs); the stub region
 * mapped at the exec stop in every mode, and F's jump to the in-process stub (N_PATCH); the
 * page engine's probe (--probe-pages). docs/native.md says what each is for.
 *
 * Invariants: the target never sees a byte, fd or environment variable of the helper's (the
 * control socket is close-on-exec); the helper only touches target memory where the CLI asks
 * (breakpoint at F, replayed writes, injected syscalls, the stub region) and restores what it
 * borrows.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "protocol.h"

extern char **environ;

#define RED_ZONE 128
#define NREGS (sizeof(struct user_regs_struct) / 8)
#define REG_RSP_IDX (offsetof(struct user_regs_struct, rsp) / 8)

static int ctl_fd = 3;
/* The target process (its leader's tid) and the thread ptrace requests go to: the one whose stop
 * is being handled, F's thread during an invocation. */
static pid_t tgid = -1;
static pid_t pid = -1;
static int mem_fd = -1;
static uint32_t xsave_bytes = 4096;
/* XSAVE components (CPUID leaf 0xD): size, standard-format offset, 64-byte alignment when compacted. */
static uint32_t xs_size[64], xs_offset[64], xs_align[64];
static uint64_t xcr0 = 3;
static uint64_t stack_limit = 8u << 20;

/* Forks are reported so the child can be cleaned of breakpoints and let go (see release_child);
 * seccomp stops are the input syscalls (--inputs); every thread is traced (TRACECLONE); a
 * thread's exit stop reads the in-process stub's call counter (TRACEEXIT). */
#define BASE_OPTIONS (PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEFORK | \
                      PTRACE_O_TRACEVFORK | PTRACE_O_TRACEVFORKDONE | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACECLONE | \
                      PTRACE_O_TRACEEXIT)

/* In-process replay (docs/native.md): F's entry patched with a jump to a stub the CLI wrote in
 * the stub region; the stub's int3 hands an invocation to the helper. */
static uint64_t patch_addr;
static uint8_t patch_orig[16], patch_bytes[16];
static uint32_t patch_len;
static uint64_t stub_trap;     /* address of the stub's int3 */
static uint64_t stub_counter;  /* address of the stub's call counter */
static uint64_t stub_calls;    /* the counter, read at the last thread exit */

static struct user_regs_struct regs;
#define REGS ((uint64_t *)&regs)

/* ------------------------------------------------------------------------------------------ */
/* Output frames                                                                              */

static uint8_t *obuf;
static size_t olen, ocap, frame_at;

static void out_reserve(size_t n) {
  if (olen + n <= ocap) return;
  size_t cap = ocap ? ocap : 1 << 16;
  while (cap < olen + n) cap *= 2;
  uint8_t *p = realloc(obuf, cap);
  if (!p) abort();
  obuf = p;
  ocap = cap;
}
static void put_bytes(const void *p, size_t n) {
  out_reserve(n);
  memcpy(obuf + olen, p, n);
  olen += n;
}
static void put8(uint8_t v) { put_bytes(&v, 1); }
static void put16(uint16_t v) { put_bytes(&v, 2); }
static void put32(uint32_t v) { put_bytes(&v, 4); }
static void put64(uint64_t v) { put_bytes(&v, 8); }
static void begin_frame(uint8_t type) {
  frame_at = olen;
  put32(0);
  put8(type);
}
static void end_frame(void) {
  uint32_t len = (uint32_t)(olen - frame_at - 4);
  memcpy(obuf + frame_at, &len, 4);
}

static void kill_target(void) {
  if (tgid > 0) kill(tgid, SIGKILL);
}

static void write_all(const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(ctl_fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK) w = write(ctl_fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      kill_target();
      _exit(3);
    }
    p += w;
    n -= (size_t)w;
  }
}
static void flush_out(void) {
  write_all(obuf, olen);
  olen = 0;
}

/* Reports an error to the CLI, kills the target and exits. */
static void die(uint32_t code, uint64_t addr, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  begin_frame(H_ERROR);
  put32(code);
  put64(addr);
  put_bytes(msg, strlen(msg));
  end_frame();
  flush_out();
  kill_target();
  _exit(2);
}

/* ------------------------------------------------------------------------------------------ */
/* Input frames                                                                               */

static uint8_t *ibuf;
static size_t ilen, icap, ipos;

static void read_all(void *p, size_t n) {
  uint8_t *q = p;
  while (n > 0) {
    ssize_t r = read(ctl_fd, q, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) { /* the CLI went away: nobody will read what the target does */
      kill_target();
      _exit(3);
    }
    q += r;
    n -= (size_t)r;
  }
}
static uint8_t read_frame(void) {
  uint32_t len;
  read_all(&len, 4);
  if (len == 0 || len > (1u << 30)) die(ERR_INTERNAL, 0, "bad frame length %u", len);
  if (len > icap) {
    uint8_t *p = realloc(ibuf, len);
    if (!p) die(ERR_INTERNAL, 0, "out of memory");
    ibuf = p;
    icap = len;
  }
  read_all(ibuf, len);
  ilen = len;
  ipos = 1;
  return ibuf[0];
}
static void get_bytes(void *p, size_t n) {
  if (ipos + n > ilen) die(ERR_INTERNAL, 0, "short command frame (type %u)", ibuf[0]);
  memcpy(p, ibuf + ipos, n);
  ipos += n;
}
static uint32_t get32(void) { uint32_t v; get_bytes(&v, 4); return v; }
static uint64_t get64(void) { uint64_t v; get_bytes(&v, 8); return v; }

/* ------------------------------------------------------------------------------------------ */
/* Target memory and registers                                                                */

static int mem_read(uint64_t addr, void *p, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(mem_fd, (uint8_t *)p + done, n - done, (off_t)(addr + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    done += (size_t)r;
  }
  return 0;
}
static int mem_read_fd(int fd, uint64_t addr, void *p, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, (uint8_t *)p + done, n - done, (off_t)(addr + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    done += (size_t)r;
  }
  return 0;
}
static int mem_write(uint64_t addr, const void *p, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pwrite(mem_fd, (const uint8_t *)p + done, n - done, (off_t)(addr + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    done += (size_t)r;
  }
  return 0;
}
static void get_regs(void) {
  if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0) die(ERR_PTRACE, 0, "PTRACE_GETREGS: %s", strerror(errno));
}
static void set_regs(const struct user_regs_struct *r) {
  if (ptrace(PTRACE_SETREGS, pid, 0, r) < 0) die(ERR_PTRACE, 0, "PTRACE_SETREGS: %s", strerror(errno));
}

static void open_mem(void) {
  char path[64];
  if (mem_fd >= 0) close(mem_fd);
  snprintf(path, sizeof path, "/proc/%d/mem", tgid);
  mem_fd = open(path, O_RDWR | O_CLOEXEC);
  if (mem_fd < 0) die(ERR_PTRACE, 0, "cannot open %s: %s", path, strerror(errno));
}

/* ------------------------------------------------------------------------------------------ */
/* Process state                                                                              */

/* Per signal number: whether its last delivery was sent by another process (kill, sigqueue,
 * tgkill from outside), as the siginfo at its signal-delivery stop said. SIGKILL never stops. */
static uint8_t sent_from_outside[65];

static void report_exit(int status) {
  begin_frame(H_EXIT);
  if (WIFEXITED(status)) {
    put8(0);
    put32((uint32_t)WEXITSTATUS(status));
  } else {
    int sig = WTERMSIG(status);
    put8(sig == SIGKILL || (sig < 65 && sent_from_outside[sig]) ? 2 : 1);
    put32((uint32_t)sig);
  }
  put64(stub_calls);
  end_frame();
  flush_out();
  _exit(0);
}

static void release_child(void);
static void rearm_after_vfork(void);

/* Waits for the target; reports and exits when it is gone. Returns the wait status of a stop.
 * A fork or vfork stop has already been dealt with (the child released) when it comes back;
 * callers resume after any ptrace event stop as they would after their own stop. */
static int wait_stop(void) {
  int st;
  for (;;) {
    pid_t r = waitpid(pid, &st, __WALL);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die(ERR_INTERNAL, 0, "waitpid: %s", strerror(errno));
    if (WIFEXITED(st) || WIFSIGNALED(st)) report_exit(st);
    int event = st >> 16;
    if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) release_child();
    if (event == PTRACE_EVENT_VFORK_DONE) rearm_after_vfork();
    if (event == PTRACE_EVENT_EXIT && stub_counter) mem_read(stub_counter, &stub_calls, 8);
    return st;
  }
}

/* A stop that is a real signal to deliver later, not one of ours; 0 when it is not. */
static int signal_of_stop(int st) {
  int sig = WSTOPSIG(st);
  if ((st >> 16) != 0) return 0;            /* ptrace event stop */
  if (sig == (SIGTRAP | 0x80)) return 0;    /* syscall stop */
  siginfo_t si;
  if (ptrace(PTRACE_GETSIGINFO, pid, 0, &si) < 0) return 0; /* group-stop */
  if (sig == SIGTRAP && (si.si_code == TRAP_TRACE || si.si_code == TRAP_BRKPT || si.si_code == SI_KERNEL))
    return 0;
  if (sig > 0 && sig < 65) sent_from_outside[sig] = si.si_code <= 0 && si.si_pid != tgid;
  return sig;
}

/* ------------------------------------------------------------------------------------------ */
/* Threads                                                                                    */
/*
 * Every thread of the target is traced (TRACECLONE). Outside F they run freely; the helper
 * handles their stops one at a time (run_loop). While one thread runs F's extent (an analyzed
 * invocation, a replayed one, a baseline one) the others are held: stopped with a SIGSTOP the
 * helper sends and swallows, so no other thread's write lands in F's epochs and no other call
 * of F slips past the lifted breakpoint. A thread that had another stop to report when it was
 * held keeps it ("deferred") and run_loop handles it after F.
 */

struct thread {
  pid_t tid;
  uint32_t ordinal;  /* 0 the leader, then in the order the helper first saw them */
  int held;          /* stopped by hold_others */
  int stop_pending;  /* a SIGSTOP of ours (or the new thread's first) is still to arrive */
  int deferred;      /* stopped with `status` not yet handled */
  int status;
};
static struct thread *threads;
static size_t nthreads, cthreads;
static uint32_t next_ordinal;

static struct thread *thread_find(pid_t tid) {
  for (size_t i = 0; i < nthreads; i++)
    if (threads[i].tid == tid) return &threads[i];
  return NULL;
}

static struct thread *thread_add(pid_t tid, int stop_pending) {
  struct thread *t = thread_find(tid);
  if (t) return t;
  if (nthreads == cthreads) {
    cthreads = cthreads ? 2 * cthreads : 16;
    threads = realloc(threads, cthreads * sizeof *threads);
    if (!threads) die(ERR_INTERNAL, 0, "out of memory");
  }
  t = &threads[nthreads++];
  *t = (struct thread){.tid = tid, .ordinal = next_ordinal++, .stop_pending = stop_pending};
  return t;
}

static void thread_remove(pid_t tid) {
  struct thread *t = thread_find(tid);
  if (t) *t = threads[--nthreads];
}

/* The ordinal of the current thread (H_ENTRY). */
static uint32_t current_ordinal(void) {
  struct thread *t = thread_find(pid);
  return t ? t->ordinal : 0;
}

/* Stops every thread but the current one (F's). */
static void hold_others(void) {
  for (size_t i = 0; i < nthreads; i++) {
    struct thread *t = &threads[i];
    if (t->tid == pid || t->held) continue;
    t->held = 1;
    if (t->deferred) continue; /* already stopped, its stop not handled yet */
    if (!t->stop_pending) {
      if (syscall(SYS_tgkill, tgid, t->tid, SIGSTOP) < 0) { /* gone meanwhile */
        t->held = 0;
        continue;
      }
      t->stop_pending = 1;
    }
    for (;;) {
      int st;
      pid_t r = waitpid(t->tid, &st, __WALL);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 || WIFEXITED(st) || WIFSIGNALED(st)) { /* it ended: forget it */
        thread_remove(t->tid);
        i--;
        break;
      }
      if (WSTOPSIG(st) == SIGSTOP && (st >> 16) == 0) {
        t->stop_pending = 0;
      } else {
        t->deferred = 1;
        t->status = st;
      }
      break;
    }
  }
}

/* At a syscall entry inside F (regs current): a futex wait while other threads are held would
 * never end, since the thread that would wake F is one of them. */
static void refuse_wait_on_held(void) {
  if (nthreads <= 1) return;
  int waits = 0;
  if (regs.orig_rax == SYS_futex) {
    int cmd = (int)regs.rsi & ~(128 | 256); /* FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME */
    waits = cmd == 0 || cmd == 6 || cmd == 9 || cmd == 11 || cmd == 13; /* WAIT, LOCK_PI, WAIT_BITSET, WAIT_REQUEUE_PI, LOCK_PI2 */
  }
  if (regs.orig_rax == 449 /* futex_waitv */) waits = 1;
  if (waits)
    die(ERR_THREADS, regs.rip, "the function waits for another thread (a futex wait) while Alpaca holds the program's other "
        "threads, so it would wait forever: a function that synchronizes with other threads cannot be analyzed");
}

/* Lets the held threads go; one with a deferred stop stays stopped for run_loop. */
static void release_others(void) {
  for (size_t i = 0; i < nthreads; i++) {
    struct thread *t = &threads[i];
    if (!t->held) continue;
    t->held = 0;
    if (!t->deferred) ptrace(PTRACE_CONT, t->tid, 0, 0);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Breakpoints                                                                                */

static uint64_t bp_addr;
static uint8_t bp_orig;
static int bp_on;
static uint64_t ret_bp_addr;
static uint8_t ret_bp_orig;
static int ret_bp_on;


static void poke_byte(uint64_t addr, uint8_t b) {
  if (mem_write(addr, &b, 1) < 0) die(ERR_MEMORY, addr, "cannot write code at 0x%llx", (unsigned long long)addr);
}
static uint8_t peek_byte(uint64_t addr) {
  uint8_t b;
  if (mem_read(addr, &b, 1) < 0) die(ERR_MEMORY, addr, "cannot read code at 0x%llx", (unsigned long long)addr);
  return b;
}
static void bp_insert(void) {
  if (bp_on || !bp_addr) return;
  bp_orig = peek_byte(bp_addr);
  poke_byte(bp_addr, 0xcc);
  bp_on = 1;
}
static void bp_remove(void) {
  if (!bp_on) return;
  poke_byte(bp_addr, bp_orig);
  bp_on = 0;
}

/* A child the target forked: it gets the original bytes under our breakpoints and is let go,
 * so it runs the program as it would outside Alpaca (its calls of F are not analyzed). A vfork
 * child shares the target's memory: the breakpoints come back at VFORK_DONE. */
static void release_child(void) {
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

static void rearm_after_vfork(void) {
  if (bp_on) poke_byte(bp_addr, 0xcc);
  if (ret_bp_on) poke_byte(ret_bp_addr, 0xcc);
  if (patch_len && mem_write(patch_addr, patch_bytes, patch_len) < 0) die(ERR_MEMORY, patch_addr, "cannot patch F again");
}

/* ------------------------------------------------------------------------------------------ */
/* Decode cache: instruction address -> what it writes (filled by the CLI from capstone)      */

struct rec {
  uint64_t addr;
  int64_t disp;
  uint32_t size;
  uint8_t len, kind, seg, base, index, scale, flags, bitreg;
};
static struct rec *table;
static size_t table_cap, table_used;
static uint64_t decode_misses;

static size_t hash_addr(uint64_t a) { return (size_t)((a * 0x9E3779B97F4A7C15ull) >> 20); }

static void table_put(const struct rec *r);
static void table_grow(void) {
  struct rec *old = table;
  size_t old_cap = table_cap;
  table_cap = table_cap ? table_cap * 2 : 4096;
  table = calloc(table_cap, sizeof *table);
  if (!table) die(ERR_INTERNAL, 0, "out of memory");
  table_used = 0;
  for (size_t i = 0; i < old_cap; i++)
    if (old[i].len) table_put(&old[i]);
  free(old);
}
static void table_put(const struct rec *r) {
  if ((table_used + 1) * 2 > table_cap) table_grow();
  size_t m = table_cap - 1, i = hash_addr(r->addr) & m;
  while (table[i].len && table[i].addr != r->addr) i = (i + 1) & m;
  if (!table[i].len) table_used++;
  table[i] = *r;
}
static const struct rec *table_get(uint64_t addr) {
  if (!table_cap) return NULL;
  size_t m = table_cap - 1, i = hash_addr(addr) & m;
  while (table[i].len) {
    if (table[i].addr == addr) return &table[i];
    i = (i + 1) & m;
  }
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Written intervals of the current epoch, sorted and merged                                  */

struct iv { uint64_t a, b; };
static struct iv *ivs;
static size_t niv, civ;
static uint64_t entry_rsp, ret_addr, min_rsp, stack_low;

static void dirty_add(uint64_t a, uint64_t b) {
  if (a >= b) return;
  if (niv && ivs[niv - 1].a <= a && a <= ivs[niv - 1].b) { /* the common case: append or extend */
    if (b > ivs[niv - 1].b) ivs[niv - 1].b = b;
    return;
  }
  size_t lo = 0, hi = niv;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (ivs[mid].b < a) lo = mid + 1; else hi = mid;
  }
  size_t j = lo;
  uint64_t na = a, nb = b;
  while (j < niv && ivs[j].a <= b) {
    if (ivs[j].a < na) na = ivs[j].a;
    if (ivs[j].b > nb) nb = ivs[j].b;
    j++;
  }
  if (j == lo) {
    if (niv == civ) {
      civ = civ ? civ * 2 : 256;
      ivs = realloc(ivs, civ * sizeof *ivs);
      if (!ivs) die(ERR_INTERNAL, 0, "out of memory");
    }
    memmove(ivs + lo + 1, ivs + lo, (niv - lo) * sizeof *ivs);
    niv++;
  } else {
    memmove(ivs + lo + 1, ivs + j, (niv - j) * sizeof *ivs);
    niv -= j - lo - 1;
  }
  ivs[lo].a = na;
  ivs[lo].b = nb;
}

/* Records a store of [a, a+n) unless it falls in F's own frame: from the lowest rsp seen on this
 * stack (red zone included) up to rsp at entry. */
static void add_write(uint64_t a, uint64_t n) {
  uint64_t b = a + n, lo = min_rsp - RED_ZONE;
  if (b < a) b = UINT64_MAX;
  if (b <= lo || a >= entry_rsp) {
    dirty_add(a, b);
    return;
  }
  if (a < lo) dirty_add(a, lo);
  if (b > entry_rsp) dirty_add(entry_rsp, b);
}

/* H_WRITES frames of at most about 1 MiB: writes_add opens and closes them as needed. */
static size_t writes_count_at;
static uint32_t writes_count;
static size_t writes_payload;
static int writes_open;

static void writes_close(void) {
  if (!writes_open) return;
  memcpy(obuf + writes_count_at, &writes_count, 4);
  end_frame();
  writes_open = 0;
}
static void writes_add(uint64_t addr, const uint8_t *p, size_t n) {
  if (writes_open && writes_payload >= (1u << 20)) writes_close();
  if (!writes_open) {
    begin_frame(H_WRITES);
    writes_count_at = olen;
    put32(0);
    writes_count = 0;
    writes_payload = 0;
    writes_open = 1;
  }
  put64(addr);
  put32((uint32_t)n);
  put_bytes(p, n);
  writes_count++;
  writes_payload += n + 12;
}

/* Sends the current bytes of every written interval and starts a new epoch. */
static void flush_writes(void) {
  static uint8_t page[4096];
  for (size_t i = 0; i < niv; i++) {
    uint64_t a = ivs[i].a, b = ivs[i].b;
    /* Read page by page so an unmapped page (a faulting store) only drops itself. */
    while (a < b) {
      uint64_t end = (a | 4095) + 1;
      if (end > b) end = b;
      size_t n = (size_t)(end - a);
      if (mem_read(a, page, n) == 0) writes_add(a, page, n);
      a = end;
    }
  }
  writes_close();
  niv = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Commands                                                                                   */

static void send_ok(void) {
  begin_frame(H_OK);
  end_frame();
  flush_out();
}

/* A signal that arrived while the helper held the target (an injected syscall): delivered with
 * the next resume. */
static int deferred_sig;

/* N_TRACE_ALL: how every call of F is analyzed (N_TRACE or N_TRACE_PAGES), decided once, so
 * ENTRY and RETURN need no answer; 0 until then. */
static uint8_t standing;

/* Input syscalls (clocks, random bytes; --inputs) the CLI records or answers wherever the
 * analysis engines are not running F. A seccomp filter installed before the exec stops the
 * target at them (SECCOMP_RET_TRACE), so no other syscall costs a stop. */
#define MAX_INPUTS 16
static uint32_t input_nrs[MAX_INPUTS];
static unsigned n_inputs;

/* Executes syscall nr in the stopped target with the 2 bytes at F's address borrowed for the
 * `syscall` instruction, registers saved and restored. Ptrace event stops on the way (clone)
 * leave PTRACE_GETEVENTMSG in *event_msg. Returns rax. The target may end here (exit_group). */
static uint64_t inject_at(uint64_t at, uint64_t nr, const uint64_t a[6], unsigned long *event_msg);

static uint64_t inject_raw(uint64_t nr, const uint64_t a[6], unsigned long *event_msg) {
  if (!bp_addr) die(ERR_INTERNAL, 0, "inject without a breakpoint address");
  return inject_at(bp_addr, nr, a, event_msg);
}

/* inject_raw with the 2 bytes borrowed at `at` (the program's entry point at the exec stop). */
static uint64_t inject_at(uint64_t at, uint64_t nr, const uint64_t a[6], unsigned long *event_msg) {
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
static void inject_syscall(void) {
  uint64_t nr = get64(), a[6];
  for (int i = 0; i < 6; i++) a[i] = get64();
  uint64_t result = inject_raw(nr, a, NULL);
  begin_frame(H_RESULT);
  put64(result);
  end_frame();
  flush_out();
}

/* Serves commands that do not resume the target; returns the first one that does. */
static uint8_t serve(void) {
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

/* ------------------------------------------------------------------------------------------ */
/* Analysis: single-step one invocation of F                                                  */

static void request_decode(uint64_t rip) {
  uint8_t code[64];
  size_t n = 0;
  /* Read up to 64 bytes, stopping at the first unreadable page. */
  while (n < sizeof code) {
    uint64_t a = rip + n, end = (a | 4095) + 1;
    size_t k = (size_t)(end - a);
    if (k > sizeof code - n) k = sizeof code - n;
    if (mem_read(a, code + n, k) < 0) break;
    n += k;
  }
  if (n == 0) die(ERR_MEMORY, rip, "cannot read code at 0x%llx", (unsigned long long)rip);
  if (bp_on && bp_addr >= rip && bp_addr < rip + n) code[bp_addr - rip] = bp_orig;
  if (ret_bp_on && ret_bp_addr >= rip && ret_bp_addr < rip + n) code[ret_bp_addr - rip] = ret_bp_orig;
  begin_frame(H_DECODE);
  put64(rip);
  put16((uint16_t)n);
  put_bytes(code, n);
  end_frame();
  decode_misses++;
  uint8_t t = serve();
  if (t != N_DECODED) die(ERR_INTERNAL, rip, "expected DECODED, got command %u", t);
  uint32_t count = get32();
  for (uint32_t i = 0; i < count; i++) {
    uint8_t raw[DECODE_RECORD_BYTES];
    get_bytes(raw, sizeof raw);
    struct rec r;
    memcpy(&r.addr, raw, 8);
    memcpy(&r.disp, raw + 8, 8);
    memcpy(&r.size, raw + 16, 4);
    r.len = raw[20]; r.kind = raw[21]; r.seg = raw[22]; r.base = raw[23];
    r.index = raw[24]; r.scale = raw[25]; r.flags = raw[26]; r.bitreg = raw[27];
    if (r.len == 0) r.len = 1;
    table_put(&r);
  }
}

static uint64_t reg_value(uint8_t id, const struct rec *d) {
  if (id == RID_NONE) return 0;
  if (id == RID_RIP) return regs.rip + d->len;
  if (id >= NREGS) die(ERR_INTERNAL, d->addr, "bad register id %u", id);
  uint64_t v = REGS[id];
  if ((d->flags & F_POP) && id == REG_RSP_IDX) v += d->size;
  return v;
}

static uint64_t effective_address(const struct rec *d) {
  uint64_t ea = reg_value(d->base, d) + reg_value(d->index, d) * d->scale + (uint64_t)d->disp;
  if (d->flags & F_ADDR32) ea &= 0xffffffffu;
  if (d->seg == SEG_FS) ea += regs.fs_base;
  else if (d->seg == SEG_GS) ea += regs.gs_base;
  return ea;
}

/* Bytes an XSAVE-family store writes from its address, for the requested-feature bitmap in
 * EDX:EAX: standard format up to the end of the last requested component, compacted format the
 * legacy area and header plus each requested component in order (64-byte aligned if flagged). */
static uint64_t xsave_extent(int compacted) {
  uint64_t rfbm = ((regs.rdx << 32) | (regs.rax & 0xffffffffu)) & xcr0;
  uint64_t end = 576;
  for (int i = 2; i < 64; i++) {
    if (!(rfbm >> i & 1) || !xs_size[i]) continue;
    if (compacted) {
      if (xs_align[i]) end = (end + 63) & ~63ull;
      end += xs_size[i];
    } else if (xs_offset[i] + xs_size[i] > end) {
      end = xs_offset[i] + xs_size[i];
    }
  }
  return end;
}

/* Adds what the instruction at rip is about to write. */
static void note_writes(const struct rec *d) {
  switch (d->kind) {
    case K_NONE:
    case K_SYSCALL:
      return;
    case K_PUSH:
      add_write(regs.rsp - d->size, d->size);
      return;
    case K_MEM: {
      uint64_t size = (d->flags & F_XSAVE) ? xsave_extent(0) : (d->flags & F_XSAVEC) ? xsave_extent(1) : d->size;
      uint64_t ea = effective_address(d);
      if (d->flags & F_REP) {
        uint64_t count = regs.rcx;
        if (d->flags & F_ADDR32) count &= 0xffffffffu;
        if (count == 0) return;
        if (regs.eflags & 0x400) /* DF: descending */
          add_write(ea - (count - 1) * size, count * size);
        else
          add_write(ea, count * size);
        return;
      }
      add_write(ea, size);
      return;
    }
    case K_BTMEM: {
      int64_t off = (int64_t)reg_value(d->bitreg, d);
      if (d->size == 2) off = (int16_t)off;
      else if (d->size == 4) off = (int32_t)off;
      int64_t bits = (int64_t)d->size * 8;
      int64_t q = off >= 0 ? off / bits : -((-off + bits - 1) / bits);
      add_write(effective_address(d) + (uint64_t)(q * (int64_t)d->size), d->size);
      return;
    }
    case K_UNSUPPORTED:
    default:
      die(ERR_UNSUPPORTED_INSN, d->addr, "unsupported instruction at 0x%llx", (unsigned long long)d->addr);
  }
}

static uint64_t steps;

/* Resumes to the next syscall stop (entry or exit), holding back a signal that arrives meanwhile
 * in *pending (the first one only). */
static void next_syscall_stop(int *pending) {
  for (;;) {
    if (ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0) die(ERR_PTRACE, 0, "PTRACE_SYSCALL: %s", strerror(errno));
    int st = wait_stop();
    if (WSTOPSIG(st) == (SIGTRAP | 0x80)) return;
    int sig = signal_of_stop(st);
    if (sig && !*pending) *pending = sig;
  }
}

/* Runs the syscall at rip with syscall stops, reporting entry and exit. A signal that shows up
 * meanwhile is held back (resumed with 0) and left in *pending, to be delivered by a single step
 * afterwards so its handler is traced too. */
static void trace_syscall(int *pending) {
  flush_writes();
  next_syscall_stop(pending);
  get_regs();
  refuse_wait_on_held();
  begin_frame(H_SYSCALL_ENTER);
  put64(regs.orig_rax);
  put64(regs.rdi); put64(regs.rsi); put64(regs.rdx); put64(regs.r10); put64(regs.r8); put64(regs.r9);
  end_frame();
  uint8_t t = serve();
  if (t != N_CONT) die(ERR_INTERNAL, 0, "expected CONT at syscall entry, got %u", t);
  next_syscall_stop(pending);
  get_regs();
  begin_frame(H_SYSCALL_EXIT);
  put64(regs.rax);
  end_frame();
  t = serve();
  if (t != N_CONT) die(ERR_INTERNAL, 0, "expected CONT at syscall exit, got %u", t);
}

/* Precondition: stopped at F's first instruction, breakpoint removed. Returns after F returned
 * to its caller and the CLI said CONT, with a signal still to deliver or 0; exits (via
 * wait_stop) when the target ends inside F. */
/* Reports F's return registers (RAX, RDX, XMM0, XMM1) and waits for the CLI to continue. */
static void send_return(uint64_t steps_done);

static int trace_invocation(void) {
  get_regs();
  entry_rsp = regs.rsp;
  min_rsp = regs.rsp;
  stack_low = entry_rsp > stack_limit ? entry_rsp - stack_limit : 0;
  if (mem_read(entry_rsp, &ret_addr, 8) < 0) die(ERR_MEMORY, entry_rsp, "cannot read F's return address");
  niv = 0;
  steps = 0;
  int pending = 0;
  for (;;) {
    if (regs.rip == ret_addr && regs.rsp >= entry_rsp + 8 && regs.rsp - entry_rsp < 8 + 65536) break;
    if (regs.rsp > entry_rsp + 8 && regs.rsp - entry_rsp < stack_limit) {
      /* Unwound past F's frame without returning: longjmp or an exception. */
      flush_writes();
      begin_frame(H_ESCAPED);
      put64(regs.rip);
      put64(regs.rsp);
      end_frame();
      flush_out();
      kill_target();
      _exit(2);
    }
    const struct rec *d = table_get(regs.rip);
    if (!d) {
      request_decode(regs.rip);
      d = table_get(regs.rip);
      if (!d) die(ERR_INTERNAL, regs.rip, "no decode record for 0x%llx", (unsigned long long)regs.rip);
    }
    if (d->kind == K_SYSCALL && !pending) {
      trace_syscall(&pending);
      steps++;
      if (pending) flush_writes();
      continue; /* regs are current: trace_syscall read them at the exit stop */
    }
    note_writes(d);
    if (ptrace(PTRACE_SINGLESTEP, pid, 0, pending) < 0) die(ERR_PTRACE, 0, "PTRACE_SINGLESTEP: %s", strerror(errno));
    pending = 0;
    int st = wait_stop();
    /* A plain SIGTRAP stop is the step's own trap (one syscall saved per instruction). */
    int sig = (WSTOPSIG(st) == SIGTRAP && (st >> 16) == 0) ? 0 : signal_of_stop(st);
    if (sig) {
      /* A signal for the target: an epoch ends (the handler or the default action follows). */
      flush_writes();
      pending = sig;
    } else {
      steps++;
    }
    get_regs();
    if (regs.rsp < min_rsp && regs.rsp >= stack_low && regs.rsp <= entry_rsp) min_rsp = regs.rsp;
  }
  flush_writes();
  send_return(steps);
  return pending;
}


/* ------------------------------------------------------------------------------------------ */
/* Analysis: the page-tracking engine (F runs natively between syscalls)                      */
/*
 * Every writable mapping of the target is registered with a userfaultfd in asynchronous
 * write-protect mode (Linux 6.7+): the kernel resolves write faults itself and only clears the
 * page's write-protect bit. PAGEMAP_SCAN on /proc/PID/pagemap then lists the pages written since
 * the last scan and protects them again, atomically. Pre-images come from a copy-on-write
 * snapshot: an injected clone(CLONE_PARENT) of the target, stopped before it runs a single
 * instruction and killed at the end of the epoch; the helper is its parent, so the target never
 * sees it. Written pages are compared byte by byte with the snapshot: the log gets exactly the
 * bytes that changed, as the single-step engine's, minus F's own frame (the stack below rsp at
 * entry). Epochs end at each syscall inside F, at a signal and at F's return, as there.
 */

#define PAGEMAP_SCAN_IOCTL _IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_WPALLOWED (1 << 0)
#define PAGE_IS_WRITTEN (1 << 1)
#define PM_SCAN_WP_MATCHING (1 << 0)
#define FEATURE_WP_UNPOPULATED (1 << 13)
#define FEATURE_WP_ASYNC (1 << 15)
#define USER_MODE_ONLY 1
#define TASK_TOP 0x7ffffffff000ull /* TASK_SIZE_MAX: PAGEMAP_SCAN checks access_ok */

struct page_region { uint64_t start, end, categories; };
struct pm_scan_arg {
  uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
  uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};

static int uffd = -1, pagemap_fd = -1, snap_mem = -1;
static pid_t snap_pid = -1;

static void pages_setup(void) {
  if (uffd >= 0) return;
  uint64_t a[6] = {O_CLOEXEC | O_NONBLOCK | USER_MODE_ONLY, 0, 0, 0, 0, 0};
  int64_t fd = (int64_t)inject_raw(SYS_userfaultfd, a, NULL);
  if (fd == -EINVAL) { /* before Linux 5.11: no UFFD_USER_MODE_ONLY */
    a[0] = O_CLOEXEC | O_NONBLOCK;
    fd = (int64_t)inject_raw(SYS_userfaultfd, a, NULL);
  }
  if (fd < 0) die(ERR_ENGINE, 0, "userfaultfd() in the target failed: %s", strerror((int)-fd));
  int pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
  uffd = pidfd < 0 ? -1 : (int)syscall(438 /* pidfd_getfd */, pidfd, (int)fd, 0);
  int saved_errno = errno;
  if (pidfd >= 0) close(pidfd);
  uint64_t c[6] = {(uint64_t)fd, 0, 0, 0, 0, 0};
  inject_raw(SYS_close, c, NULL); /* the target's fd table is as it was */
  if (uffd < 0) die(ERR_ENGINE, 0, "cannot take the target's userfaultfd (pidfd_getfd): %s", strerror(saved_errno));
  struct uffdio_api api = {.api = UFFD_API, .features = FEATURE_WP_ASYNC | FEATURE_WP_UNPOPULATED};
  if (ioctl(uffd, UFFDIO_API, &api) < 0)
    die(ERR_ENGINE, 0, "this kernel has no asynchronous userfaultfd write-protect (Linux 6.7+): %s", strerror(errno));
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/pagemap", tgid);
  pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
  if (pagemap_fd < 0) die(ERR_ENGINE, 0, "cannot open %s: %s", path, strerror(errno));
}

/* --probe-pages: whether this kernel and its settings give the page engine what it needs, tried
 * on the helper itself: a userfaultfd (user-mode faults only where the kernel knows the flag)
 * with asynchronous write-protect, a registered page, PAGEMAP_SCAN over it, pidfd_getfd. Prints
 * "ok" or the reason on stdout. */
static int probe_pages(void) {
  const char *why = NULL;
  char buf[160];
  int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | USER_MODE_ONLY);
  if (fd < 0 && errno == EINVAL) fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
  struct uffdio_api api = {.api = UFFD_API, .features = FEATURE_WP_ASYNC | FEATURE_WP_UNPOPULATED};
  void *page = MAP_FAILED;
  int pm = -1;
  if (fd < 0) {
    snprintf(buf, sizeof buf, "userfaultfd: %s%s", strerror(errno), errno == EPERM ? " (vm.unprivileged_userfaultfd is 0)" : "");
    why = buf;
  } else if (ioctl(fd, UFFDIO_API, &api) < 0) {
    why = "no asynchronous userfaultfd write-protect (Linux 6.7+)";
  } else if ((page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED) {
    why = "mmap failed";
  } else {
    struct uffdio_register reg = {.range = {.start = (uint64_t)(uintptr_t)page, .len = 4096}, .mode = UFFDIO_REGISTER_MODE_WP};
    struct page_region vec[1];
    struct pm_scan_arg arg = {
      .size = sizeof arg, .flags = PM_SCAN_WP_MATCHING, .start = (uint64_t)(uintptr_t)page, .end = (uint64_t)(uintptr_t)page + 4096,
      .vec = (uint64_t)(uintptr_t)vec, .vec_len = 1, .category_mask = PAGE_IS_WRITTEN | PAGE_IS_WPALLOWED, .return_mask = PAGE_IS_WRITTEN,
    };
    int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    int dup = pidfd < 0 ? -1 : (int)syscall(438 /* pidfd_getfd */, pidfd, fd, 0);
    if (ioctl(fd, UFFDIO_REGISTER, &reg) < 0) why = "cannot register memory for write-protect";
    else if ((pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)) < 0) why = "cannot open /proc/self/pagemap";
    else if (ioctl(pm, PAGEMAP_SCAN_IOCTL, &arg) < 0) why = "no PAGEMAP_SCAN (Linux 6.7+)";
    else if (dup < 0) why = "no pidfd_getfd (Linux 5.6+)";
    if (dup >= 0) close(dup);
    if (pidfd >= 0) close(pidfd);
  }
  printf("%s\n", why ? why : "ok");
  return 0;
}

/* The target's /proc/PID/maps as last seen: a change means new mappings to register and a new
 * snapshot (the old one lacks them). */
static char *maps_now, *maps_seen;
static size_t maps_cap;

static void read_maps(void) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/maps", tgid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(ERR_ENGINE, 0, "cannot read %s: %s", path, strerror(errno));
  size_t n = 0;
  for (;;) {
    if (n + 4096 + 1 > maps_cap) {
      maps_cap = maps_cap ? maps_cap * 2 : 1 << 16;
      maps_now = realloc(maps_now, maps_cap);
      if (!maps_now) die(ERR_INTERNAL, 0, "out of memory");
    }
    ssize_t r = read(fd, maps_now + n, maps_cap - n - 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
  }
  close(fd);
  maps_now[n] = 0;
}

/* Registers every writable mapping of maps_now (registered ones are left as they are). */
static void pages_register(void) {
  for (char *line = maps_now; *line;) {
    char *nl = strchr(line, '\n');
    unsigned long a, b;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) == 3 && perms[1] == 'w') {
      struct uffdio_register reg = {.range = {.start = a, .len = b - a}, .mode = UFFDIO_REGISTER_MODE_WP};
      if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0) {
        if (nl) *nl = 0;
        die(ERR_ENGINE, a, "cannot track writes to %s: %s", line, strerror(errno));
      }
    }
    if (!nl) break;
    line = nl + 1;
  }
}

static struct page_region *written;
static size_t nwritten, cwritten;

/* Lists (collect) or forgets the pages written since the last scan, and protects them again. */
static void pages_scan(int collect) {
  static struct page_region vec[1024];
  uint64_t start = 0;
  nwritten = 0;
  while (start < TASK_TOP) {
    struct pm_scan_arg arg = {
      .size = sizeof arg, .flags = PM_SCAN_WP_MATCHING, .start = start, .end = TASK_TOP,
      .vec = (uint64_t)(uintptr_t)vec, .vec_len = 1024,
      .category_mask = PAGE_IS_WRITTEN | PAGE_IS_WPALLOWED, .return_mask = PAGE_IS_WRITTEN,
    };
    long n = ioctl(pagemap_fd, PAGEMAP_SCAN_IOCTL, &arg);
    if (n < 0) die(ERR_ENGINE, 0, "PAGEMAP_SCAN: %s", strerror(errno));
    if (collect) {
      if (nwritten + (size_t)n > cwritten) {
        cwritten = (nwritten + (size_t)n) * 2;
        written = realloc(written, cwritten * sizeof *written);
        if (!written) die(ERR_INTERNAL, 0, "out of memory");
      }
      memcpy(written + nwritten, vec, (size_t)n * sizeof *vec);
      nwritten += (size_t)n;
    }
    if (arg.walk_end <= start) break;
    start = arg.walk_end;
  }
}

static void snapshot_take(void) {
  unsigned long child = 0;
  uint64_t a[6] = {CLONE_PARENT, 0, 0, 0, 0, 0};
  int64_t r = (int64_t)inject_raw(SYS_clone, a, &child); /* reported as a clone event (TRACECLONE) */
  if (r <= 0) die(ERR_ENGINE, 0, "cannot snapshot the target (clone: %s)", strerror((int)-r));
  snap_pid = (pid_t)r;
  int st;
  while (waitpid(snap_pid, &st, __WALL) < 0 && errno == EINTR) {}
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", snap_pid);
  snap_mem = open(path, O_RDWR | O_CLOEXEC);
  if (snap_mem < 0) die(ERR_ENGINE, 0, "cannot open %s: %s", path, strerror(errno));
}

static void snapshot_drop(void) {
  if (snap_pid <= 0) return;
  close(snap_mem);
  snap_mem = -1;
  kill(snap_pid, SIGKILL);
  int st;
  while (waitpid(snap_pid, &st, __WALL) < 0 && errno == EINTR) {}
  snap_pid = -1;
}

/* The thread's rseq area: the kernel rewrites its cpu fields whenever the thread migrates, so
 * they change under F without F writing them. */
static uint64_t rseq_lo, rseq_hi;

static void find_rseq(void) {
  struct { uint64_t abi; uint32_t size, sig, flags, pad; } conf = {0, 0, 0, 0, 0};
  rseq_lo = rseq_hi = 0;
  if (ptrace(0x420f /* PTRACE_GET_RSEQ_CONFIGURATION */, pid, sizeof conf, &conf) > 0 && conf.abi) {
    rseq_lo = conf.abi;
    rseq_hi = conf.abi + (conf.size ? conf.size : 32);
  }
}

static void pages_emit_clipped(uint64_t a, const uint8_t *p, size_t n);

/* Sends the bytes of [a, a+n) that lie outside F's frame (the stack below rsp at entry) and
 * outside the rseq area. */
static void pages_emit(uint64_t a, const uint8_t *p, size_t n) {
  uint64_t b = a + n;
  if (rseq_hi > rseq_lo && a < rseq_hi && b > rseq_lo) {
    if (a < rseq_lo) pages_emit_clipped(a, p, (size_t)(rseq_lo - a));
    if (b > rseq_hi) pages_emit_clipped(rseq_hi, p + (rseq_hi - a), (size_t)(b - rseq_hi));
    return;
  }
  pages_emit_clipped(a, p, n);
}

static void pages_emit_clipped(uint64_t a, const uint8_t *p, size_t n) {
  uint64_t b = a + n;
  if (b <= stack_low || a >= entry_rsp) {
    writes_add(a, p, n);
    return;
  }
  if (a < stack_low) writes_add(a, p, (size_t)(stack_low - a));
  if (b > entry_rsp) writes_add(entry_rsp, p + (entry_rsp - a), (size_t)(b - entry_rsp));
}

/* Ends an epoch: the bytes that differ from the snapshot in every written page. The snapshot
 * then takes the pages' new contents, so it is the next epoch's pre-image. */
static void pages_epoch_end(void) {
  static uint8_t now[4096], before[4096];
  pages_scan(1);
  for (size_t r = 0; r < nwritten; r++) {
    for (uint64_t pg = written[r].start; pg < written[r].end; pg += 4096) {
      if (mem_read(pg, now, 4096) < 0) continue;
      if (mem_read_fd(snap_mem, pg, before, 4096) < 0) memset(before, 0, 4096);
      size_t i = 0;
      while (i < 4096) {
        if (now[i] == before[i]) { i++; continue; }
        size_t j = i + 1, last = i;
        /* Extend over later differences; equal gaps of up to 16 bytes are carried along. */
        while (j < 4096 && j - last <= 16) {
          if (now[j] != before[j]) last = j;
          j++;
        }
        pages_emit(pg + i, now + i, last + 1 - i);
        i = last + 1;
      }
      if (pwrite(snap_mem, now, 4096, (off_t)pg) != 4096) { /* a page the snapshot lacks: start over next time */
        free(maps_seen);
        maps_seen = NULL;
      }
    }
  }
  writes_close();
}

/* Starts an epoch. The snapshot is brought up to date with the pages written since the last
 * scan (by the program outside F, by the kernel in a syscall); when the mappings changed, new
 * ones are registered and a fresh snapshot taken instead. */
static void pages_epoch_start(void) {
  static uint8_t page[4096];
  read_maps();
  if (snap_pid <= 0 || !maps_seen || strcmp(maps_now, maps_seen) != 0) {
    pages_register();
    snapshot_drop();
    pages_scan(0);
    snapshot_take();
    free(maps_seen);
    maps_seen = strdup(maps_now);
    if (!maps_seen) die(ERR_INTERNAL, 0, "out of memory");
    return;
  }
  pages_scan(1);
  for (size_t r = 0; r < nwritten; r++) {
    for (uint64_t pg = written[r].start; pg < written[r].end; pg += 4096) {
      if (mem_read(pg, page, 4096) < 0) continue;
      if (pwrite(snap_mem, page, 4096, (off_t)pg) != 4096) { /* cannot happen with equal maps; be safe */
        free(maps_seen);
        maps_seen = NULL;
        pages_epoch_start();
        return;
      }
    }
  }
}


static void send_return(uint64_t steps_done) {
  struct user_fpregs_struct fp;
  if (ptrace(PTRACE_GETFPREGS, pid, 0, &fp) < 0) die(ERR_PTRACE, 0, "PTRACE_GETFPREGS: %s", strerror(errno));
  begin_frame(H_RETURN);
  put64(regs.rax);
  put64(regs.rdx);
  put_bytes(&fp.xmm_space[0], 16);
  put_bytes(&fp.xmm_space[4], 16);
  put64(steps_done);
  end_frame();
  if (standing) { /* nothing to wait for: the frames go out in batches */
    if (olen > (1u << 16)) flush_out();
    return;
  }
  uint8_t t = serve();
  if (t != N_CONT) die(ERR_INTERNAL, 0, "expected CONT after RETURN, got %u", t);
}

static void send_escaped(void) {
  begin_frame(H_ESCAPED);
  put64(regs.rip);
  put64(regs.rsp);
  end_frame();
  flush_out();
  kill_target();
  _exit(2);
}

/* Precondition: stopped at F's first instruction. Returns after F returned and the CLI said
 * CONT, with a signal still to deliver or 0. */
static int pages_invocation(void) {
  pages_setup();
  get_regs();
  entry_rsp = regs.rsp;
  stack_low = entry_rsp > stack_limit ? entry_rsp - stack_limit : 0;
  if (mem_read(entry_rsp, &ret_addr, 8) < 0) die(ERR_MEMORY, entry_rsp, "cannot read F's return address");
  find_rseq();
  bp_remove();
  pages_epoch_start();
  ret_bp_addr = ret_addr;
  ret_bp_orig = peek_byte(ret_addr);
  poke_byte(ret_addr, 0xcc);
  ret_bp_on = 1;
  int pending = 0, in_syscall = 0;
  for (;;) {
    if (ptrace(PTRACE_SYSCALL, pid, 0, pending) < 0) die(ERR_PTRACE, 0, "PTRACE_SYSCALL: %s", strerror(errno));
    pending = 0;
    int st = wait_stop();
    if ((st >> 16) != 0) continue;
    if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
      get_regs();
      if (!in_syscall) {
        if (regs.rsp > entry_rsp + 8 && regs.rsp - entry_rsp < stack_limit) {
          pages_epoch_end();
          send_escaped();
        }
        pages_epoch_end();
        refuse_wait_on_held();
        begin_frame(H_SYSCALL_ENTER);
        put64(regs.orig_rax);
        put64(regs.rdi); put64(regs.rsi); put64(regs.rdx); put64(regs.r10); put64(regs.r8); put64(regs.r9);
        end_frame();
        if (serve() != N_CONT) die(ERR_INTERNAL, 0, "expected CONT at syscall entry");
        in_syscall = 1;
      } else {
        begin_frame(H_SYSCALL_EXIT);
        put64(regs.rax);
        end_frame();
        if (serve() != N_CONT) die(ERR_INTERNAL, 0, "expected CONT at syscall exit");
        in_syscall = 0;

        pages_epoch_start();
      }
      continue;
    }
    int sig = signal_of_stop(st);
    if (sig) {
      /* As in the single-step engine a signal ends an epoch; its handler then runs natively. */
      pages_epoch_end();
      pages_epoch_start();
      pending = sig;
      continue;
    }
    if (WSTOPSIG(st) != SIGTRAP) continue;
    get_regs();
    if (regs.rip - 1 != ret_addr) continue;
    regs.rip = ret_addr;
    set_regs(&regs);
    poke_byte(ret_addr, ret_bp_orig);
    if (regs.rsp == entry_rsp + 8) break;
    /* F's return site ran deeper inside F: step over it and wait on. */
    if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) < 0) die(ERR_PTRACE, 0, "PTRACE_SINGLESTEP: %s", strerror(errno));
    wait_stop();
    poke_byte(ret_addr, 0xcc);
  }
  ret_bp_on = 0;
  pages_epoch_end();
  send_return(0);
  return pending;
}

/* ------------------------------------------------------------------------------------------ */
/* Running                                                                                    */

/* Disable: return from F with the recorded registers. */
static void return_from_f(void) {
  uint64_t rax = get64(), rdx = get64();
  uint8_t x0[16], x1[16];
  get_bytes(x0, 16);
  get_bytes(x1, 16);
  get_regs();
  uint64_t ra;
  if (mem_read(regs.rsp, &ra, 8) < 0) die(ERR_MEMORY, regs.rsp, "cannot read F's return address");
  regs.rax = rax;
  regs.rdx = rdx;
  regs.rip = ra;
  regs.rsp += 8;
  set_regs(&regs);
  struct user_fpregs_struct fp;
  if (ptrace(PTRACE_GETFPREGS, pid, 0, &fp) < 0) die(ERR_PTRACE, 0, "PTRACE_GETFPREGS: %s", strerror(errno));
  memcpy(&fp.xmm_space[0], x0, 16);
  memcpy(&fp.xmm_space[4], x1, 16);
  if (ptrace(PTRACE_SETFPREGS, pid, 0, &fp) < 0) die(ERR_PTRACE, 0, "PTRACE_SETFPREGS: %s", strerror(errno));
}

/* Stopped at F's breakpoint (rip already moved back to F). Returns a signal to deliver. */
static int at_entry(void) {
  uint64_t ra;
  if (mem_read(regs.rsp, &ra, 8) < 0) die(ERR_MEMORY, regs.rsp, "cannot read F's return address");
  begin_frame(H_ENTRY);
  put64(regs.rsp);
  put64(ra);
  put32(current_ordinal());
  end_frame();
  uint8_t t = standing ? standing : serve();
  switch (t) {
    case N_TRACE: {
      bp_remove();
      int sig = trace_invocation();
      bp_insert();
      return sig;
    }
    case N_TRACE_PAGES: {
      int sig = pages_invocation();
      bp_insert();
      return sig;
    }
    case N_RETURN:
      return_from_f();
      return 0;
    case N_KILL:
      return (int)get32();
    case N_RUN:
    case N_CONT:
      /* Run F natively; a breakpoint on the return address puts F's breakpoint back. */
      bp_remove();
      entry_rsp = regs.rsp;
      ret_bp_addr = ra;
      ret_bp_orig = peek_byte(ra);
      poke_byte(ra, 0xcc);
      ret_bp_on = 1;
      return 0;
    default:
      die(ERR_INTERNAL, 0, "unexpected command %u at F's entry", t);
  }
  return 0;
}

/* The seccomp filter: SECCOMP_RET_TRACE for the input syscalls of the x86-64 ABI, everything
 * else allowed. Installed in the child just before execve (with no_new_privs, which an
 * unprivileged filter needs); it stays for the program's life and goes to its children. */
static int install_input_filter(void) {
  struct sock_filter f[5 + 2 * MAX_INPUTS];
  unsigned n = 0;
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  for (unsigned k = 0; k < n_inputs; k++) {
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, input_nrs[k], 0, 1);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
  }
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return -1;
  return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* Stopped at an input syscall's seccomp stop in run_loop: the CLI runs it (and hears its result)
 * or answers it. Returns a signal that arrived before the exit stop, or 0. */
static int at_input_stop(void) {
  struct __ptrace_syscall_info info;
  if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info) <= 0 || info.op != PTRACE_SYSCALL_INFO_SECCOMP) return 0;
  begin_frame(H_INPUT);
  put8(ret_bp_on ? 1 : 0);
  put64(info.seccomp.nr);
  for (int k = 0; k < 6; k++) put64(info.seccomp.args[k]);
  end_frame();
  uint8_t t = serve();
  int answered = t == N_ANSWER;
  uint64_t result = answered ? get64() : 0;
  if (!answered && t != N_CONT) die(ERR_INTERNAL, 0, "expected CONT or ANSWER at an input syscall, got %u", t);
  if (answered) { /* skipped: the call returns what the tracer put in rax */
    get_regs();
    regs.orig_rax = (uint64_t)-1;
    regs.rax = result;
    set_regs(&regs);
    return 0;
  }
  int sig = 0;
  for (;;) { /* to the exit stop (through the entry stop); a signal on the way waits */
    if (ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0) die(ERR_PTRACE, 0, "PTRACE_SYSCALL: %s", strerror(errno));
    int st = wait_stop();
    if ((st >> 16) != 0) continue;
    if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
      if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info) > 0 && info.op == PTRACE_SYSCALL_INFO_EXIT) break;
      continue;
    }
    int s = signal_of_stop(st);
    if (s && !sig) sig = s;
  }
  get_regs();
  begin_frame(H_SYSCALL_EXIT);
  put64(regs.rax);
  end_frame();
  if (serve() != N_CONT) die(ERR_INTERNAL, 0, "expected CONT after an input syscall's exit");
  return sig;
}

/* The next stop of any thread: a deferred one first, else waitpid(-1). Sets pid to its thread.
 * Handles on the way what concerns threads only: a new thread's first stop and the SIGSTOPs of
 * hold_others are swallowed, a thread's end forgets it, the leader's end is reported. Fork and
 * vfork stops have been dealt with (wait_stop's rules). */
static int next_stop(void) {
  for (;;) {
    for (size_t i = 0; i < nthreads; i++) {
      if (threads[i].deferred && !threads[i].held) {
        threads[i].deferred = 0;
        pid = threads[i].tid;
        return threads[i].status;
      }
    }
    int st;
    pid_t r = waitpid(-1, &st, __WALL);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die(ERR_INTERNAL, 0, "waitpid: %s", strerror(errno));
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      if (r == tgid) report_exit(st);
      thread_remove(r);
      continue;
    }
    pid = r;
    struct thread *t = thread_find(r);
    int event = st >> 16;
    if (!t || (t->stop_pending && WSTOPSIG(st) == SIGSTOP && event == 0)) {
      /* A new thread's first stop, or one of hold_others' SIGSTOPs arriving late. */
      if (!t) t = thread_add(r, 0);
      t->stop_pending = 0;
      ptrace(PTRACE_CONT, r, 0, 0);
      continue;
    }
    if (event == PTRACE_EVENT_CLONE) {
      unsigned long child = 0;
      if (ptrace(PTRACE_GETEVENTMSG, r, 0, &child) == 0 && child > 0 && !thread_find((pid_t)child))
        thread_add((pid_t)child, 1);
    }
    if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) release_child();
    if (event == PTRACE_EVENT_VFORK_DONE) rearm_after_vfork();
    if (event == PTRACE_EVENT_EXIT && stub_counter) mem_read(stub_counter, &stub_calls, 8);
    return st;
  }
}

/* The thread running F outside an engine (baseline, F run natively): its return breakpoint is
 * its own. */
static pid_t f_tid;

static void run_loop(void) {
  int sig = 0;
  thread_add(tgid, 0);
  pid = tgid;
  for (;;) {
    if (!sig && deferred_sig) sig = deferred_sig;
    deferred_sig = 0;
    if (ptrace(PTRACE_CONT, pid, 0, sig) < 0 && errno != ESRCH) die(ERR_PTRACE, 0, "PTRACE_CONT: %s", strerror(errno));
    sig = 0;
    int st = next_stop();
    if ((st >> 16) == PTRACE_EVENT_SECCOMP) {
      sig = at_input_stop();
      continue;
    }
    int event = st >> 16;
    if (event == PTRACE_EVENT_EXEC) { /* a new program image: our breakpoints went with the old one */
      bp_on = 0;
      bp_addr = 0;
      ret_bp_on = 0;
      patch_len = 0;
      stub_trap = stub_counter = 0;
      open_mem();
      nthreads = 0; /* exec leaves only the leader */
      thread_add(tgid, 0);
      pid = tgid;
      continue;
    }
    if (event) continue;
    int s = signal_of_stop(st);
    if (s) {
      sig = s;
      continue;
    }
    if (WSTOPSIG(st) != SIGTRAP) continue;
    get_regs();
    int at_stub = stub_trap && regs.rip - 1 == stub_trap;
    if ((bp_on && regs.rip - 1 == bp_addr) || at_stub) {
      regs.rip = bp_addr; /* the stub left the stack as it was at F's entry */
      set_regs(&regs);
      hold_others();
      f_tid = pid;
      sig = at_entry();
      if (!ret_bp_on) release_others(); /* F is done; a baseline F still runs until its return */
      continue;
    }
    if (ret_bp_on && regs.rip - 1 == ret_bp_addr) {
      regs.rip = ret_bp_addr;
      set_regs(&regs);
      poke_byte(ret_bp_addr, ret_bp_orig);
      if (pid == f_tid && regs.rsp == entry_rsp + 8) { /* F returned: arm F again */
        ret_bp_on = 0;
        bp_insert();
        release_others();
      } else { /* the return site ran inside F: step over it and keep waiting */
        if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) < 0) die(ERR_PTRACE, 0, "PTRACE_SINGLESTEP: %s", strerror(errno));
        wait_stop();
        poke_byte(ret_bp_addr, 0xcc);
      }
      continue;
    }
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Start-up                                                                                   */

static const uint8_t FIXED_AT_RANDOM[16] = {
  0x41, 0x6c, 0x70, 0x61, 0x63, 0x61, 0x20, 0x66, 0x69, 0x78, 0x65, 0x64, 0x20, 0x72, 0x6e, 0x64,
};

/* The stub region, reserved in every mode at the exec stop so that every run has the same
 * address space: one code page within 2 GiB below the executable's lowest mapping (a 5-byte
 * jump from F reaches it) and a data area at a fixed address, PROT_NONE and not committed until
 * a disabled run fills part of it. 0 when the kernel put something there already. */
#define STUB_DATA_ADDR 0x3a1c00000000ull
#define STUB_DATA_BYTES (4ull << 30)
static uint64_t stub_code_addr, stub_data_addr;

static uint64_t lowest_mapping(void) {
  char path[64], line[128];
  snprintf(path, sizeof path, "/proc/%d/maps", tgid);
  FILE *f = fopen(path, "re");
  unsigned long a = 0;
  if (f) {
    if (fgets(line, sizeof line, f) && sscanf(line, "%lx-", &a) != 1) a = 0;
    fclose(f);
  }
  return a;
}

static uint64_t map_fixed(uint64_t at, uint64_t len, int prot, int extra, uint64_t borrow) {
  uint64_t a[6] = {at, len, (uint64_t)prot, (uint64_t)(MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | extra), (uint64_t)-1, 0};
  uint64_t r = inject_at(borrow, SYS_mmap, a, NULL);
  if (r == at) return at;
  if ((int64_t)r > 0) { /* a kernel without MAP_FIXED_NOREPLACE put it elsewhere */
    uint64_t u[6] = {r, len, 0, 0, 0, 0};
    inject_at(borrow, SYS_munmap, u, NULL);
  }
  return 0;
}

static void reserve_stub_region(uint64_t borrow) {
  uint64_t low = lowest_mapping();
  uint64_t code = (low & ~0x1fffffull) - 0x200000;
  if (low >= 0x400000) stub_code_addr = map_fixed(code, 4096, PROT_READ | PROT_EXEC, 0, borrow);
  stub_data_addr = map_fixed(STUB_DATA_ADDR, STUB_DATA_BYTES, PROT_NONE, MAP_NORESERVE, borrow);
}

static uint64_t read_auxv(uint64_t *at_random) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/auxv", tgid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  uint64_t entry = 0;
  *at_random = 0;
  if (fd < 0) return 0;
  uint64_t kv[2];
  while (read(fd, kv, sizeof kv) == (ssize_t)sizeof kv && kv[0] != AT_NULL) {
    if (kv[0] == AT_ENTRY) entry = kv[1];
    if (kv[0] == AT_RANDOM) *at_random = kv[1];
  }
  close(fd);
  return entry;
}

int main(int argc, char **argv) {
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--probe-pages") == 0) return probe_pages();
    if (strcmp(argv[i], "--ctl-fd") == 0 && i + 1 < argc) ctl_fd = atoi(argv[++i]);
    else if (strcmp(argv[i], "--inputs") == 0 && i + 1 < argc) {
      for (char *p = argv[++i]; *p && n_inputs < MAX_INPUTS;) {
        input_nrs[n_inputs++] = (uint32_t)strtoul(p, &p, 10);
        if (*p == ',') p++;
      }
    }
    else if (strcmp(argv[i], "--") == 0) { i++; break; }
    else break;
  }
  if (i >= argc) {
    fprintf(stderr, "usage: alpaca-native-helper [--ctl-fd N] [--inputs NR,NR...] -- PROGRAM [ARGS...]\n");
    return 2;
  }
  if (fcntl(ctl_fd, F_SETFD, FD_CLOEXEC) < 0) {
    fprintf(stderr, "alpaca-native-helper: control fd %d is not open (run it through alpaca)\n", ctl_fd);
    return 2;
  }
  unsigned a, b, c, d;
  if (__get_cpuid_count(0xd, 0, &a, &b, &c, &d) && b) xsave_bytes = b;
  if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE)) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = ((uint64_t)hi << 32) | lo;
    for (unsigned i = 2; i < 64; i++) {
      if (!(xcr0 >> i & 1)) continue;
      if (__get_cpuid_count(0xd, i, &a, &b, &c, &d)) {
        xs_size[i] = a;
        xs_offset[i] = b;
        xs_align[i] = (c >> 1) & 1;
      }
    }
  }
  struct rlimit rl;
  if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) stack_limit = rl.rlim_cur;
  else stack_limit = 1u << 30;

  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) < 0) die(ERR_INTERNAL, 0, "pipe2: %s", strerror(errno));
  pid = fork();
  if (pid < 0) die(ERR_INTERNAL, 0, "fork: %s", strerror(errno));
  if (pid == 0) {
    int report[2] = {0, 0};
    int persona = personality(0xffffffff);
    if (persona < 0 || personality((unsigned long)persona | ADDR_NO_RANDOMIZE) < 0) {
      report[0] = 1; report[1] = errno;
    } else if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0) {
      report[0] = 2; report[1] = errno;
    } else if (n_inputs > 0 && install_input_filter() < 0) {
      report[0] = 4; report[1] = errno;
    } else {
      execve(argv[i], argv + i, environ);
      report[0] = 3; report[1] = errno;
    }
    if (write(errpipe[1], report, sizeof report) < 0) _exit(127);
    _exit(127);
  }
  close(errpipe[1]);
  tgid = pid;
  int st;
  while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR) {}
  if (!WIFSTOPPED(st)) {
    int report[2] = {0, 0};
    if (read(errpipe[0], report, sizeof report) != (ssize_t)sizeof report) report[0] = 0;
    pid = tgid = -1;
    if (report[0] == 1) die(ERR_EXEC, 0, "cannot disable address randomization: personality: %s", strerror(report[1]));
    if (report[0] == 2) die(ERR_PTRACE, 0, "PTRACE_TRACEME: %s", strerror(report[1]));
    if (report[0] == 3) die(ERR_EXEC, 0, "cannot execute %s: %s", argv[i], strerror(report[1]));
    if (report[0] == 4) die(ERR_EXEC, 0, "cannot install the seccomp filter that records clocks and random bytes: %s", strerror(report[1]));
    die(ERR_EXEC, 0, "the program ended before it started (status %d)", st);
  }
  close(errpipe[0]);
  if (ptrace(PTRACE_SETOPTIONS, pid, 0, BASE_OPTIONS) < 0)
    die(ERR_PTRACE, 0, "PTRACE_SETOPTIONS: %s", strerror(errno));
  open_mem();
  uint64_t at_random;
  uint64_t at_entry_addr = read_auxv(&at_random);
  if (at_random) mem_write(at_random, FIXED_AT_RANDOM, sizeof FIXED_AT_RANDOM);
  if (at_entry_addr) reserve_stub_region(at_entry_addr);

  begin_frame(H_HELLO);
  put32(PROTOCOL_VERSION);
  put32((uint32_t)pid);
  put64(at_entry_addr);
  put32(xsave_bytes);
  put64(stub_code_addr);
  put64(stub_data_addr);
  end_frame();
  uint8_t t = serve();
  if (t == N_DETACH) {
    if (ptrace(PTRACE_DETACH, pid, 0, 0) < 0) die(ERR_PTRACE, 0, "PTRACE_DETACH: %s", strerror(errno));
    for (;;) {
      pid_t r = waitpid(pid, &st, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) die(ERR_INTERNAL, 0, "waitpid: %s", strerror(errno));
      if (WIFEXITED(st) || WIFSIGNALED(st)) report_exit(st);
    }
  }
  if (t != N_CONT) die(ERR_INTERNAL, 0, "expected CONT or DETACH after HELLO, got %u", t);
  run_loop();
  return 0;
}
