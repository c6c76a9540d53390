/* heap.c linked -static: malloc inside F with a static libc. */
#include "heap.c"
