/*
 * The replay core: applies invocation records of the effect log without entering JavaScript,
 * for disabled and control runs. F's replacement body in the disabled module (and the control
 * module's body after F ran) calls `replay_next` through the hook table, a Wasm-to-Wasm call;
 * the core reads the next record from a block of the log the host copied into its own memory,
 * writes its bytes into guest memory through store functions the guest module exports, and
 * keeps F's result for `result_bits`. So a tiny F is replayed for about the cost of its writes.
 *
 * It is a separate instance with its own memory, so the guest cannot see it (Node 20 has no
 * multi-memory). It takes only the simple records: returned, events all writes, at most one
 * result of F's own type, fewer than BIG_EVENTS writes, every write inside guest memory, in the
 * log's full or repeat form (docs/log-format.md, v2). Anything else it defers: it stops at that
 * record, gives the rest of the block back to the host (`defer_pos`, and `resume_pos` where the
 * host must start reading to know a repeat record's shape), and returns 0; the host's replayer
 * (src/runtime/replayer.ts) applies the record, and gives the block back (`resume`) when the
 * next record cannot be a repeat of it, else reads on to the block's end and hands the core the
 * next block. The log was checked whole before the run (openLog), so the core trusts its
 * syntax but checks every bound it relies on.
 *
 * Built by `make cores` (clang --target=wasm32, no libc; mk/cores.mk); the .wasm beside this file
 * is the committed build output, checked against this source by src/runtime/cores.test.ts.
 */
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

#define IMPORT(name) __attribute__((import_module("alpaca"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

IMPORT("store8") void guest_store8(u32 addr, u32 value);
IMPORT("store32") void guest_store32(u32 addr, u32 value);
IMPORT("store64") void guest_store64(u32 addr, u64 value);
IMPORT("pages") u32 guest_pages(void);

/* Record forms, event tags, statuses and value types of the log format (src/log/format.ts). */
#include "log-format.h"

/* A block of the log; the host writes one in with load_block. */
#define BUFFER_BYTES (1u << 20)
/* Write ranges of one record the core keeps for repeat records. */
#define SHAPE_RANGES 1024
/* Records with this many writes or bytes or more go to the host, whose write applier and copies
 * are faster for them than a call per 8 bytes. */
#define BIG_EVENTS 256
#define BIG_BYTES 65536

static u8 buffer[BUFFER_BYTES];
static u32 pos, end;
static int owned;

static u32 shape_addr[SHAPE_RANGES], shape_len[SHAPE_RANGES];
/* Ranges of the last full record when it can be repeated, else -1. */
static int shape_count = -1;
static u32 shape_pos;

/* F's result type (0: none), and the last applied record's result bits. */
static u32 result_type;
static u64 result;

/* Guest memory size in bytes as last asked: memory only grows, so a write inside it needs no call. */
static u64 memory_bytes;

static u32 defer_at, resume_at;
static u64 applied, applied_bytes;

EXPORT("buffer") u32 buffer_address(void) { return (u32)buffer; }
EXPORT("buffer_bytes") u32 buffer_bytes(void) { return BUFFER_BYTES; }
EXPORT("result_bits") u64 result_bits(void) { return result; }
EXPORT("defer_pos") u32 defer_pos(void) { return defer_at; }
EXPORT("resume_pos") u32 resume_pos(void) { return resume_at; }
EXPORT("applied") u32 applied_count(void) { return (u32)applied; }
EXPORT("applied_bytes") u64 applied_byte_count(void) { return applied_bytes; }
EXPORT("owned") u32 is_owned(void) { return (u32)owned; }

/* F's result type code, or 0 when F returns nothing. */
EXPORT("init") void init(u32 type) { result_type = type; }

/* The host copied a block's payload of `len` bytes to `buffer`: the core owns it now. */
EXPORT("load_block") void load_block(u32 len) {
  pos = 0;
  end = len;
  owned = 1;
  shape_count = -1;
}

/* The host applied records up to `at` of the current block, the last of which no record can repeat. */
EXPORT("resume") void resume(u32 at) {
  pos = at;
  owned = 1;
  shape_count = -1;
}

