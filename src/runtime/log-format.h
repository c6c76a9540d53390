/* Generated from src/log/format.ts by src/log/format-header.ts (make log-format-h): do not edit. */
#ifndef ALPACA_LOG_FORMAT_H
#define ALPACA_LOG_FORMAT_H

/* How an invocation record is written (v2). */
#define FORM_FULL 0x00
#define FORM_REPEAT 0x01
/* How an invocation ended (v1), and the thread flag of its status byte (v4). */
#define STATUS_RETURNED 0x00
#define STATUS_EXITED 0x01
#define STATUS_TRAPPED 0x02
#define STATUS_THREAD_FLAG 0x80
/* Event tags inside an invocation record (v1). */
#define EVENT_WRITE 0x01
#define EVENT_GLOBAL 0x02
#define EVENT_GROW 0x03
#define EVENT_SYSCALL 0x04
/* Value types (v1). */
#define TYPE_I32 0x7f
#define TYPE_I64 0x7e
#define TYPE_F32 0x7d
#define TYPE_F64 0x7c
#define TYPE_V128 0x7b

#endif
