/* The same program linked static (see mk/native.mk). */
#include "printf_loop.c"