/* LEB128 unsigned, at most 64 bits; sets *ok to 0 past the block. */
static u64 read_var(u32 *p, int *ok) {
  u64 v = 0;
  u32 shift = 0;
  for (;;) {
    if (*p >= end || shift > 63) {
      *ok = 0;
      return 0;
    }
    u8 b = buffer[(*p)++];
    v |= (u64)(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
    shift += 7;
  }
}

static u64 load64(u32 at) {
  u64 v;
  __builtin_memcpy(&v, buffer + at, 8);
  return v;
}

static u32 load32(u32 at) {
  u32 v;
  __builtin_memcpy(&v, buffer + at, 4);
  return v;
}

/* Copies `len` bytes of the block at `from` to guest address `addr`. */
static void put(u32 addr, u32 from, u32 len) {
  u32 i = 0;
  for (; i + 8 <= len; i += 8) guest_store64(addr + i, load64(from + i));
  if (i + 4 <= len) {
    guest_store32(addr + i, load32(from + i));
    i += 4;
  }
  for (; i < len; i++) guest_store8(addr + i, buffer[from + i]);
}

static int inside_memory(u64 addr, u64 len) {
  if (addr + len <= memory_bytes) return 1;
  memory_bytes = (u64)guest_pages() * 65536u;
  return addr + len <= memory_bytes;
}

/* The record at `start` is the host's, and so is the rest of the block. */
static u32 defer(u32 start, u32 resume) {
  defer_at = start;
  resume_at = resume;
  owned = 0;
  return 0;
}

/* Reads F's result (type byte already checked) into `result`. */
static int read_result(u32 *p) {
  int ok = 1;
  u64 bits = read_var(p, &ok);
  if (ok) result = bits;
  return ok;
}

static u32 apply_repeat(u32 start) {
  if (shape_count < 0) return defer(start, shape_pos);
  u32 p = start + 1;
  for (int i = 0; i < shape_count; i++) {
    if (shape_len[i] > end - p || !inside_memory(shape_addr[i], shape_len[i])) return defer(start, shape_pos);
    p += shape_len[i];
  }
  u32 bytes_at = start + 1;
  for (int i = 0; i < shape_count; i++) {
    put(shape_addr[i], bytes_at, shape_len[i]);
    bytes_at += shape_len[i];
  }
  if (result_type && !read_result(&p)) return defer(start, shape_pos);
  pos = p;
  applied++;
  applied_bytes += bytes_at - start - 1;
  return 1;
}

/*
 * A full record in one pass: each write is stored as it is read. If a later event makes the
 * record the host's, the writes already stored are harmless: the host applies the whole record
 * again, in order, and each write leaves the same bytes.
 */
static u32 apply_full(u32 start) {
  int ok = 1;
  u32 p = start + 1;
  read_var(&p, &ok); /* invocation index: consecutive, checked by openLog */
  if (!ok || p >= end || buffer[p++] != STATUS_RETURNED) return defer(start, start);
  u64 n = read_var(&p, &ok);
  if (!ok || n >= BIG_EVENTS) return defer(start, start);
  u64 bytes = 0;
  for (u32 i = 0; i < (u32)n; i++) {
    if (p >= end || buffer[p++] != EVENT_WRITE) return defer(start, start);
    u64 addr = read_var(&p, &ok);
    u64 len = read_var(&p, &ok);
    if (!ok || len > end - p || !inside_memory(addr, len)) return defer(start, start);
    bytes += len;
    if (bytes >= BIG_BYTES) return defer(start, start);
    put((u32)addr, p, (u32)len);
    shape_addr[i] = (u32)addr;
    shape_len[i] = (u32)len;
    p += (u32)len;
  }
  u64 m = read_var(&p, &ok);
  if (!ok || m != (result_type ? 1u : 0u)) return defer(start, start);
  if (result_type) {
    if (p >= end || buffer[p++] != result_type || !read_result(&p)) return defer(start, start);
  }
  shape_count = (int)n;
  shape_pos = start;
  pos = p;
  applied++;
  applied_bytes += bytes;
  return 1;
}

/* The common case of a tiny F, inline: a repeat of one 4- or 8-byte write. 1 when applied. */
static inline __attribute__((always_inline)) u32 replay_small_repeat(void) {
  u32 start = pos;
  if (shape_count != 1 || start >= end || buffer[start] != FORM_REPEAT) return 0;
  u32 len = shape_len[0], addr = shape_addr[0], p = start + 1;
  if (!((len == 4 || len == 8) && len + (result_type ? 1 : 0) <= end - p && (u64)addr + len <= memory_bytes)) return 0;
  if (result_type) {
    u8 b = buffer[p + len]; /* inside the block: checked above */
    if (b >= 0x80) return 0;
    result = b;
  }
  if (len == 4) guest_store32(addr, load32(p));
  else guest_store64(addr, load64(p));
  pos = p + len + (result_type ? 1 : 0);
  applied++;
  applied_bytes += len;
  return 1;
}

/* Applies the next record: 1 when done (result in result_bits), 0 when the host must. */
EXPORT("replay_next") u32 replay_next(void) {
  if (!owned) return 0;
  if (replay_small_repeat()) return 1;
  u32 start = pos;
  if (pos >= end) {
    owned = 0;
    defer_at = resume_at = end;
    return 0;
  }
  u8 form = buffer[start];
  if (form == FORM_REPEAT) return apply_repeat(start);
  if (form == FORM_FULL) return apply_full(start);
  return defer(start, start);
}

/* replay_next and F's result in one call, for an F with at most one 32-bit result: bit 32 set
 * when applied, the result in the low 32 bits. */
EXPORT("replay_packed") u64 replay_packed(void) {
  return replay_next() ? (1ull << 32) | (u32)result : 0;
}

/* Never set: a zero the compiler cannot fold (see replay_packed_after). */
static u32 dependency_mask;
EXPORT("set_dependency_mask") void set_dependency_mask(u32 m) { dependency_mask = m; }

/* replay_packed for a control run, called with F's result: the record's position is made to
 * depend on it (masked to nothing), so the replay cannot start before F has finished, as in a
 * disabled run the replay cannot overlap F. */
EXPORT("replay_packed_after") u64 replay_packed_after(u64 dependency) {
  pos += (u32)dependency & dependency_mask;
  return replay_packed();
}
