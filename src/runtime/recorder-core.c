/*
 * The analyzer's in-Wasm recorder core: the fast path of the marks strategy for a function F
 * whose traced extent makes no WASI call. The guest's traced code calls `mark` before each store
 * and F's wrapper calls `exit0`/`exit1` when F returns; both are Wasm-to-Wasm calls, several times
 * cheaper than calls into JS, which is what lets a tiny F be analyzed at near its own speed.
 *
 * It is a separate instance with its own memory, so the guest cannot see it (Node 20 has no
 * multi-memory). It reads guest memory through three functions the analyzer module exports
 * (`load8`, `load32`, `load64`), keeps each mark's address, size and the bytes about to be
 * overwritten, and at exit encodes the invocation record exactly as src/log/encoder.ts does
 * (docs/log-format.md) with exactly the writes src/runtime/mark-set.ts would find: changed bytes
 * of the marked ranges, runs closer than MERGE_GAP merged, F's frames [minSp, spEntry) dropped.
 * Finished records are handed to the host in batches (`flush`); an invocation that did something
 * unusual (a global changed, memory grew) is handed over whole (`slow_exit`). A record with the
 * shape of the block's last one (same write ranges) is written in the log's "repeat" form.
 *
 * Built by `make cores` (clang --target=wasm32, no libc; mk/cores.mk); the .wasm beside this file
 * is the committed build output, checked against this source by src/runtime/cores.test.ts.
 */
#include "log-format.h" /* the log format's tags, generated from src/log/format.ts */

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

#define IMPORT(name) __attribute__((import_module("alpaca"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

IMPORT("load8") u32 guest_load8(u32 addr);
IMPORT("load32") u32 guest_load32(u32 addr);
IMPORT("load64") u64 guest_load64(u32 addr);
/* Hands `count` finished records, `len` bytes at `ptr`, to the host. */
IMPORT("flush") void host_flush(u32 ptr, u32 len, u32 count);
/* Hands the current invocation to the host, with its marks still pending here. */
IMPORT("slow_exit") void host_slow_exit(u32 sp_entry, u32 min_sp, u32 flag, u32 lo, u32 hi);
/* An invocation made more than `mark_limit` marks: its record is written and handed over, and the
 * host may stop marking (the adaptive strategy goes back to diffing). */
IMPORT("costly") void host_costly(void);

#define MERGE_GAP 8
#define PAGE 65536u

/* Memory is carved into growable regions on demand; all sizes are in bytes. */
extern u8 __heap_base;
static u32 heap_end;

static u32 pages(void) { return (u32)__builtin_wasm_memory_size(0); }

static void *alloc(u32 bytes) {
  if (heap_end == 0) heap_end = ((u32)&__heap_base + 15) & ~15u;
  u32 at = heap_end;
  u32 end = at + ((bytes + 15) & ~15u);
  if (end > pages() * PAGE) {
    if (__builtin_wasm_memory_grow(0, (end - pages() * PAGE + PAGE - 1) / PAGE) == (unsigned long)-1) __builtin_trap();
  }
  heap_end = end;
  return (void *)at;
}

static void copy(u8 *to, const u8 *from, u32 n) {
  for (u32 i = 0; i < n; i++) to[i] = from[i];
}

/* A growable array of u32; doubling reallocation (the old block is abandoned: the core lives for one run). */
typedef struct { u32 *v; u32 cap; } Vec;

static void reserve(Vec *a, u32 n) {
  if (n <= a->cap) return;
  u32 cap = a->cap ? a->cap : 256;
  while (cap < n) cap *= 2;
  u32 *v = alloc(cap * 4);
  copy((u8 *)v, (const u8 *)a->v, a->cap * 4);
  a->v = v;
  a->cap = cap;
}

typedef struct { u8 *v; u32 len; u32 cap; } Bytes;

static void bytes_reserve(Bytes *b, u32 extra) {
  if (b->len + extra <= b->cap) return;
  u32 cap = b->cap ? b->cap : 4096;
  while (cap < b->len + extra) cap *= 2;
  u8 *v = alloc(cap);
  copy(v, b->v, b->len);
  b->v = v;
  b->cap = cap;
}

