/*
 * alpaca-native-helper's shared state and functions, by the file that defines them (each
 * definition carries its comment). Every file of the helper includes this. The overview is at
 * the top of main.c; the wire protocol is protocol.h.
 */
#ifndef ALPACA_HELPER_H
#define ALPACA_HELPER_H

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

#define RED_ZONE 128
#define NREGS (sizeof(struct user_regs_struct) / 8)
#define REG_RSP_IDX (offsetof(struct user_regs_struct, rsp) / 8)
#define BASE_OPTIONS (PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEFORK | \
                      PTRACE_O_TRACEVFORK | PTRACE_O_TRACEVFORKDONE | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACECLONE | \
                      PTRACE_O_TRACEEXIT)
#define REGS ((uint64_t *)&regs)
#define MAX_INPUTS 16
#define PAGEMAP_SCAN_IOCTL _IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_WPALLOWED (1 << 0)
#define PAGE_IS_WRITTEN (1 << 1)
#define PM_SCAN_WP_MATCHING (1 << 0)
#define FEATURE_WP_UNPOPULATED (1 << 13)
#define FEATURE_WP_ASYNC (1 << 15)
#define USER_MODE_ONLY 1
#define TASK_TOP 0x7ffffffff000ull /* TASK_SIZE_MAX: PAGEMAP_SCAN checks access_ok */
#define STUB_DATA_ADDR 0x3a1c00000000ull
#define STUB_DATA_BYTES (4ull << 30)

struct thread {
  pid_t tid;
  uint32_t ordinal;  /* 0 the leader, then in the order the helper first saw them */
  int held;          /* stopped by hold_others */
  int stop_pending;  /* a SIGSTOP of ours (or the new thread's first) is still to arrive */
  int deferred;      /* stopped with `status` not yet handled */
  int status;
};

struct rec {
  uint64_t addr;
  int64_t disp;
  uint32_t size;
  uint8_t len, kind, seg, base, index, scale, flags, bitreg;
};

struct iv { uint64_t a, b; };

struct page_region { uint64_t start, end, categories; };

struct pm_scan_arg {
  uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
  uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};

/* io.c */
extern uint8_t *obuf;
extern size_t olen, ocap, frame_at;
extern uint8_t *ibuf;
extern size_t ilen, icap, ipos;
void out_reserve(size_t n);
void put_bytes(const void *p, size_t n);
void put8(uint8_t v);
void put16(uint16_t v);
void put32(uint32_t v);
void put64(uint64_t v);
void begin_frame(uint8_t type);
void end_frame(void);
void kill_target(void);
void write_all(const uint8_t *p, size_t n);
void flush_out(void);
__attribute__((noreturn)) void die(uint32_t code, uint64_t addr, const char *fmt, ...);
void read_all(void *p, size_t n);
uint8_t read_frame(void);
void get_bytes(void *p, size_t n);
uint32_t get32(void);
uint64_t get64(void);

/* target.c */
extern struct rusage target_ru;
pid_t wait_keeping_usage(pid_t who, int *st, int options);
extern uint64_t entered_ns;
uint64_t monotonic_ns(void);
extern uint8_t sent_from_outside[65];
int mem_read(uint64_t addr, void *p, size_t n);
int mem_read_fd(int fd, uint64_t addr, void *p, size_t n);
int mem_write(uint64_t addr, const void *p, size_t n);
void get_regs(void);
void set_regs(const struct user_regs_struct *r);
void open_mem(void);
void report_exit(int status);
int wait_stop(void);
int signal_of_stop(int st);

/* threads.c */
extern struct thread *threads;
extern size_t nthreads, cthreads;
extern uint32_t next_ordinal;
struct thread *thread_find(pid_t tid);
struct thread *thread_add(pid_t tid, int stop_pending);
void thread_remove(pid_t tid);
uint32_t current_ordinal(void);
void hold_others(void);
void refuse_wait_on_held(void);
void release_others(void);

