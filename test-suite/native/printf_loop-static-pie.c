/* The same program linked static-pie (see mk/native.mk). */
#include "printf_loop.c"