/* Marks of the open invocation: address, size, offset of the saved bytes in `old`. */
static Vec mark_addr, mark_size, mark_off;
static u32 mark_count;
static Bytes old;

/* Exit scratch: sorting order, merged ranges, the ranges' epoch-start image and current bytes. */
static Vec order, range_start, range_end, range_img, mark_range, run_start, run_end;
static Bytes image, current;

/* Finished records not yet handed to the host. */
static Bytes out;
static u32 out_count;
static u32 next_index;
static u32 result_count;
static u32 result_type;
/* Records are handed over as soon as `out` holds this many bytes (set by the host, so the log's
 * blocks end where the host's own encoder would end them). */
static u32 flush_at = 1u << 16;

/* The shape of the block's last record, when the next may repeat it (log format v2, the "repeat"
 * form; src/log/record-shape.ts): it returned and only wrote, at these ranges. */
static u32 shape_valid;
static u32 shape_count;
static Vec shape_addr, shape_len;

EXPORT("configure") void configure(u32 first_index, u32 results, u32 type_code) {
  next_index = first_index;
  result_count = results;
  result_type = type_code;
  shape_valid = 0;
}

/* The host hands the core its block's last record shape when the core takes the block over (the
 * adaptive strategy's switch to marks): run i is `len` bytes at `addr`, then set_shape(count)
 * makes them the shape. So the core's next record is a repeat exactly where the host's encoder
 * would write one, and every strategy writes the same bytes. */
EXPORT("set_shape_run") void set_shape_run(u32 i, u32 addr, u32 len) {
  reserve(&shape_addr, i + 1);
  reserve(&shape_len, i + 1);
  shape_addr.v[i] = addr;
  shape_len.v[i] = len;
}
EXPORT("set_shape") void set_shape(u32 count) {
  shape_count = count;
  shape_valid = 1;
}

/* Marks one invocation may make before the host hears of it (host_costly); none by default. */
static u32 mark_limit = 0xffffffffu;
EXPORT("set_mark_limit") void set_mark_limit(u32 n) { mark_limit = n; }

/* The shape of the block's last record, for the host when it takes the block over: valid (0 or
 * 1), its run count, and its runs' addresses and lengths. */
EXPORT("shape_valid") u32 get_shape_valid(void) { return shape_valid; }
EXPORT("shape_count") u32 get_shape_count(void) { return shape_count; }
EXPORT("shape_addrs") u32 get_shape_addrs(void) { return (u32)shape_addr.v; }
EXPORT("shape_lens") u32 get_shape_lens(void) { return (u32)shape_len.v; }

/* The host's block has room for `bytes` more record bytes; `block_empty` when it holds none yet
 * (the next record starts a block, so it cannot repeat the one before). */
EXPORT("set_flush_at") void set_flush_at(u32 bytes, u32 block_empty) {
  flush_at = bytes;
  if (block_empty) shape_valid = 0;
}
EXPORT("next_index") u32 get_next_index(void) { return next_index; }
EXPORT("mark_count") u32 get_mark_count(void) { return mark_count; }
EXPORT("mark_addrs") u32 get_mark_addrs(void) { return (u32)mark_addr.v; }
EXPORT("mark_sizes") u32 get_mark_sizes(void) { return (u32)mark_size.v; }
EXPORT("mark_offsets") u32 get_mark_offsets(void) { return (u32)mark_off.v; }
EXPORT("old_bytes") u32 get_old_bytes(void) { return (u32)old.v; }
EXPORT("clear_marks") void clear_marks(void) {
  mark_count = 0;
  old.len = 0;
}

/* Reads guest bytes [addr, addr + n) into `to`. */
static void read_guest(u8 *to, u32 addr, u32 n) {
  u32 i = 0;
  for (; i + 8 <= n; i += 8) {
    u64 v = guest_load64(addr + i);
    for (u32 k = 0; k < 8; k++) to[i + k] = (u8)(v >> (8 * k));
  }
  if (n - i >= 4) {
    u32 v = guest_load32(addr + i);
    for (u32 k = 0; k < 4; k++) to[i + k] = (u8)(v >> (8 * k));
    i += 4;
  }
  for (; i < n; i++) to[i] = (u8)guest_load8(addr + i);
}

