/* weft__program: bound expressions merged into one graph, equal subtrees once (see
 * expr_shared.h). Built after binding, from the bound nodes: types and lanes are resolved,
 * so two nodes are equal exactly when they compute the same values chunk for chunk. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "frame/expr/expr_shared.h"

static int known_kind(weft__expr_kind k) {
  switch (k) {
    case WEFT__E_COLUMN: case WEFT__E_LITERAL: case WEFT__E_BINARY: case WEFT__E_UNARY:
    case WEFT__E_CAST: case WEFT__E_FILL_NULL: case WEFT__E_CONTAINS: case WEFT__E_STARTS_WITH:
      return 1;
    default: return 0; /* ALIAS (its child's buffers are swapped in) and kinds added later */
  }
}

static int same_text(const char *a, const char *b) {
  return a == b || (a && b && !strcmp(a, b));
}

typedef struct builder {
  weft__bnode *nodes;
  int *canon, *keep_apart, *reps;
  int nreps;
} builder;

static int same_node(const builder *b, int x, int y);

/* Merged children are equal when their indices are; a child kept apart (its parent
 * overwrites it) is its parent's own, so it compares by structure: two equal parents then
 * merge and the copy's child is dropped, leaving the child one parent still. */
static int same_child(const builder *b, int x, int y) {
  if (x == y) return 1;
  if (x < 0 || y < 0 || !b->keep_apart[x] || !b->keep_apart[y]) return 0;
  return same_node(b, x, y);
}

static int same_node(const builder *b, int i, int j) {
  const weft__bnode *x = &b->nodes[i], *y = &b->nodes[j];
  if (x->type != y->type || x->lane != y->lane || x->nullable != y->nullable || x->col != y->col ||
      !same_child(b, x->a, y->a) || !same_child(b, x->b, y->b))
    return 0;
  const weft_expr *e = x->e, *f = y->e;
  if (e == f) return 1;
  if (e->kind != f->kind || !known_kind(e->kind)) return 0;
  return e->op == f->op && e->type == f->type && e->is_null == f->is_null && e->i == f->i &&
         !memcmp(&e->f, &f->f, sizeof e->f) && same_text(e->s, f->s);
}

/* The lane a binary operator brings its operands to (expr_eval.c's eval_binary). */
static int operand_lane(const weft__bnode *nodes, const weft__bnode *p) {
  int op = p->e->op;
  if (op == WEFT_OP_DIV) return WEFT__LANE_F;
  if (op < WEFT_OP_EQ) return p->lane;
  int la = nodes[p->a].lane, lb = nodes[p->b].lane;
  if (la == WEFT__LANE_S) return la;
  return la == WEFT__LANE_F || lb == WEFT__LANE_F ? WEFT__LANE_F : WEFT__LANE_I;
}

static int canon_of(builder *b, int j) {
  if (j < 0 || b->canon[j] >= 0) return j < 0 ? -1 : b->canon[j];
  weft__bnode *nd = &b->nodes[j];
  nd->a = canon_of(b, nd->a);
  nd->b = canon_of(b, nd->b);
  b->canon[j] = j;
  if (b->keep_apart[j]) return j;
  for (int r = 0; r < b->nreps; r++) {
    int k = b->reps[r];
    if (same_node(b, k, j)) return b->canon[j] = k;
  }
  b->reps[b->nreps++] = j;
  return j;
}

static void mark(const weft__bnode *nodes, int j, int *live, int *uses) {
  if (j < 0) return;
  if (uses[j]++) return;
  live[j] = 1;
  mark(nodes, nodes[j].a, live, uses);
  mark(nodes, nodes[j].b, live, uses);
}

