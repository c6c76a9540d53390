/*
 * target.c: The target: memory, registers, waiting for stops, exits.
 * Part of alpaca-native-helper (main.c has the overview); shared state in helper.h.
 */
#include "helper.h"

#include <time.h>

/* The target's CPU time, from wait4 when the process ended (threads and reaped children in). */
struct rusage target_ru;

/* waitpid that keeps the rusage of the process leader's end in target_ru. */
pid_t wait_keeping_usage(pid_t who, int *st, int options) {
  struct rusage ru;
  pid_t r = wait4(who, st, options, &ru);
  if (r == tgid && r > 0 && (WIFEXITED(*st) || WIFSIGNALED(*st))) target_ru = ru;
  return r;
}

/* When the current invocation of F began (at_entry), for RETURN's time inside F. */
uint64_t entered_ns;

uint64_t monotonic_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Target memory and registers                                                                */

int mem_read(uint64_t addr, void *p, size_t n) {
  return mem_read_fd(mem_fd, addr, p, n);
}

/* Reads n bytes at addr through a /proc/PID/mem descriptor (the target's, or the snapshot's). */
int mem_read_fd(int fd, uint64_t addr, void *p, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, (uint8_t *)p + done, n - done, (off_t)(addr + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    done += (size_t)r;
  }
  return 0;
}
int mem_write(uint64_t addr, const void *p, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pwrite(mem_fd, (const uint8_t *)p + done, n - done, (off_t)(addr + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    done += (size_t)r;
  }
  return 0;
}
void get_regs(void) {
  if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0) die(ERR_PTRACE, 0, "PTRACE_GETREGS: %s", strerror(errno));
}
void set_regs(const struct user_regs_struct *r) {
  if (ptrace(PTRACE_SETREGS, pid, 0, r) < 0) die(ERR_PTRACE, 0, "PTRACE_SETREGS: %s", strerror(errno));
}

void open_mem(void) {
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
uint8_t sent_from_outside[65];

static uint64_t usec(struct timeval t) {
  return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_usec;
}

void report_exit(int status) {
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
  /* CPU time of the run's processes: the target's and the helper's own (energy's model source). */
  struct rusage self;
  getrusage(RUSAGE_SELF, &self);
  put64(usec(target_ru.ru_utime) + usec(self.ru_utime));
  put64(usec(target_ru.ru_stime) + usec(self.ru_stime));
  end_frame();
  flush_out();
  _exit(0);
}


/* Waits for the target; reports and exits when it is gone. Returns the wait status of a stop.
 * A fork or vfork stop has already been dealt with (the child released) when it comes back;
 * callers resume after any ptrace event stop as they would after their own stop. */
int wait_stop(void) {
  int st;
  for (;;) {
    pid_t r = wait_keeping_usage(pid, &st, __WALL);
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
int signal_of_stop(int st) {
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
