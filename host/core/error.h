/* Errors the nanoarrow way: a status code returned up the stack, plus a message with
 * context kept per thread. Nothing here prints. */
#ifndef WEFT_HOST_ERROR_H
#define WEFT_HOST_ERROR_H

#include "weft.h"

#if defined(__GNUC__)
#define WEFT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define WEFT_PRINTF(f, a)
#endif

/* Sets the calling thread's last error and returns `status`. */
weft_status weft__error(weft_status status, const char *fmt, ...) WEFT_PRINTF(2, 3);
/* Prefixes the current message with context ("axpy on opencl:0: ...") and returns status. */
weft_status weft__error_context(weft_status status, const char *fmt, ...) WEFT_PRINTF(2, 3);
void weft__error_clear(void);

#define WEFT_RETURN_NOT_OK(expr)                 \
  do {                                           \
    weft_status weft__st_ = (expr);              \
    if (weft__st_ != WEFT_OK) return weft__st_;  \
  } while (0)

#define WEFT_CHECK_ARG(cond, ...)                                        \
  do {                                                                   \
    if (!(cond)) return weft__error(WEFT_ERR_INVALID_ARGUMENT, __VA_ARGS__); \
  } while (0)

#endif