weft_status weft__program_build(const weft__bound *parts, size_t n, weft__program *out) {
  memset(out, 0, sizeof *out);
  int total = 0;
  for (size_t i = 0; i < n; i++) total += parts[i].n;
  size_t cap = (size_t)(total ? total : 1);
  builder b = {weft__malloc(cap * sizeof *b.nodes), weft__malloc(cap * sizeof(int)), weft__calloc(cap, sizeof(int)),
               weft__malloc(cap * sizeof(int)), 0};
  int *live = weft__calloc(cap, sizeof *live), *uses = weft__calloc(cap, sizeof *uses), *at = weft__malloc(cap * sizeof *at);
  out->roots = weft__malloc((n ? n : 1) * sizeof *out->roots);
  out->n = n;
  weft_status st = b.nodes && b.canon && b.keep_apart && b.reps && live && uses && at && out->roots
                       ? WEFT_OK
                       : weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory to merge expressions");
  if (st == WEFT_OK) {
    int base = 0;
    for (size_t i = 0; i < n; i++) {
      for (int j = 0; j < parts[i].n; j++) {
        weft__bnode nd = parts[i].nodes[j];
        if (nd.a >= 0) nd.a += base;
        if (nd.b >= 0) nd.b += base;
        b.nodes[base + j] = nd;
        b.canon[base + j] = -1;
      }
      out->roots[i] = parts[i].n ? base + parts[i].root : -1;
      base += parts[i].n;
    }
    /* nodes a parent overwrites: an alias's child, an integer operand widened to float */
    for (int j = 0; j < total; j++) {
      const weft__bnode *p = &b.nodes[j];
      if (p->e->kind == WEFT__E_ALIAS && p->a >= 0) b.keep_apart[p->a] = 1;
      if (p->e->kind != WEFT__E_BINARY || p->e->op == WEFT_OP_AND || p->e->op == WEFT_OP_OR) continue;
      int lane = operand_lane(b.nodes, p);
      if (lane == WEFT__LANE_F && b.nodes[p->a].lane != WEFT__LANE_F) b.keep_apart[p->a] = 1;
      if (lane == WEFT__LANE_F && b.nodes[p->b].lane != WEFT__LANE_F) b.keep_apart[p->b] = 1;
    }
    for (size_t i = 0; i < n; i++) out->roots[i] = canon_of(&b, out->roots[i]);
    /* keep the nodes the roots reach, in order */
    for (size_t i = 0; i < n; i++) mark(b.nodes, out->roots[i], live, uses);
    int m = 0;
    for (int j = 0; j < total; j++) at[j] = live[j] ? m++ : -1;
    out->bound.nodes = weft__malloc((size_t)(m ? m : 1) * sizeof *out->bound.nodes);
    if (!out->bound.nodes) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory to merge expressions");
    for (int j = 0; st == WEFT_OK && j < total; j++) {
      if (!live[j]) continue;
      weft__bnode nd = b.nodes[j];
      nd.a = nd.a >= 0 ? at[nd.a] : -1;
      nd.b = nd.b >= 0 ? at[nd.b] : -1;
      out->bound.nodes[at[j]] = nd;
      out->shared |= uses[j] > 1;
      out->shared_exprs += uses[j] > 1 && nd.e->kind != WEFT__E_COLUMN && nd.e->kind != WEFT__E_LITERAL;
    }
    out->bound.n = out->bound.cap = m;
    for (size_t i = 0; i < n; i++) out->roots[i] = out->roots[i] >= 0 ? at[out->roots[i]] : -1;
    out->bound.root = n ? out->roots[0] : -1;
  }
  free(b.nodes), free(b.canon), free(b.keep_apart), free(b.reps), free(live), free(uses), free(at);
  if (st != WEFT_OK) weft__program_free(out);
  return st;
}

void weft__program_free(weft__program *p) {
  weft__expr_unbind(&p->bound);
  free(p->roots);
  memset(p, 0, sizeof *p);
}

weft_status weft__program_eval_init(weft__eval *ev, const weft__program *p) {
  WEFT_RETURN_NOT_OK(weft__eval_init(ev, &p->bound));
  if (!p->shared) return WEFT_OK;
  ev->stamp = weft__calloc((size_t)(p->bound.n ? p->bound.n : 1), sizeof *ev->stamp);
  if (!ev->stamp) {
    weft__eval_free(ev);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory to evaluate expressions");
  }
  ev->gen = 1;
  return WEFT_OK;
}
