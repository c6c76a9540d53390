/* bench/native-hot.c: a 40 ns function called n times (the e2e case passes a small n). Its log
 * is all plain returns, so the disabled run replays it in process and the baseline run has no
 * stop at F. */
#include "../../bench/native-hot.c"
