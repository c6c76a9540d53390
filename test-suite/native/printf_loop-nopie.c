/* The same program linked nopie (see mk/native.mk). */
#include "printf_loop.c"
