/* A select or with_columns expression whose value is a predicate filter_literal.c can plan
 * (OneHot's `(col(c) == v).cast("uint8")`, `(col(c) == v).fill_null(False)`, a range test)
 * is computed as a filter's keep bytes, straight from the column's own type, instead of by
 * the interpreter's 8-byte lanes a node at a time: about 5x fewer passes over the rows. */
#ifndef WEFT_HOST_FRAME_SELECT_SELECT_LITERAL_H
#define WEFT_HOST_FRAME_SELECT_SELECT_LITERAL_H

#include "frame/select/filter_literal.h"

/* 1 when every row's value of the bound expression is its keep byte under `out`: the root,
 * under aliases, is such a predicate with no null row, or its fill_null(False), optionally
 * cast to bool or an integer type (0 / 1), and the result has no nulls. */
int weft__lit_value_plan(const weft__bound *b, weft__lit_pred *out);

#endif
