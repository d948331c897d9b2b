/* The nearest node of lazy plans: weft_plan_nearest, the copy the optimizer makes with a
 * pre-filter (plan_pushdown.c folds a filter directly below it into it), and its explain
 * text. At collect it runs weft_table_nearest with that pre-filter, so the filter's rows
 * are the search's candidates rather than a table copied first. */
#include <stdlib.h>
#include <string.h>

#include "frame/expr/expr.h"
#include "core/alloc.h"
#include "frame/select/filter_keep.h"
#include "frame/nearest/vector_index.h"
#include "frame/table/table.h"
#include "plan/plan.h"
#include "plan/plan_agg.h"

static weft_status make(const weft_plan *input, const char *column, size_t nq, const float *queries,
                        size_t dim, size_t k, weft_metric metric, int batch,
                        const weft_expr *prefilter, const weft_vector_index *index, int strict,
                        weft_plan **out) {
  const char *fn = "weft_plan_nearest";
  WEFT_CHECK_ARG(out, "%s: out is NULL", fn);
  *out = NULL;
  WEFT_CHECK_ARG(input && column && queries, "%s: input, column and queries must not be NULL", fn);
  WEFT_CHECK_ARG(nq >= 1 && dim >= 1 && nq <= SIZE_MAX / dim / sizeof(float),
                 "%s: %zu queries of %zu floats", fn, nq, dim);
  weft_plan *p = weft__calloc(1, sizeof *p);
  if (!p) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory for a plan node", fn);
  atomic_init(&p->refs, 1);
  p->kind = WEFT__P_NEAREST;
  p->in = weft__plan_ref(input);
  p->n = 1;
  p->length = (int64_t)k;
  p->nq = nq, p->dim = dim, p->metric = (int)metric, p->batch = batch != 0;
  p->vindex = weft__vector_index_ref(index);
  p->no_post_filter = strict != 0;
  int64_t per = input->rows < (int64_t)k ? input->rows : (int64_t)k;
  p->rows = per * (int64_t)nq;
  weft_status st = WEFT_OK;
  p->keys = weft__calloc(1, sizeof *p->keys);
  p->queries = weft__malloc(nq * dim * sizeof *p->queries);
  if (p->keys) p->keys[0] = weft__strdup(column);
  if (prefilter && (p->exprs = weft__calloc(1, sizeof *p->exprs))) {
    atomic_fetch_add(&((weft_expr *)prefilter)->refs, 1);
    p->exprs[0] = (weft_expr *)prefilter;
  }
  if (!p->keys || !p->keys[0] || !p->queries || (prefilter && !p->exprs))
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", fn);
  if (st == WEFT_OK) {
    memcpy(p->queries, queries, nq * dim * sizeof *p->queries);
    st = weft_table_nearest(NULL, input->proto, column, nq, queries, dim, k, metric, prefilter,
                            batch, &p->proto);
    if (st != WEFT_OK) st = weft__error_context(st, "%s", fn);
  }
  if (st == WEFT_OK) {
    *out = p;
    return WEFT_OK;
  }
  weft_plan_free(p);
  return st;
}

weft_status weft_plan_nearest(const weft_plan *input, const char *column, size_t nq,
                              const float *queries, size_t dim, size_t k, weft_metric metric,
                              int batch, weft_plan **out) {
  return make(input, column, nq, queries, dim, k, metric, batch, NULL, NULL, 0, out);
}

weft_status weft_plan_nearest_indexed(const weft_plan *input, const char *column, size_t nq,
                                      const float *queries, size_t dim, size_t k,
                                      weft_metric metric, int batch,
                                      const weft_vector_index *index, int strict,
                                      weft_plan **out) {
  return make(input, column, nq, queries, dim, k, metric, batch, NULL, index, strict, out);
}

weft_status weft__plan_nearest_like(const weft_plan *p, const weft_plan *input,
                                    const weft_expr *prefilter, weft_plan **out) {
  return make(input, p->keys[0], p->nq, p->queries, p->dim, (size_t)p->length,
              (weft_metric)p->metric, p->batch, prefilter, p->vindex, p->no_post_filter, out);
}

/* Rows of an in-memory scan where `pred` holds (-1: not a scan of memory, or it failed):
 * explain names the pre-filter's selectivity where it costs one pass over memory. */
static int64_t passing_rows(const weft_plan *in, const weft_expr *pred) {
  if (in->kind != WEFT__P_SCAN || in->source || in->table->ncols == 0) return -1;
  weft_table *kept = NULL;
  const char *keep[1] = {in->table->names[0]};
  if (weft__table_filter_keep(NULL, in->table, pred, 1, keep, &kept) != WEFT_OK) {
    weft__error_clear();
    return -1;
  }
  int64_t n = kept->rows;
  weft_table_free(kept);
  return n;
}

