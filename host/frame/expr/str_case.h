/* str.to_uppercase / str.to_lowercase with Unicode's full case mappings, as Polars (Rust's
 * str::to_uppercase) gives them: "ß" -> "SS", a final "Σ" -> "ς", "İ" -> "i̇". */
#ifndef WEFT_FRAME_EXPR_STR_CASE_H
#define WEFT_FRAME_EXPR_STR_CASE_H

#include "frame/expr/expr.h"

/* The most bytes a string's case mapping can take per byte of it: Unicode's special casings
 * map one code point to at most three, and none grows more than 3x in UTF-8 ("ΐ", 2 bytes,
 * upper-cases to 6). */
#define WEFT__STR_CASE_GROWTH 3

/* Maps the n strings of `in` (sp/sl, valid rows only) into `out`'s buffer, which must hold
 * WEFT__STR_CASE_GROWTH times their bytes: ASCII strings byte by byte, others through ICU.
 * An error for a string that is not valid UTF-8 or when weft was built without ICU. */
weft_status weft__str_case_map(int upper, const weft__vec *in, weft__vec *out, int64_t n);

#endif
