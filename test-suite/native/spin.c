/* bench/native-spin.c: one call of a compute-heavy F (spin(n), about 7 instructions per
 * iteration), for the native energy end-to-end case. */
#include "../../bench/native-spin.c"
