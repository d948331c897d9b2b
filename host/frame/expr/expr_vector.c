/* Distances of a vector column to one query vector (weft_expr_vector_distance): the node
 * keeps the query (its `set`, nset floats) and the metric (op); binding checks the column and
 * the dim; evaluation reads the column's floats in place and sums in float64, rounding once
 * to the float32 result, so it is within one float32 rounding of numpy's float64. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "frame/expr/expr.h"

static const char *method(int metric) {
  return metric == WEFT_METRIC_L2 ? "l2_distance" : metric == WEFT_METRIC_IP ? "dot"
                                                                             : "cosine_distance";
}

weft_status weft_expr_vector_distance(const weft_expr *input, weft_metric metric, size_t dim,
                                      const float *query, weft_expr **out) {
  WEFT_CHECK_ARG(out, "weft_expr_vector_distance: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(input, "weft_expr_vector_distance: input is NULL");
  WEFT_CHECK_ARG(metric == WEFT_METRIC_L2 || metric == WEFT_METRIC_IP || metric == WEFT_METRIC_COSINE,
                 "weft_expr_vector_distance: metric %d is not l2, ip or cosine", (int)metric);
  WEFT_CHECK_ARG(dim >= 1 && dim <= WEFT_VECTOR_MAX_DIM, "weft_expr_vector_distance: dim %zu is "
                 "not in 1..%d", dim, WEFT_VECTOR_MAX_DIM);
  WEFT_CHECK_ARG(query, "weft_expr_vector_distance: query is NULL");
  for (size_t j = 0; j < dim; j++)
    WEFT_CHECK_ARG(isfinite(query[j]), "weft_expr_vector_distance: query[%zu] is %g; the query "
                   "must be finite", j, (double)query[j]);
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(weft__expr_new(WEFT__E_VEC_DISTANCE, NULL, input, NULL, out, &e));
  e->op = (int)metric;
  e->nset = (int64_t)dim;
  if (!(e->set = weft__malloc(dim * sizeof(float)))) {
    weft_expr_free(e);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_expr_vector_distance: no host memory");
  }
  memcpy(e->set, query, dim * sizeof(float));
  return weft__expr_done(e, weft__expr_format("%s.%s(<%zu floats>)", input->text, method(metric), dim), out);
}

/* The column under `node` (through aliases), or NULL. */
static const weft__column *vector_column(const weft__bound *b, int node) {
  while (node >= 0 && b->nodes[node].e->kind == WEFT__E_ALIAS) node = b->nodes[node].a;
  return node >= 0 && b->nodes[node].e->kind == WEFT__E_COLUMN ? b->nodes[node].col : NULL;
}

weft_status weft__bind_vector_distance(weft__bound *b, int me) {
  weft__bnode *n = &b->nodes[me];
  const weft__bnode *A = &b->nodes[n->a];
  const weft__column *col = vector_column(b, n->a);
  const char *name = method(n->e->op);
  if (!col || !weft__type_is_vector(col->view.type))
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "cannot apply %s to %s %s: it takes a vector "
                       "column (array[f32, dim])", name, weft_type_name(A->type), n->e->a->text);
  int dim = weft__vec_dim(col->view.type);
  if ((int64_t)dim != n->e->nset)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: the query has %lld values but column "
                       "\"%s\" holds vectors of %d (%s)", name, (long long)n->e->nset, A->name, dim,
                       weft_type_name(col->view.type));
  n->col = col;
  n->nullable = A->nullable;
  n->type = WEFT_TYPE_FLOAT32;
  n->lane = WEFT__LANE_F;
  return WEFT_OK;
}

weft_status weft__eval_vector_distance(weft__eval *ev, int me, int64_t row0, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me];
  weft__vec *out = &ev->vecs[me];
  weft__copy_valid(out, &ev->vecs[nd->a], n); /* the alias or column under it: its validity */
  const weft_column_view *v = &nd->col->view;
  size_t dim = (size_t)weft__vec_dim(v->type);
  const float *q = nd->e->set;
  double qq = 0;
  for (size_t j = 0; j < dim; j++) qq += (double)q[j] * q[j];
  const float *rows = (const float *)v->values + (size_t)(v->offset + row0) * dim;
  for (int64_t i = 0; i < n; i++) {
    const float *x = rows + (size_t)(ev->sel ? ev->sel[i] : i) * dim;
    double s = 0, xx = 0;
    switch (nd->e->op) {
      case WEFT_METRIC_L2:
        for (size_t j = 0; j < dim; j++) {
          double d = (double)x[j] - q[j];
          s += d * d;
        }
        break;
      case WEFT_METRIC_IP:
        for (size_t j = 0; j < dim; j++) s += (double)x[j] * q[j];
        break;
      default: /* cosine */
        for (size_t j = 0; j < dim; j++) s += (double)x[j] * q[j], xx += (double)x[j] * x[j];
        s = 1.0 - s / (sqrt(xx) * sqrt(qq));
    }
    out->v[i].f = (double)(float)s;
  }
  return WEFT_OK;
}
