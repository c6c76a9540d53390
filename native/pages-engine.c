/*
 * pages-engine.c: The page engine: userfaultfd write-protect, PAGEMAP_SCAN and a copy-on-write snapshot; its probe.
 * Part of alpaca-native-helper (main.c has the overview); shared state in helper.h.
 */
#include "helper.h"

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



int uffd = -1, pagemap_fd = -1, snap_mem = -1;
pid_t snap_pid = -1;

void pages_setup(void) {
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
int probe_pages(void) {
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
char *maps_now, *maps_seen;
size_t maps_cap;

void read_maps(void) {
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
void pages_register(void) {
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

struct page_region *written;
size_t nwritten, cwritten;

/* Lists (collect) or forgets the pages written since the last scan, and protects them again. */
void pages_scan(int collect) {
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

void snapshot_take(void) {
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

void snapshot_drop(void) {
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
uint64_t rseq_lo, rseq_hi;

void find_rseq(void) {
  struct { uint64_t abi; uint32_t size, sig, flags, pad; } conf = {0, 0, 0, 0, 0};
  rseq_lo = rseq_hi = 0;
  if (ptrace(0x420f /* PTRACE_GET_RSEQ_CONFIGURATION */, pid, sizeof conf, &conf) > 0 && conf.abi) {
    rseq_lo = conf.abi;
    rseq_hi = conf.abi + (conf.size ? conf.size : 32);
  }
}


/* Sends the bytes of [a, a+n) that lie outside F's frame (the stack below rsp at entry) and
 * outside the rseq area. */
void pages_emit(uint64_t a, const uint8_t *p, size_t n) {
  uint64_t b = a + n;
  if (rseq_hi > rseq_lo && a < rseq_hi && b > rseq_lo) {
    if (a < rseq_lo) pages_emit_clipped(a, p, (size_t)(rseq_lo - a));
    if (b > rseq_hi) pages_emit_clipped(rseq_hi, p + (rseq_hi - a), (size_t)(b - rseq_hi));
    return;
  }
  pages_emit_clipped(a, p, n);
}

void pages_emit_clipped(uint64_t a, const uint8_t *p, size_t n) {
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
void pages_epoch_end(void) {
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
void pages_epoch_start(void) {
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


void send_return(uint64_t steps_done) {
  struct user_fpregs_struct fp;
  if (ptrace(PTRACE_GETFPREGS, pid, 0, &fp) < 0) die(ERR_PTRACE, 0, "PTRACE_GETFPREGS: %s", strerror(errno));
  begin_frame(H_RETURN);
  put64(regs.rax);
  put64(regs.rdx);
  put_bytes(&fp.xmm_space[0], 16);
  put_bytes(&fp.xmm_space[4], 16);
  put64(steps_done);
  put64(monotonic_ns() - entered_ns);
  end_frame();
  if (standing) { /* nothing to wait for: the frames go out in batches */
    if (olen > (1u << 16)) flush_out();
    return;
  }
  uint8_t t = serve();
  if (t != N_CONT) die(ERR_INTERNAL, 0, "expected CONT after RETURN, got %u", t);
}

void send_escaped(void) {
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
int pages_invocation(void) {
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