/* breakpoints.c */
extern uint64_t bp_addr;
extern uint8_t bp_orig;
extern int bp_on;
extern uint64_t ret_bp_addr;
extern uint8_t ret_bp_orig;
extern int ret_bp_on;
void poke_byte(uint64_t addr, uint8_t b);
uint8_t peek_byte(uint64_t addr);
void bp_insert(void);
void bp_remove(void);
void release_child(void);
void rearm_after_vfork(void);

/* step-engine.c */
extern struct rec *table;
extern size_t table_cap, table_used;
extern uint64_t decode_misses;
extern struct iv *ivs;
extern size_t niv, civ;
extern uint64_t entry_rsp, ret_addr, min_rsp, stack_low;
extern size_t writes_count_at;
extern uint32_t writes_count;
extern size_t writes_payload;
extern int writes_open;
extern uint64_t steps;
size_t hash_addr(uint64_t a);
void table_grow(void);
void table_put(const struct rec *r);
const struct rec *table_get(uint64_t addr);
void dirty_add(uint64_t a, uint64_t b);
void add_write(uint64_t a, uint64_t n);
void writes_close(void);
void writes_add(uint64_t addr, const uint8_t *p, size_t n);
void flush_writes(void);
void request_decode(uint64_t rip);
uint64_t reg_value(uint8_t id, const struct rec *d);
uint64_t effective_address(const struct rec *d);
uint64_t xsave_extent(int compacted);
void note_writes(const struct rec *d);
void next_syscall_stop(int *pending);
void trace_syscall(int *pending);
int trace_invocation(void);

/* commands.c */
extern int deferred_sig;
extern uint8_t standing;
extern uint32_t input_nrs[MAX_INPUTS];
extern unsigned n_inputs;
void send_ok(void);
uint64_t inject_raw(uint64_t nr, const uint64_t a[6], unsigned long *event_msg);
uint64_t inject_at(uint64_t at, uint64_t nr, const uint64_t a[6], unsigned long *event_msg);
void inject_syscall(void);
uint8_t serve(void);

/* pages-engine.c */
extern int uffd, pagemap_fd, snap_mem;
extern pid_t snap_pid;
extern char *maps_now, *maps_seen;
extern size_t maps_cap;
extern struct page_region *written;
extern size_t nwritten, cwritten;
extern uint64_t rseq_lo, rseq_hi;
void pages_setup(void);
int probe_pages(void);
void read_maps(void);
void pages_register(void);
void pages_scan(int collect);
void snapshot_take(void);
void snapshot_drop(void);
void find_rseq(void);
void pages_emit(uint64_t a, const uint8_t *p, size_t n);
void pages_emit_clipped(uint64_t a, const uint8_t *p, size_t n);
void pages_epoch_end(void);
void pages_epoch_start(void);
void send_return(uint64_t steps_done);
__attribute__((noreturn)) void send_escaped(void);
int pages_invocation(void);

/* main.c */
extern int ctl_fd;
extern pid_t tgid;
extern pid_t pid;
extern int mem_fd;
extern uint32_t xsave_bytes;
extern uint32_t xs_size[64], xs_offset[64], xs_align[64];
extern uint64_t xcr0;
extern uint64_t stack_limit;
extern uint64_t patch_addr;
extern uint8_t patch_orig[16], patch_bytes[16];
extern uint32_t patch_len;
extern uint64_t stub_trap;
extern uint64_t stub_counter;
extern uint64_t stub_calls;
extern struct user_regs_struct regs;
extern pid_t f_tid;
extern uint64_t stub_code_addr, stub_data_addr;
void return_from_f(void);
int at_entry(void);
int install_input_filter(void);
int at_input_stop(void);
int next_stop(void);
void run_loop(void);
uint64_t lowest_mapping(void);
uint64_t map_fixed(uint64_t at, uint64_t len, int prot, int extra, uint64_t borrow);
void reserve_stub_region(uint64_t borrow);
uint64_t read_auxv(uint64_t *at_random);

#endif
