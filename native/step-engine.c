/*
 * step-engine.c: The single-step engine: the decode cache, the written intervals of an epoch, their WRITES frames, one invocation stepped.
 * Part of alpaca-native-helper (main.c has the overview); shared state in helper.h.
 */
#include "helper.h"

/* Decode cache: instruction address -> what it writes (filled by the CLI from capstone)      */

struct rec *table;
size_t table_cap, table_used;
uint64_t decode_misses;

size_t hash_addr(uint64_t a) { return (size_t)((a * 0x9E3779B97F4A7C15ull) >> 20); }

void table_grow(void) {
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
void table_put(const struct rec *r) {
  if ((table_used + 1) * 2 > table_cap) table_grow();
  size_t m = table_cap - 1, i = hash_addr(r->addr) & m;
  while (table[i].len && table[i].addr != r->addr) i = (i + 1) & m;
  if (!table[i].len) table_used++;
  table[i] = *r;
}
const struct rec *table_get(uint64_t addr) {
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

struct iv *ivs;
size_t niv, civ;
uint64_t entry_rsp, ret_addr, min_rsp, stack_low;

void dirty_add(uint64_t a, uint64_t b) {
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
void add_write(uint64_t a, uint64_t n) {
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
size_t writes_count_at;
uint32_t writes_count;
size_t writes_payload;
int writes_open;

void writes_close(void) {
  if (!writes_open) return;
  memcpy(obuf + writes_count_at, &writes_count, 4);
  end_frame();
  writes_open = 0;
}
void writes_add(uint64_t addr, const uint8_t *p, size_t n) {
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
void flush_writes(void) {
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
/* Analysis: single-step one invocation of F                                                  */

void request_decode(uint64_t rip) {
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

uint64_t reg_value(uint8_t id, const struct rec *d) {
  if (id == RID_NONE) return 0;
  if (id == RID_RIP) return regs.rip + d->len;
  if (id >= NREGS) die(ERR_INTERNAL, d->addr, "bad register id %u", id);
  uint64_t v = REGS[id];
  if ((d->flags & F_POP) && id == REG_RSP_IDX) v += d->size;
  return v;
}

uint64_t effective_address(const struct rec *d) {
  uint64_t ea = reg_value(d->base, d) + reg_value(d->index, d) * d->scale + (uint64_t)d->disp;
  if (d->flags & F_ADDR32) ea &= 0xffffffffu;
  if (d->seg == SEG_FS) ea += regs.fs_base;
  else if (d->seg == SEG_GS) ea += regs.gs_base;
  return ea;
}

/* Bytes an XSAVE-family store writes from its address, for the requested-feature bitmap in
 * EDX:EAX: standard format up to the end of the last requested component, compacted format the
 * legacy area and header plus each requested component in order (64-byte aligned if flagged). */
uint64_t xsave_extent(int compacted) {
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
void note_writes(const struct rec *d) {
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

uint64_t steps;

/* Resumes to the next syscall stop (entry or exit), holding back a signal that arrives meanwhile
 * in *pending (the first one only). */
void next_syscall_stop(int *pending) {
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
void trace_syscall(int *pending) {
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

int trace_invocation(void) {
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
      send_escaped();
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
