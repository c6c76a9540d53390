/* threads.c: part of alpaca-native-helper (main.c has the overview); shared state in helper.h. */
#include "helper.h"

/* Threads                                                                                    */
/*
 * Every thread of the target is traced (TRACECLONE). Outside F they run freely; the helper
 * handles their stops one at a time (run_loop). While one thread runs F's extent (an analyzed
 * invocation, a replayed one, a baseline one) the others are held: stopped with a SIGSTOP the
 * helper sends and swallows, so no other thread's write lands in F's epochs and no other call
 * of F slips past the lifted breakpoint. A thread that had another stop to report when it was
 * held keeps it ("deferred") and run_loop handles it after F.
 */

struct thread *threads;
size_t nthreads, cthreads;
uint32_t next_ordinal;

struct thread *thread_find(pid_t tid) {
  for (size_t i = 0; i < nthreads; i++)
    if (threads[i].tid == tid) return &threads[i];
  return NULL;
}

struct thread *thread_add(pid_t tid, int stop_pending) {
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

void thread_remove(pid_t tid) {
  struct thread *t = thread_find(tid);
  if (t) *t = threads[--nthreads];
}

/* The ordinal of the current thread (H_ENTRY). */
uint32_t current_ordinal(void) {
  struct thread *t = thread_find(pid);
  return t ? t->ordinal : 0;
}

/* Stops every thread but the current one (F's). */
void hold_others(void) {
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
void refuse_wait_on_held(void) {
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
void release_others(void) {
  for (size_t i = 0; i < nthreads; i++) {
    struct thread *t = &threads[i];
    if (!t->held) continue;
    t->held = 0;
    if (!t->deferred) ptrace(PTRACE_CONT, t->tid, 0, 0);
  }
}