/* The traced code is about to write `size` bytes at `addr`. */
EXPORT("mark") void mark(u32 addr, u32 size) {
  if (mark_count == mark_addr.cap) {
    reserve(&mark_addr, mark_count + 1);
    reserve(&mark_size, mark_count + 1);
    reserve(&mark_off, mark_count + 1);
  }
  bytes_reserve(&old, size);
  if (size == 4) {
    *(u32 *)(old.v + old.len) = guest_load32(addr); /* little-endian, like the guest */
  } else if (size == 8) {
    *(u64 *)(old.v + old.len) = guest_load64(addr);
  } else {
    read_guest(old.v + old.len, addr, size);
  }
  mark_addr.v[mark_count] = addr;
  mark_size.v[mark_count] = size;
  mark_off.v[mark_count] = old.len;
  old.len += size;
  mark_count++;
}

static void put_u8(u32 v) {
  bytes_reserve(&out, 1);
  out.v[out.len++] = (u8)v;
}

static void put_var(u64 v) {
  bytes_reserve(&out, 10);
  while (v >= 0x80) {
    out.v[out.len++] = (u8)(v | 0x80);
    v >>= 7;
  }
  out.v[out.len++] = (u8)v;
}

EXPORT("flush_now") __attribute__((noinline)) void flush_now(void) {
  if (out_count == 0) return;
  host_flush((u32)out.v, out.len, out_count);
  out.len = 0;
  out_count = 0;
}

/* Sorts order[0..n) by mark address (shell sort: few marks usually, no recursion, in place). */
static void sort_by_addr(u32 n) {
  u32 *o = order.v;
  u32 *a = mark_addr.v;
  u32 gap = 1;
  while (gap < n / 3) gap = gap * 3 + 1;
  for (; gap > 0; gap /= 3) {
    for (u32 i = gap; i < n; i++) {
      u32 k = o[i];
      u32 j = i;
      while (j >= gap && a[o[j - gap]] > a[k]) {
        o[j] = o[j - gap];
        j -= gap;
      }
      o[j] = k;
    }
  }
}

static u32 run_count;

static void push_run(u32 s, u32 e) {
  if (e <= s) return;
  reserve(&run_start, run_count + 1);
  reserve(&run_end, run_count + 1);
  run_start.v[run_count] = s;
  run_end.v[run_count] = e;
  run_count++;
}

/* A changed run, split around F's frames [lo, hi). */
static void emit_run(u32 s, u32 e, u32 lo, u32 hi) {
  if (s < lo) push_run(s, e < lo ? e : lo);
  if (e > hi) push_run(s > hi ? s : hi, e);
}

/* Emits the runs where `was` and `now` (the bytes of guest range [base, base + len)) differ,
 * merged across fewer than MERGE_GAP equal bytes, as memory-diff.ts does. */
static void diff_range(const u8 *was, const u8 *now, u32 base, u32 len, u32 lo, u32 hi) {
  int open = 0;
  u32 s = 0, e = 0;
  for (u32 i = 0; i < len; i++) {
    if (was[i] == now[i]) continue;
    u32 at = base + i;
    if (open && at - e < MERGE_GAP) {
      e = at + 1;
    } else {
      if (open) emit_run(s, e, lo, hi);
      open = 1;
      s = at;
      e = at + 1;
    }
  }
  if (open) emit_run(s, e, lo, hi);
}

