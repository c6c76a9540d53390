/* returns.c linked -no-pie: fixed addresses. */
#include "returns.c"
