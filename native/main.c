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
#include "helper.h"

extern char **environ;


int ctl_fd = 3;
/* The target process (its leader's tid) and the thread ptrace requests go to: the one whose stop
 * is being handled, F's thread during an invocation. */
pid_t tgid = -1;
pid_t pid = -1;
int mem_fd = -1;
uint32_t xsave_bytes = 4096;
/* XSAVE components (CPUID leaf 0xD): size, standard-format offset, 64-byte alignment when compacted. */
uint32_t xs_size[64], xs_offset[64], xs_align[64];
uint64_t xcr0 = 3;
uint64_t stack_limit = 8u << 20;

/* Forks are reported so the child can be cleaned of breakpoints and let go (see release_child);
 * seccomp stops are the input syscalls (--inputs); every thread is traced (TRACECLONE); a
 * thread's exit stop reads the in-process stub's call counter (TRACEEXIT). */

/* In-process replay (docs/native.md): F's entry patched with a jump to a stub the CLI wrote in
 * the stub region; the stub's int3 hands an invocation to the helper. */
uint64_t patch_addr;
uint8_t patch_orig[16], patch_bytes[16];
uint32_t patch_len;
uint64_t stub_trap;     /* address of the stub's int3 */
uint64_t stub_counter;  /* address of the stub's call counter */
uint64_t stub_calls;    /* the counter, read at the last thread exit */

struct user_regs_struct regs;

/* ------------------------------------------------------------------------------------------ */
/* Running                                                                                    */

/* Disable: return from F with the recorded registers. */
void return_from_f(void) {
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
int at_entry(void) {
  entered_ns = monotonic_ns();
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
int install_input_filter(void) {
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
int at_input_stop(void) {
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
int next_stop(void) {
  for (;;) {
    for (size_t i = 0; i < nthreads; i++) {
      if (threads[i].deferred && !threads[i].held) {
        threads[i].deferred = 0;
        pid = threads[i].tid;
        return threads[i].status;
      }
    }
    int st;
    pid_t r = wait_keeping_usage(-1, &st, __WALL);
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
pid_t f_tid;

void run_loop(void) {
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
uint64_t stub_code_addr, stub_data_addr;

uint64_t lowest_mapping(void) {
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

uint64_t map_fixed(uint64_t at, uint64_t len, int prot, int extra, uint64_t borrow) {
  uint64_t a[6] = {at, len, (uint64_t)prot, (uint64_t)(MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | extra), (uint64_t)-1, 0};
  uint64_t r = inject_at(borrow, SYS_mmap, a, NULL);
  if (r == at) return at;
  if ((int64_t)r > 0) { /* a kernel without MAP_FIXED_NOREPLACE put it elsewhere */
    uint64_t u[6] = {r, len, 0, 0, 0, 0};
    inject_at(borrow, SYS_munmap, u, NULL);
  }
  return 0;
}

void reserve_stub_region(uint64_t borrow) {
  uint64_t low = lowest_mapping();
  uint64_t code = (low & ~0x1fffffull) - 0x200000;
  if (low >= 0x400000) stub_code_addr = map_fixed(code, 4096, PROT_READ | PROT_EXEC, 0, borrow);
  stub_data_addr = map_fixed(STUB_DATA_ADDR, STUB_DATA_BYTES, PROT_NONE, MAP_NORESERVE, borrow);
}

uint64_t read_auxv(uint64_t *at_random) {
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
      pid_t r = wait_keeping_usage(pid, &st, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) die(ERR_INTERNAL, 0, "waitpid: %s", strerror(errno));
      if (WIFEXITED(st) || WIFSIGNALED(st)) report_exit(st);
    }
  }
  if (t != N_CONT) die(ERR_INTERNAL, 0, "expected CONT or DETACH after HELLO, got %u", t);
  run_loop();
  return 0;
}
