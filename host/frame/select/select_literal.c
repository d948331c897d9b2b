#include "frame/select/select_literal.h"

#include "frame/table/table.h"

static int skip_alias(const weft__bound *b, int i) {
  while (b->nodes[i].e->kind == WEFT__E_ALIAS) i = b->nodes[i].a;
  return i;
}

static int is_false_literal(const weft__bnode *n) {
  weft_expr_info info;
  if (weft_expr_inspect(n->e, &info) != WEFT_OK) return 0;
  return info.kind == WEFT_EXPR_LITERAL && !info.is_null && n->type == WEFT_TYPE_BOOL &&
         info.int_value == 0;
}

static int zero_one_type(weft_type t) {
  return t == WEFT_TYPE_BOOL || (t >= WEFT_TYPE_INT8 && t <= WEFT_TYPE_UINT64);
}

int weft__lit_value_plan(const weft__bound *b, weft__lit_pred *out) {
  if (b->nodes[b->root].nullable || !zero_one_type(b->nodes[b->root].type)) return 0;
  int i = skip_alias(b, b->root);
  if (b->nodes[i].e->kind == WEFT__E_CAST) i = skip_alias(b, b->nodes[i].a);
  int filled = 0;
  if (b->nodes[i].e->kind == WEFT__E_FILL_NULL) {
    if (b->nodes[i].b < 0 || !is_false_literal(&b->nodes[b->nodes[i].b])) return 0;
    i = skip_alias(b, b->nodes[i].a);
    filled = 1;
  }
  if (b->nodes[i].type != WEFT_TYPE_BOOL || (b->nodes[i].nullable && !filled)) return 0;
  weft__bound sub = *b;
  sub.root = i;
  return weft__lit_pred_plan(&sub, out);
}
