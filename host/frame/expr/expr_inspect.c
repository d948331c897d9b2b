/* weft_expr_inspect: an expression node as the public weft_expr_info, so a caller can
 * translate a tree (scan_parquet's predicate to pyarrow) without seeing weft_expr. */
#include <string.h>

#include "core/error.h"
#include "frame/expr/expr.h"

static weft_expr_kind public_kind(weft__expr_kind k) {
  switch (k) {
    case WEFT__E_COLUMN: return WEFT_EXPR_COLUMN;
    case WEFT__E_LITERAL: return WEFT_EXPR_LITERAL;
    case WEFT__E_BINARY: return WEFT_EXPR_BINARY;
    case WEFT__E_UNARY: return WEFT_EXPR_UNARY;
    case WEFT__E_CAST: return WEFT_EXPR_CAST;
    case WEFT__E_FILL_NULL: return WEFT_EXPR_FILL_NULL;
    case WEFT__E_CONTAINS: return WEFT_EXPR_STR_CONTAINS;
    case WEFT__E_STARTS_WITH: return WEFT_EXPR_STR_STARTS_WITH;
    case WEFT__E_ALIAS: return WEFT_EXPR_ALIAS;
    default: return WEFT_EXPR_OTHER;
  }
}

weft_status weft_expr_inspect(const weft_expr *e, weft_expr_info *info) {
  WEFT_CHECK_ARG(e && info, "weft_expr_inspect: expr and info must not be NULL");
  memset(info, 0, sizeof *info);
  info->kind = public_kind(e->kind);
  info->op = e->op;
  info->type = e->type;
  info->is_null = e->is_null;
  info->int_value = e->i;
  info->float_value = e->f;
  info->text = e->s;
  info->a = e->a;
  info->b = e->b;
  return WEFT_OK;
}
