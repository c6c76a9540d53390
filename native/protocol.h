/*
 * Wire protocol between the Alpaca CLI (src/native/protocol.ts mirrors every constant here; a
 * unit test compares the two files) and alpaca-native-helper.
 *
 * Transport: the socket the CLI passes as fd 3. Every message, both ways, is one frame:
 *   u32 LE length of (type + payload) · u8 type · payload (little-endian fields)
 * The helper talks first (HELLO, at the target's exec stop) and from then on alternates: it
 * reports an event, then serves commands until one of them resumes the target.
 */
#ifndef ALPACA_PROTOCOL_H
#define ALPACA_PROTOCOL_H

#define PROTOCOL_VERSION 3

/* Helper -> CLI. */
#define H_HELLO 1          /* u32 version, u32 pid, u64 AT_ENTRY, u32 xsave area bytes, u64 stub
                              code page, u64 stub data area (0 when not reserved) */
#define H_EXIT 2           /* u8 kind (0 exited, 1 killed by a signal, 2 killed by a signal another
                              process sent, or SIGKILL), i32 code or signal, u64 the stub's call
                              counter at the last thread exit (0 without a stub), u64 user and
                              u64 system CPU µs of the target and the helper */
#define H_ENTRY 3          /* u64 rsp, u64 return address, u32 thread ordinal (0 the leader):
                              stopped at F's first instruction */
#define H_DECODE 4         /* u64 addr, u16 n, n bytes of code at addr */
#define H_WRITES 5         /* u32 count, count x (u64 addr, u32 len, len bytes) */
#define H_SYSCALL_ENTER 6  /* u64 nr, 6 x u64 args */
#define H_SYSCALL_EXIT 7   /* u64 result (rax) */
#define H_RETURN 8         /* u64 rax, u64 rdx, 16 bytes xmm0, 16 bytes xmm1, u64 steps, u64 ns
                              from F's entry stop to its return, measured by the helper */
#define H_MEM 9            /* u8 ok, bytes */
#define H_RESULT 10        /* u64 value: result of INJECT */
#define H_OK 11            /* command done */
#define H_ERROR 12         /* u32 code, u64 addr, message bytes (rest of frame) */
#define H_ESCAPED 13       /* u64 rip, u64 rsp: F left its frame without returning (longjmp) */
#define H_INPUT 14         /* u8 inside F, u64 nr, 6 x u64 args: an input syscall (--inputs) at its
                              seccomp stop, outside the analysis engines; answer N_CONT (run it:
                              H_SYSCALL_EXIT follows) or N_ANSWER */

/* H_ERROR codes. */
#define ERR_INTERNAL 1
#define ERR_UNSUPPORTED_INSN 2  /* addr = instruction the decoder marked unsupported */
#define ERR_EXEC 3              /* the target could not be executed; message says why */
#define ERR_PTRACE 4            /* ptrace refused (permission); message says why */
#define ERR_MEMORY 5            /* a read or write of target memory failed */
#define ERR_ENGINE 6            /* the page-tracking engine is not available here; message says why */
#define ERR_THREADS 7           /* F cannot run while the other threads are held; message says why */

/* CLI -> helper. */
#define N_CONT 1        /* resume the target (after HELLO, a syscall stop, a RETURN) */
#define N_SET_BP 2      /* u64 addr: breakpoint at F */
#define N_DECODED 3     /* u32 count, count x DECODE_RECORD_BYTES records */
#define N_READ 4        /* u64 addr, u32 len -> H_MEM */
#define N_WRITE 5       /* u64 addr, bytes -> H_OK or H_ERROR */
#define N_INJECT 6      /* u64 nr, 6 x u64 args -> H_RESULT (or H_EXIT if it ended the process) */
#define N_TRACE 7       /* at ENTRY: single-step this invocation (analyze) */
#define N_RUN 8         /* at ENTRY: let F run natively until it returns (baseline) */
#define N_RETURN 9      /* at ENTRY: u64 rax, u64 rdx, 16 bytes xmm0, 16 bytes xmm1; return from F */
#define N_DETACH 10     /* after HELLO: stop tracing, just wait for the exit (plain runs) */
#define N_KILL 11       /* u32 signal: end the target with this signal */
#define N_TRACE_PAGES 12 /* at ENTRY: run this invocation natively, tracking written pages (analyze) */
#define N_WRITES 13     /* u8 flags, u32 count, count x (u64 addr, u32 len, bytes) -> H_OK */
#define N_ANSWER 15     /* at H_INPUT: u64 result; the syscall is skipped and returns this value */
#define N_PATCH 16      /* u64 addr, u64 stub int3 address, u64 stub counter address, 1-16 bytes:
                           write the bytes at addr (F's entry), keeping the original ones -> H_OK */
#define N_UNPATCH 17    /* put F's original bytes back -> H_OK */
#define N_TRACE_ALL 18  /* u8 N_TRACE or N_TRACE_PAGES: analyze every call so; ENTRY and RETURN then
                           wait for no answer -> H_OK */

/* N_WRITES flags. */
#define W_IF_DIFFERENT 1 /* leave a range alone when the target already holds those bytes */

/*
 * Decode record (CLI -> helper), DECODE_RECORD_BYTES bytes, one per instruction address:
 *   0 u64 addr · 8 i64 disp · 16 u32 size · 20 u8 len · 21 u8 kind · 22 u8 seg · 23 u8 base
 *   24 u8 index · 25 u8 scale · 26 u8 flags · 27 u8 bitreg · 28..31 zero
 * base/index/bitreg are indices into struct user_regs_struct viewed as u64[27] (RID_*),
 * RID_NONE or RID_RIP.
 */
#define DECODE_RECORD_BYTES 32

#define K_NONE 0         /* writes no memory */
#define K_MEM 1          /* writes size bytes at seg:[base + index*scale + disp] */
#define K_PUSH 2         /* writes size bytes just below rsp (push, call, pushf, enter) */
#define K_BTMEM 3        /* bts/btr/btc mem, reg: address moved by the signed bit offset in bitreg */
#define K_SYSCALL 4      /* the syscall instruction */
#define K_UNSUPPORTED 5  /* a write the helper cannot locate (VSIB scatter, undecodable) */

#define F_REP 1     /* rep prefix on a string store: rcx elements, direction from DF */
#define F_ADDR32 2  /* 0x67 prefix: 32-bit effective address */
#define F_XSAVE 4   /* XSAVE/XSAVEOPT: extent from EDX:EAX & XCR0 and CPUID 0xD offsets */
#define F_POP 8     /* pop to memory: rsp is incremented by size before the address is formed */
#define F_XSAVEC 16 /* XSAVEC: compacted extent from EDX:EAX & XCR0 and CPUID 0xD sizes */

#define SEG_NONE 0
#define SEG_FS 1
#define SEG_GS 2

#define RID_NONE 0xff
#define RID_RIP 0xfe

#endif