/* Finds the changed runs of this invocation's marks (see mark-set.ts changedRuns). */
static void changed_runs(u32 lo, u32 hi) {
  run_count = 0;
  /* Marks deep inside F's frames cannot be part of a kept run. */
  u32 drop_lo = lo + MERGE_GAP;
  u32 drop_hi = hi > MERGE_GAP ? hi - MERGE_GAP : 0;
  u32 n = 0;
  for (u32 i = 0; i < mark_count; i++) {
    u32 a = mark_addr.v[i];
    u32 s = mark_size.v[i];
    if (drop_hi > drop_lo && a >= drop_lo && (u64)a + s <= drop_hi) continue;
    mark_addr.v[n] = a;
    mark_size.v[n] = s;
    mark_off.v[n] = mark_off.v[i];
    n++;
  }
  if (n == 0) return;
  mark_count = n;
  reserve(&order, n);
  reserve(&mark_range, n);
  for (u32 i = 0; i < n; i++) order.v[i] = i;
  sort_by_addr(n);
  /* Merge marked ranges closer than MERGE_GAP; each range gets a place in the image. */
  u32 ranges = 0;
  u32 img = 0;
  for (u32 i = 0; i < n; i++) {
    u32 k = order.v[i];
    u32 s = mark_addr.v[k];
    u32 e = s + mark_size.v[k];
    if (e == s) continue;
    if (ranges > 0 && (s < range_end.v[ranges - 1] || s - range_end.v[ranges - 1] < MERGE_GAP)) {
      if (e > range_end.v[ranges - 1]) range_end.v[ranges - 1] = e;
    } else {
      reserve(&range_start, ranges + 1);
      reserve(&range_end, ranges + 1);
      reserve(&range_img, ranges + 1);
      range_start.v[ranges] = s;
      range_end.v[ranges] = e;
      ranges++;
    }
    mark_range.v[k] = ranges - 1;
  }
  for (u32 r = 0; r < ranges; r++) {
    range_img.v[r] = img;
    img += range_end.v[r] - range_start.v[r];
  }
  image.len = 0;
  current.len = 0;
  bytes_reserve(&image, img);
  bytes_reserve(&current, img);
  for (u32 r = 0; r < ranges; r++) read_guest(current.v + range_img.v[r], range_start.v[r], range_end.v[r] - range_start.v[r]);
  copy(image.v, current.v, img);
  /* Epoch-start values: each mark's saved bytes, last mark first, so the first mark wins. */
  for (u32 i = n; i-- > 0;) {
    u32 size = mark_size.v[i];
    if (size == 0) continue;
    u32 r = mark_range.v[i];
    copy(image.v + range_img.v[r] + (mark_addr.v[i] - range_start.v[r]), old.v + mark_off.v[i], size);
  }
  /* Changed bytes, within each range. */
  for (u32 r = 0; r < ranges; r++) {
    u32 at = range_img.v[r];
    diff_range(image.v + at, current.v + at, range_start.v[r], range_end.v[r] - range_start.v[r], lo, hi);
  }
}

/* Whether this invocation's runs have the shape of the block's last record; else makes them the shape. */
static int repeats_shape(void) {
  int same = shape_valid && shape_count == run_count;
  for (u32 i = 0; same && i < run_count; i++) {
    same = shape_addr.v[i] == run_start.v[i] && shape_len.v[i] == run_end.v[i] - run_start.v[i];
  }
  if (same) return 1;
  reserve(&shape_addr, run_count);
  reserve(&shape_len, run_count);
  for (u32 i = 0; i < run_count; i++) {
    shape_addr.v[i] = run_start.v[i];
    shape_len.v[i] = run_end.v[i] - run_start.v[i];
  }
  shape_count = run_count;
  shape_valid = 1;
  return 0;
}

/* Ends a finished record at p: counts it, clears the marks, hands full blocks to the host. */
static inline void end_record(u8 *p) {
  out.len = (u32)(p - out.v);
  next_index++;
  out_count++;
  mark_count = 0;
  old.len = 0;
  if (out.len >= flush_at) flush_now();
}

static void finish_record(u32 sp_entry, u32 min_sp, u32 lo, u32 hi) {
  changed_runs(min_sp, sp_entry);
  int repeat = repeats_shape();
  if (repeat) {
    put_u8(FORM_REPEAT);
  } else {
    put_u8(FORM_FULL);
    put_var(next_index);
    put_u8(STATUS_RETURNED);
    put_var(run_count);
  }
  /* Runs come in address order inside ranges in address order, so one forward walk finds each run's range. */
  u32 r = 0;
  for (u32 i = 0; i < run_count; i++) {
    u32 s = run_start.v[i];
    u32 e = run_end.v[i];
    while (!(range_start.v[r] <= s && s < range_end.v[r])) r++;
    if (!repeat) {
      put_u8(EVENT_WRITE);
      put_var(s);
      put_var(e - s);
    }
    bytes_reserve(&out, e - s);
    copy(out.v + out.len, current.v + range_img.v[r] + (s - range_start.v[r]), e - s);
    out.len += e - s;
  }
  if (!repeat) put_var(result_count);
  if (result_count == 1) {
    if (!repeat) put_u8(result_type);
    put_var(((u64)hi << 32) | lo);
  }
  end_record(out.v + out.len);
}