/* Whether the index will be searched, as far as the plan tells before it runs: the rows
 * reach the nearest unchanged through selects and with_columns from an in-memory scan (known
 * now) or a scan of a source (known when it has read them: the report says). */
static void index_words(const weft_plan *p, weft__text *t) {
  const weft_plan *in = p->in;
  while (in->kind == WEFT__P_SELECT || in->kind == WEFT__P_WITH_COLUMNS || in->kind == WEFT__P_ROW_INDEX)
    in = in->in;
  size_t idx;
  if (in->kind != WEFT__P_SCAN) {
    weft__text_add(t, ", index %s not used: its input is a %s, not the indexed rows",
                   p->vindex->describe, weft__plan_kind_name(in->kind));
  } else if (in->source) {
    weft__text_add(t, ", index: %s (if the scan's rows are the indexed ones)", p->vindex->describe);
  } else if (weft__table_find(in->table, p->keys[0], &idx) != WEFT_OK) {
    weft__error_clear();
    weft__text_add(t, ", index: %s (checked at collect)", p->vindex->describe);
  } else {
    const char *why = weft__vector_index_mismatch(p->vindex, &in->table->cols[idx], in->table->rows,
                                                  (weft_metric)p->metric);
    if (why) weft__text_add(t, ", index %s not used: %s", p->vindex->describe, why);
    else weft__text_add(t, ", index: %s", p->vindex->describe);
  }
}

void weft__plan_nearest_line(const weft_plan *p, weft__text *t) {
  static const char *metric[] = {"l2", "dot", "cosine"};
  weft__text_add(t, "%lld by \"%s\" (%s, %zu quer%s of %zu floats)", (long long)p->length,
                 p->keys[0], (unsigned)p->metric < 3 ? metric[p->metric] : "?", p->nq,
                 p->nq == 1 ? "y" : "ies", p->dim);
  if (p->vindex) index_words(p, t);
  if (p->no_post_filter) weft__text_add(t, ", strict");
  if (!p->exprs) return;
  const char *text = "?";
  if (weft_expr_to_string(p->exprs[0], &text) != WEFT_OK) text = "?";
  weft__text_add(t, ", prefilter: %s", text);
}

char *weft__plan_nearest_counted(const weft_plan *p, char *line) {
  if (p->kind != WEFT__P_NEAREST || !p->exprs || !line) return line;
  weft__text t = {.ok = 1};
  int64_t n = passing_rows(p->in, p->exprs[0]);
  if (n >= 0) weft__text_add(&t, "%s (%lld of %lld rows)", line, (long long)n, (long long)p->in->rows);
  else weft__text_add(&t, "%s (of about %lld rows)", line, (long long)p->in->rows);
  if (!t.ok) {
    free(t.s);
    return line;
  }
  free(line);
  return t.s;
}

/* A strict nearest found under `p` through operators that keep its rows one for one (the
 * rows a filter above them drops are rows the search chose), or NULL. */
static const weft_plan *strict_nearest_under(const weft_plan *p) {
  for (;;) {
    switch (p->kind) {
      case WEFT__P_NEAREST: return p->no_post_filter ? p : NULL;
      case WEFT__P_FILTER: case WEFT__P_SELECT: case WEFT__P_WITH_COLUMNS: case WEFT__P_SORT:
      case WEFT__P_SLICE: case WEFT__P_TOP_K: case WEFT__P_ROW_INDEX:
        if (weft__plan_has_aggs(p)) return NULL;
        p = p->in;
        break;
      default: return NULL;
    }
  }
}

weft_status weft__plan_check_post_filters(const weft_plan *plan) {
  for (const weft_plan *p = plan; p; p = p->in) {
    if (p->right) WEFT_RETURN_NOT_OK(weft__plan_check_post_filters(p->right));
    if (p->kind != WEFT__P_FILTER) continue;
    const weft_plan *nn = strict_nearest_under(p->in);
    if (!nn) continue;
    const char *text = "?";
    if (weft_expr_to_string(p->exprs[0], &text) != WEFT_OK) text = "?";
    return weft__error(WEFT_ERR_UNSUPPORTED, "nearest(strict=True) by \"%s\": the filter %s "
                       "cannot run before the search (it reads \"_distance\", \"_query\" or a "
                       "column made above the nearest), so it would drop rows after the k were "
                       "chosen (a post-filter, fewer than k rows); filter on the input's columns "
                       "before nearest, or drop strict=True", nn->keys[0], text);
  }
  return WEFT_OK;
}
