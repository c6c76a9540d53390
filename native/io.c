/*
 * io.c: Frame I/O with the CLI: the output buffer, errors, the input frames.
 * Part of alpaca-native-helper (main.c has the overview); shared state in helper.h.
 */
#include "helper.h"

/* Output frames                                                                              */

uint8_t *obuf;
size_t olen, ocap, frame_at;

void out_reserve(size_t n) {
  if (olen + n <= ocap) return;
  size_t cap = ocap ? ocap : 1 << 16;
  while (cap < olen + n) cap *= 2;
  uint8_t *p = realloc(obuf, cap);
  if (!p) abort();
  obuf = p;
  ocap = cap;
}
void put_bytes(const void *p, size_t n) {
  out_reserve(n);
  memcpy(obuf + olen, p, n);
  olen += n;
}
void put8(uint8_t v) { put_bytes(&v, 1); }
void put16(uint16_t v) { put_bytes(&v, 2); }
void put32(uint32_t v) { put_bytes(&v, 4); }
void put64(uint64_t v) { put_bytes(&v, 8); }
void begin_frame(uint8_t type) {
  frame_at = olen;
  put32(0);
  put8(type);
}
void end_frame(void) {
  uint32_t len = (uint32_t)(olen - frame_at - 4);
  memcpy(obuf + frame_at, &len, 4);
}

void kill_target(void) {
  if (tgid > 0) kill(tgid, SIGKILL);
}

void write_all(const uint8_t *p, size_t n) {
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
void flush_out(void) {
  write_all(obuf, olen);
  olen = 0;
}

/* Reports an error to the CLI, kills the target and exits. */
void die(uint32_t code, uint64_t addr, const char *fmt, ...) {
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

uint8_t *ibuf;
size_t ilen, icap, ipos;

void read_all(void *p, size_t n) {
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
uint8_t read_frame(void) {
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
void get_bytes(void *p, size_t n) {
  if (ipos + n > ilen) die(ERR_INTERNAL, 0, "short command frame (type %u)", ibuf[0]);
  memcpy(p, ibuf + ipos, n);
  ipos += n;
}
uint32_t get32(void) { uint32_t v; get_bytes(&v, 4); return v; }
uint64_t get64(void) { uint64_t v; get_bytes(&v, 8); return v; }