/* Writes `v` as unsigned LEB128 at p; returns the end. */
static inline u8 *leb(u8 *p, u64 v) {
  while (v >= 0x80) {
    *p++ = (u8)(v | 0x80);
    v >>= 7;
  }
  *p++ = (u8)v;
  return p;
}

typedef struct __attribute__((packed)) { u64 v; } Unaligned64;

/* Stores 8 bytes at p, little-endian, whatever p's alignment. */
static inline void store_u64(u8 *p, u64 v) { ((Unaligned64 *)p)->v = v; }

/* leb() of a 32-bit value without a loop: the 7-bit groups spread over five bytes, continuation
 * bits set on all but the last, written as one 8-byte store (p needs 8 bytes of room). */
static inline __attribute__((always_inline)) u8 *leb32_wide(u8 *p, u32 v) {
  u32 n = (32 - (u32)__builtin_clz(v | 1) + 6) / 7;
  u64 e = (v & 0x7fu) | ((u64)(v & 0x3f80u) << 1) | ((u64)(v & 0x1fc000u) << 2) | ((u64)(v & 0xfe00000u) << 3) | ((u64)(v & 0xf0000000u) << 4);
  e |= 0x8080808080ull & ((1ull << (8 * (n - 1))) - 1);
  store_u64(p, e);
  return p + n;
}

/* bytes_reserve(&out, extra), out of the hot path's line. */
static __attribute__((noinline)) void out_reserve(u32 extra) { bytes_reserve(&out, extra); }

/* The single-store record in the full form: its one run (if any) becomes the block's shape. */
static __attribute__((noinline)) void finish_single_full(u32 lo, u32 hi, u32 at, u32 len, u64 bytes) {
  reserve(&shape_addr, 1);
  reserve(&shape_len, 1);
  shape_addr.v[0] = at;
  shape_len.v[0] = len;
  shape_count = len != 0;
  shape_valid = 1;
  bytes_reserve(&out, 48);
  u8 *p = out.v + out.len;
  *p++ = FORM_FULL;
  p = leb(p, next_index);
  *p++ = STATUS_RETURNED;
  *p++ = (u8)(len != 0);
  if (len) {
    *p++ = EVENT_WRITE;
    p = leb(p, at);
    *p++ = (u8)len;
    store_u64(p, bytes);
    p += len;
  }
  *p++ = (u8)result_count;
  if (result_count == 1) {
    *p++ = (u8)result_type;
    p = leb(p, ((u64)hi << 32) | lo);
  }
  end_record(p);
}

/*
 * The commonest record: the invocation's only store was the one in the mark slot (at most 8
 * bytes, clear of F's frames), written directly from the slot's old and new bytes, without
 * reading the guest. Within 8 bytes every two changed bytes are fewer than MERGE_GAP apart, so
 * the changed bytes form one run, from the lowest to the highest byte that differs. Returns 0
 * when the case does not apply. This is the tiny-F hot path: only the repeat form is written
 * here, everything else (full form, block growth, other exits) is out of line, so that V8 compiles
 * exit0/exit1 into a small function with a small frame, and the LEB128 of an i32 result and the
 * changed bytes are written without loops. With all of it inlined into exit1 (a 22 KB function
 * that spilled its arguments on entry), 20M calls of bench/kernels/tiny-calls.c took 0.458-0.474 s
 * of guest time against 0.395-0.406 s (4 alternating runs each, 2026-12-03).
 */
static inline __attribute__((always_inline)) int finish_single(u32 sp_entry, u32 min_sp, u32 lo, u32 hi, u32 addr, u32 size, u64 was, u64 now) {
  if (addr < sp_entry && addr + size > min_sp) return 0;
  if (size < 8) now &= (1ull << (8 * size)) - 1;
  u64 diff = was ^ now;
  u32 first = 0, len = 0;
  if (diff) {
    first = (u32)__builtin_ctzll(diff) / 8;
    len = (63 - (u32)__builtin_clzll(diff)) / 8 - first + 1;
  }
  u64 bytes = now >> (8 * first);
  /* repeats_shape for at most one run, without the run arrays. */
  int repeat = shape_valid && shape_count == (len != 0) && (!len || (shape_addr.v[0] == addr + first && shape_len.v[0] == len));
  if (!repeat) {
    finish_single_full(lo, hi, addr + first, len, bytes);
    return 1;
  }
  if (out.len + 48 > out.cap) out_reserve(48);
  u8 *p = out.v + out.len;
  *p++ = FORM_REPEAT;
  store_u64(p, bytes); /* the changed bytes, lowest first: the first len bytes of the 8 count */
  p += len;
  if (result_count == 1) p = hi == 0 ? leb32_wide(p, lo) : leb(p, ((u64)hi << 32) | lo);
  end_record(p);
  return 1;
}

/* Makes the slot's store the invocation's first mark, ahead of those the core took. */
static void prepend_slot(u32 addr, u32 size, u64 was) {
  reserve(&mark_addr, mark_count + 1);
  reserve(&mark_size, mark_count + 1);
  reserve(&mark_off, mark_count + 1);
  for (u32 i = mark_count; i > 0; i--) {
    mark_addr.v[i] = mark_addr.v[i - 1];
    mark_size.v[i] = mark_size.v[i - 1];
    mark_off.v[i] = mark_off.v[i - 1];
  }
  bytes_reserve(&old, size);
  for (u32 k = 0; k < size; k++) old.v[old.len + k] = (u8)(was >> (8 * k));
  mark_addr.v[0] = addr;
  mark_size.v[0] = size;
  mark_off.v[0] = old.len;
  old.len += size;
  mark_count++;
}

/* F returned. `used`: the slot holds the invocation's first store (`size` bytes at `addr`, which
 * held `was` and were set to `now`); the marks the core took came after it. */
static __attribute__((noinline)) void exit_other(u32 sp_entry, u32 min_sp, u32 flag, u32 lo, u32 hi, u32 used, u32 addr, u32 size, u64 was) {
  if (used) prepend_slot(addr, size, was);
  if (flag) {
    /* A global changed or memory grew: the host records this invocation, marks included. It
     * takes the core's last shape first (shape_*), and hands its own back when it configures
     * the core again (set_shape), so repeats fall where host-only recording puts them. */
    flush_now();
    host_slow_exit(sp_entry, min_sp, flag, lo, hi);
    return;
  }
  u32 marks = mark_count;
  finish_record(sp_entry, min_sp, lo, hi);
  if (marks > mark_limit) {
    flush_now();
    host_costly();
  }
}

static inline __attribute__((always_inline)) void exit_any(u32 sp_entry, u32 min_sp, u32 flag, u32 lo, u32 hi, u32 used, u32 addr, u32 size, u64 was, u64 now) {
  if (used && !flag && mark_count == 0 && finish_single(sp_entry, min_sp, lo, hi, addr, size, was, now)) return;
  exit_other(sp_entry, min_sp, flag, lo, hi, used, addr, size, was);
}

/* F returned (no results / one result as two 32-bit halves of its bit pattern), then the slot. */
EXPORT("exit0") void exit0(u32 sp_entry, u32 min_sp, u32 flag, u32 used, u32 addr, u32 size, u64 was, u64 now) {
  exit_any(sp_entry, min_sp, flag, 0, 0, used, addr, size, was, now);
}
EXPORT("exit1") void exit1(u32 sp_entry, u32 min_sp, u32 flag, u32 lo, u32 hi, u32 used, u32 addr, u32 size, u64 was, u64 now) {
  exit_any(sp_entry, min_sp, flag, lo, hi, used, addr, size, was, now);
}
