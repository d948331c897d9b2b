/* weft__masked_agg: a predicate and whole-table aggregations evaluated together, a chunk
 * (WEFT__CHUNK rows) at a time with expr_eval.c's evaluator, each aggregation accumulating
 * only the rows the predicate keeps. The filtered columns are never built, and a chunk
 * where nothing is kept skips the aggregations' inputs.
 *
 * Semantics are agg.c's (the eager group_by of the filtered table): nulls skipped, the sum
 * of nothing 0, the mean/min/max of nothing null, NaN propagating through sum and mean,
 * min/max skipping NaN unless every value is NaN, integer sums wrapping like Polars.
 * Work is split into fixed ranges of RANGE_ROWS input rows, each accumulated in row order,
 * and the ranges' partials are merged in row order: the result does not depend on the
 * number of threads. Integer sums, counts, len, min and max equal the unfused path's bits;
 * float sums and means add in another order than agg.c's (which splits by thread count), so
 * they agree to rounding. */
#include "masked_agg.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../error.h"
#include "../exec.h"
#include "../thread_pool.h"
#include "cpu_only.h"
#include "expr.h"

/* 16 chunks: large enough that a range's partial costs nothing to merge, small enough that
 * 10M rows make ~150 ranges to balance over the pool. */
#define RANGE_ROWS ((int64_t)16 * WEFT__CHUNK)

static int has_cast(const weft_expr *e) {
  if (!e) return 0;
  return e->kind == WEFT__E_CAST || has_cast(e->a) || has_cast(e->b);
}

int weft__masked_agg_supports(const weft_agg *agg, const weft_table *schema) {
  switch (agg->kind) {
    case WEFT_AGG_LEN: return 1;
    case WEFT_AGG_SUM: case WEFT_AGG_MEAN: case WEFT_AGG_MIN: case WEFT_AGG_MAX:
    case WEFT_AGG_COUNT: break;
    default: return 0;
  }
  if (!agg->input || has_cast(agg->input)) return 0;
  const char *name;
  weft_type t;
  if (weft_expr_output(agg->input, schema, &name, &t) != WEFT_OK) {
    weft__error_clear();
    return 0;
  }
  return weft__type_is_numeric(t) || t == WEFT_TYPE_BOOL || t == WEFT_TYPE_DATE32 ||
         t == WEFT_TYPE_TIMESTAMP_US;
}

/* One aggregation's partial over some rows: `d` the float sum or min/max (NaN: none yet),
 * `i` the integer sum or min/max (uint64 bits for the unsigned lane), `n` the values seen. */
typedef struct part {
  double d;
  int64_t i;
  int64_t n;
} part;

/* A conjunct of the predicate (the predicate is true where every conjunct is valid and
 * true, exactly when its Kleene AND is true). `fast`: a numeric column compared with a
 * constant, done here on the column's values in place; else the conjunct's subtree goes
 * through the chunk evaluator. */
typedef struct conj {
  int node;
  int fast;
  int op;      /* as if the column were on the left */
  int lane;    /* the lane the comparison runs in: WEFT__LANE_I or WEFT__LANE_F */
  const weft__column *col;
  weft__val k; /* the constant, in that lane */
  int k_null;
} conj;

typedef struct agg_ctx {
  const weft_agg *aggs;
  size_t naggs;
  const weft__bound *pred;
  const conj *conjs;
  int nconj;
  const weft__bound *in;   /* one per aggregation (unused for len) */
  const double **direct;   /* per aggregation: a float64 column without nulls, read in place */
  int64_t rows, nranges;
  part *parts;             /* nranges x naggs */
  int64_t *kept;           /* per range: rows kept (len) */
  _Atomic int64_t next;
  _Atomic int64_t failed_at; /* the first range that failed (nranges: none) */
  weft_status *errs;       /* per range: its error, */
  char **msgs;             /* and its message, taken on the worker's thread */
} agg_ctx;

static void part_init(part *p, weft_agg_kind kind) {
  p->d = kind == WEFT_AGG_MIN || kind == WEFT_AGG_MAX ? NAN : 0;
  p->i = 0, p->n = 0;
}

/* Folds value x (the lane of `lane`) into p, as agg.c's accumulate does. */
static void fold(part *p, weft_agg_kind kind, int lane, weft__val x) {
  int mn = kind == WEFT_AGG_MIN;
  switch (kind) {
    case WEFT_AGG_COUNT: break;
    case WEFT_AGG_SUM:
      if (lane == WEFT__LANE_F) p->d += x.f;
      else p->i = (int64_t)((uint64_t)p->i + x.u); /* wraps without signed overflow */
      break;
    case WEFT_AGG_MEAN:
      p->d += lane == WEFT__LANE_F ? x.f : lane == WEFT__LANE_U ? (double)x.u : (double)x.i;
      break;
    default:
      if (lane == WEFT__LANE_F) {
        if (!isnan(x.f) && (isnan(p->d) || (mn ? x.f < p->d : x.f > p->d))) p->d = x.f;
      } else if (lane == WEFT__LANE_U) {
        uint64_t cur = (uint64_t)p->i;
        if (p->n == 0 || (mn ? x.u < cur : x.u > cur)) p->i = (int64_t)x.u;
      } else if (p->n == 0 || (mn ? x.i < p->i : x.i > p->i)) {
        p->i = x.i;
      }
  }
  p->n++;
}

/* Folds b (later rows) into a, as agg.c's accs_merge does. */
static void merge(part *a, const part *b, weft_agg_kind kind, int lane) {
  if (kind == WEFT_AGG_SUM || kind == WEFT_AGG_MEAN) {
    if (lane == WEFT__LANE_F || kind == WEFT_AGG_MEAN) a->d += b->d;
    else a->i = (int64_t)((uint64_t)a->i + (uint64_t)b->i);
    a->n += b->n;
    return;
  }
  if (b->n == 0) return;
  if (kind == WEFT_AGG_MIN || kind == WEFT_AGG_MAX) {
    weft__val x;
    if (lane == WEFT__LANE_F) x.f = b->d;
    else x.i = b->i;
    int64_t n = a->n;
    fold(a, kind, lane, x);
    a->n = n;
  }
  a->n += b->n;
}

/* keep[i] &= (column op constant) for rows [at, at + n), with expr_eval.c's semantics: null
 * is not true; in the float lane NaN equals NaN and is above every number. */
static void fast_keep(const conj *c, int64_t at, int64_t n, uint8_t *keep) {
  const weft_column_view *v = &c->col->view;
  int64_t o = v->offset + at;
  if (c->k_null) {
    memset(keep, 0, (size_t)n);
    return;
  }
  if (c->lane == WEFT__LANE_F) {
    double buf[WEFT__CHUNK], q = c->k.f;
    const double *x = buf;
    switch (v->type) {
      case WEFT_TYPE_FLOAT64: x = (const double *)v->values + o; break;
#define LOADF(T, CT) case T: for (int64_t i = 0; i < n; i++) buf[i] = (double)((const CT *)v->values)[o + i]; break;
      LOADF(WEFT_TYPE_FLOAT32, float) LOADF(WEFT_TYPE_INT8, int8_t) LOADF(WEFT_TYPE_INT16, int16_t)
      LOADF(WEFT_TYPE_INT32, int32_t) LOADF(WEFT_TYPE_INT64, int64_t) LOADF(WEFT_TYPE_UINT8, uint8_t)
      LOADF(WEFT_TYPE_UINT16, uint16_t) LOADF(WEFT_TYPE_UINT32, uint32_t) LOADF(WEFT_TYPE_DATE32, int32_t)
      LOADF(WEFT_TYPE_TIMESTAMP_US, int64_t)
#undef LOADF
      default: break;
    }
    if (isnan(q)) {
      for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)weft__cmp_holds(c->op, isnan(x[i]) ? 0 : -1);
    } else {
      /* q is a number: NaN rows compare above it */
      switch (c->op) {
        case WEFT_OP_EQ: for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)(x[i] == q); break;
        case WEFT_OP_NE: for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)!(x[i] == q); break;
        case WEFT_OP_LT: for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)(x[i] < q); break;
        case WEFT_OP_LE: for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)(x[i] <= q); break;
        case WEFT_OP_GT: for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)!(x[i] <= q); break;
        default: for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)!(x[i] < q); break;
      }
    }
  } else {
    int64_t buf[WEFT__CHUNK], q = c->k.i;
    switch (v->type) {
#define LOADI(T, CT) case T: for (int64_t i = 0; i < n; i++) buf[i] = (int64_t)((const CT *)v->values)[o + i]; break;
      LOADI(WEFT_TYPE_INT8, int8_t) LOADI(WEFT_TYPE_INT16, int16_t) LOADI(WEFT_TYPE_INT32, int32_t)
      LOADI(WEFT_TYPE_INT64, int64_t) LOADI(WEFT_TYPE_UINT8, uint8_t) LOADI(WEFT_TYPE_UINT16, uint16_t)
      LOADI(WEFT_TYPE_UINT32, uint32_t) LOADI(WEFT_TYPE_DATE32, int32_t)
      LOADI(WEFT_TYPE_TIMESTAMP_US, int64_t)
#undef LOADI
      default: break;
    }
    switch (c->op) {
      case WEFT_OP_EQ: for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)(buf[i] == q); break;
      case WEFT_OP_NE: for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)(buf[i] != q); break;
      case WEFT_OP_LT: for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)(buf[i] < q); break;
      case WEFT_OP_LE: for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)(buf[i] <= q); break;
      case WEFT_OP_GT: for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)(buf[i] > q); break;
      default: for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)(buf[i] >= q); break;
    }
  }
  if (v->validity)
    for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)((v->validity[(o + i) >> 3] >> ((o + i) & 7)) & 1);
}

static int has_column(const weft__bound *b, int node) {
  if (node < 0) return 0;
  const weft__bnode *nd = &b->nodes[node];
  return nd->e->kind == WEFT__E_COLUMN || has_column(b, nd->a) || has_column(b, nd->b);
}

static int fast_column(const weft__bnode *nd) {
  if (nd->e->kind != WEFT__E_COLUMN || !nd->col) return 0;
  weft_type t = nd->col->view.type;
  return (weft__type_is_numeric(t) && t != WEFT_TYPE_UINT64) || t == WEFT_TYPE_DATE32 ||
         t == WEFT_TYPE_TIMESTAMP_US;
}

/* Splits the predicate's top-level ANDs into conjuncts; a column compared with a constant
 * (its constant evaluated once, here) becomes a fast one. */
static weft_status add_conjs(const weft__bound *b, weft__eval *ev, int node, conj *out, int *n) {
  const weft__bnode *nd = &b->nodes[node];
  if (nd->e->kind == WEFT__E_BINARY && nd->e->op == WEFT_OP_AND) {
    WEFT_RETURN_NOT_OK(add_conjs(b, ev, nd->a, out, n));
    return add_conjs(b, ev, nd->b, out, n);
  }
  conj *c = &out[(*n)++];
  memset(c, 0, sizeof *c);
  c->node = node;
  if (nd->e->kind != WEFT__E_BINARY || nd->e->op < WEFT_OP_EQ || nd->e->op > WEFT_OP_GE) return WEFT_OK;
  int colside = fast_column(&b->nodes[nd->a]) && !has_column(b, nd->b) ? nd->a
              : fast_column(&b->nodes[nd->b]) && !has_column(b, nd->a) ? nd->b : -1;
  if (colside < 0) return WEFT_OK;
  int kside = colside == nd->a ? nd->b : nd->a;
  int lc = b->nodes[colside].lane, lk = b->nodes[kside].lane;
  if (lk != WEFT__LANE_I && lk != WEFT__LANE_F) return WEFT_OK;
  c->lane = lc == WEFT__LANE_F || lk == WEFT__LANE_F ? WEFT__LANE_F : WEFT__LANE_I;
  /* the constant has no column under it: one row of it is all of it (it fails here, as
   * it would on the first chunk, if it is a failing cast) */
  WEFT_RETURN_NOT_OK(weft__eval_node(ev, kside, 0, 1));
  const weft__vec *kv = &ev->vecs[kside];
  c->k_null = !(kv->all_valid || kv->valid[0]);
  c->k = kv->v[0];
  if (c->lane == WEFT__LANE_F && lk == WEFT__LANE_I) c->k.f = (double)kv->v[0].i;
  static const int mirror[] = {WEFT_OP_EQ, WEFT_OP_NE, WEFT_OP_GT, WEFT_OP_GE, WEFT_OP_LT, WEFT_OP_LE};
  c->op = colside == nd->a ? nd->e->op : mirror[nd->e->op - WEFT_OP_EQ];
  c->col = b->nodes[colside].col;
  c->fast = 1;
  return WEFT_OK;
}

static weft_status run_range(agg_ctx *c, weft__eval *pe, weft__eval *ae, int64_t r) {
  int64_t r0 = r * RANGE_ROWS, r1 = r0 + RANGE_ROWS < c->rows ? r0 + RANGE_ROWS : c->rows;
  part *ps = c->parts + (size_t)r * c->naggs;
  for (size_t a = 0; a < c->naggs; a++) part_init(&ps[a], c->aggs[a].kind);
  int64_t kept = 0;
  uint8_t keep[WEFT__CHUNK];
  for (int64_t at = r0; at < r1; at += WEFT__CHUNK) {
    int64_t n = r1 - at < WEFT__CHUNK ? r1 - at : WEFT__CHUNK, k = 0;
    memset(keep, 1, (size_t)n);
    /* every conjunct runs on every chunk (none skipped when nothing is left), so a failing
     * cast fails here as it does in the filter */
    for (int j = 0; j < c->nconj; j++) {
      const conj *cj = &c->conjs[j];
      if (cj->fast) {
        fast_keep(cj, at, n, keep);
        continue;
      }
      WEFT_RETURN_NOT_OK(weft__eval_node(pe, cj->node, at, n));
      const weft__vec *pv = &pe->vecs[cj->node];
      for (int64_t i = 0; i < n; i++)
        keep[i] &= (uint8_t)((pv->all_valid || pv->valid[i]) && pv->v[i].i != 0);
    }
    for (int64_t i = 0; i < n; i++) k += keep[i];
    kept += k;
    if (k == 0) continue;
    for (size_t a = 0; a < c->naggs; a++) {
      weft_agg_kind kind = c->aggs[a].kind;
      if (kind == WEFT_AGG_LEN) continue;
      const weft__bound *b = &c->in[a];
      int lane = b->nodes[b->root].lane;
      part *p = &ps[a];
      if (kind == WEFT_AGG_SUM && c->direct[a]) {
        /* the hot case (a float64 column without nulls), read in place, without a branch
         * a random predicate would mispredict; adding +0.0 for a dropped row leaves the
         * sum's bits as they were (it starts at +0.0, so it is never -0.0) */
        const uint64_t *x = (const uint64_t *)c->direct[a] + at;
        double s = p->d;
        for (int64_t i = 0; i < n; i++) {
          weft__val y = {.u = x[i] & ((uint64_t)0 - keep[i])};
          s += y.f;
        }
        p->d = s, p->n += k;
        continue;
      }
      WEFT_RETURN_NOT_OK(weft__eval_chunk(&ae[a], at, n));
      const weft__vec *v = &ae[a].vecs[b->root];
      if (kind == WEFT_AGG_SUM && lane == WEFT__LANE_F && v->all_valid) {
        double s = p->d; /* as above, over the evaluated chunk */
        for (int64_t i = 0; i < n; i++) {
          weft__val y = v->v[i];
          y.u &= (uint64_t)0 - keep[i];
          s += y.f;
        }
        p->d = s, p->n += k;
        continue;
      }
      for (int64_t i = 0; i < n; i++)
        if (keep[i] && (v->all_valid || v->valid[i])) fold(p, kind, lane, v->v[i]);
    }
  }
  c->kept[r] = kept;
  return WEFT_OK;
}

static void worker(void *ctx, int w, int workers) {
  (void)w, (void)workers;
  agg_ctx *c = ctx;
  weft__eval pe, *ae = calloc(c->naggs ? c->naggs : 1, sizeof *ae);
  size_t made = 0;
  weft_status st = ae ? weft__eval_init(&pe, c->pred)
                      : weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory to evaluate an expression");
  int pe_ok = st == WEFT_OK;
  for (; st == WEFT_OK && made < c->naggs; made++)
    if (c->aggs[made].kind != WEFT_AGG_LEN) st = weft__eval_init(&ae[made], &c->in[made]);
  for (;;) {
    int64_t r = atomic_fetch_add(&c->next, 1);
    if (r >= c->nranges) break;
    /* ranges after one that failed are skipped; earlier ones still run, so the error
     * reported is the one of the first failing range, as a sequential run would give */
    if (r > atomic_load(&c->failed_at)) continue;
    if (st == WEFT_OK) st = run_range(c, &pe, ae, r);
    if (st != WEFT_OK) {
      /* the message is this thread's: keep a copy for the caller's thread */
      c->errs[r] = st;
      c->msgs[r] = strdup(weft_last_error());
      int64_t cur = atomic_load(&c->failed_at);
      while (r < cur && !atomic_compare_exchange_weak(&c->failed_at, &cur, r)) {
      }
      break;
    }
  }
  for (size_t a = 0; ae && a < made; a++)
    if (c->aggs[a].kind != WEFT_AGG_LEN) weft__eval_free(&ae[a]);
  if (pe_ok) weft__eval_free(&pe);
  free(ae);
}

static void put(weft_column_view *v, const part *p, weft_agg_kind kind, int64_t rows) {
  void *dst = (void *)v->values;
  int null = (kind == WEFT_AGG_MEAN || kind == WEFT_AGG_MIN || kind == WEFT_AGG_MAX) && p->n == 0;
  if (v->validity) *(uint8_t *)v->validity = null ? 0 : 1;
  uint64_t x = (uint64_t)p->i;
  double f = p->d;
  if (kind == WEFT_AGG_COUNT) x = (uint64_t)p->n;
  if (kind == WEFT_AGG_LEN) x = (uint64_t)rows;
  if (kind == WEFT_AGG_MEAN) f = null ? 0 : p->d / (double)p->n;
  if (null) f = 0, x = 0;
  switch (v->type) {
    case WEFT_TYPE_FLOAT64: *(double *)dst = f; break;
    case WEFT_TYPE_FLOAT32: *(float *)dst = (float)f; break;
    case WEFT_TYPE_BOOL: *(uint8_t *)dst = (uint8_t)(x != 0); break;
    default:
      switch (weft__type_width(v->type)) {
        case 1: *(uint8_t *)dst = (uint8_t)x; break;
        case 2: *(uint16_t *)dst = (uint16_t)x; break;
        case 4: *(uint32_t *)dst = (uint32_t)x; break;
        default: *(uint64_t *)dst = x; break;
      }
  }
}

weft_status weft__masked_agg(weft_exec *exec, const weft_table *table, const weft_expr *predicate,
                             size_t naggs, const weft_agg *aggs, const weft_table *proto,
                             weft_table **out) {
  static const char *opname = "filter + aggregate (fused)";
  *out = NULL;
  if (proto->ncols != naggs)
    return weft__error(WEFT_ERR_INTERNAL, "%s: %zu aggregations but %zu output columns", opname,
                       naggs, proto->ncols);
  int64_t nranges = (table->rows + RANGE_ROWS - 1) / RANGE_ROWS;
  agg_ctx c = {.aggs = aggs, .naggs = naggs, .rows = table->rows, .nranges = nranges};
  weft__bound pred = {0}, *in = calloc(naggs ? naggs : 1, sizeof *in);
  c.parts = calloc((size_t)(nranges ? nranges : 1) * (naggs ? naggs : 1), sizeof *c.parts);
  c.kept = calloc((size_t)(nranges ? nranges : 1), sizeof *c.kept);
  c.errs = calloc((size_t)(nranges ? nranges : 1), sizeof *c.errs);
  c.msgs = calloc((size_t)(nranges ? nranges : 1), sizeof *c.msgs);
  atomic_init(&c.next, 0);
  atomic_init(&c.failed_at, nranges);
  weft_status st = in && c.parts && c.kept && c.errs && c.msgs ? WEFT_OK
                 : weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", opname);
  int pred_bound = 0;
  size_t bound = 0;
  if (st == WEFT_OK) st = weft__expr_bind(predicate, table, &pred);
  pred_bound = st == WEFT_OK;
  if (st == WEFT_OK && pred.nodes[pred.root].type != WEFT_TYPE_BOOL)
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: the predicate %s is %s, not bool", opname,
                     predicate->text ? predicate->text : "?",
                     weft_type_name(pred.nodes[pred.root].type));
  conj *conjs = pred_bound ? calloc((size_t)pred.n, sizeof *conjs) : NULL;
  if (st == WEFT_OK && !conjs) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", opname);
  if (st == WEFT_OK && table->rows > 0) { /* no rows: nothing is evaluated, as in the filter */
    weft__eval ev;
    st = weft__eval_init(&ev, &pred);
    if (st == WEFT_OK) {
      st = add_conjs(&pred, &ev, pred.root, conjs, &c.nconj);
      weft__eval_free(&ev);
    }
    c.conjs = conjs;
  }
  for (; st == WEFT_OK && bound < naggs; bound++) {
    if (aggs[bound].kind == WEFT_AGG_LEN) continue;
    if (!aggs[bound].input)
      st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: aggregation %zu has no input", opname, bound);
    else st = weft__expr_bind(aggs[bound].input, table, &in[bound]);
    if (st != WEFT_OK) break;
  }
  c.pred = &pred, c.in = in;
  c.direct = calloc(naggs ? naggs : 1, sizeof *c.direct);
  if (st == WEFT_OK && !c.direct) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", opname);
  for (size_t a = 0; st == WEFT_OK && a < naggs; a++) {
    if (aggs[a].kind == WEFT_AGG_LEN) continue;
    int node = in[a].root;
    while (in[a].nodes[node].e->kind == WEFT__E_ALIAS) node = in[a].nodes[node].a;
    const weft__column *col = in[a].nodes[node].col;
    if (in[a].nodes[node].e->kind == WEFT__E_COLUMN && col && col->view.type == WEFT_TYPE_FLOAT64 &&
        !col->view.validity)
      c.direct[a] = (const double *)col->view.values + col->view.offset;
  }
  if (st == WEFT_OK && exec) st = weft__cpu_only_begin(exec, opname, (size_t)table->rows);
  if (st == WEFT_OK && nranges > 0) {
    weft__pool_run(worker, &c);
    for (int64_t r = 0; r < nranges; r++)
      if (c.errs[r] != WEFT_OK) {
        st = weft__error(c.errs[r], "%s: %s", opname, c.msgs[r] ? c.msgs[r] : "(no memory for the message)");
        break;
      }
  }
  weft_table *res = NULL;
  int64_t kept = 0;
  if (st == WEFT_OK) st = weft__table_new(naggs, 1, &res);
  for (size_t a = 0; st == WEFT_OK && a < naggs; a++) {
    weft_agg_kind kind = aggs[a].kind;
    int lane = kind == WEFT_AGG_LEN ? WEFT__LANE_I : in[a].nodes[in[a].root].lane;
    part total;
    part_init(&total, kind);
    kept = 0;
    for (int64_t r = 0; r < nranges; r++) {
      merge(&total, &c.parts[(size_t)r * naggs + a], kind, lane);
      kept += c.kept[r];
    }
    weft_type t = proto->cols[a].view.type;
    int nullable = kind == WEFT_AGG_MEAN || kind == WEFT_AGG_MIN || kind == WEFT_AGG_MAX;
    weft__column col;
    st = weft__column_alloc(t, 1, nullable, 0, &col);
    if (st != WEFT_OK) break;
    if (t == WEFT_TYPE_BOOL) *(uint8_t *)col.view.values = 0;
    put(&col.view, &total, kind, kept);
    st = weft__table_set_column(res, a, proto->names[a], col);
  }
  if (st == WEFT_OK && exec) {
    if (naggs == 0)
      for (int64_t r = 0; r < nranges; r++) kept += c.kept[r];
    weft__report(exec, "  %lld of %lld rows kept, %zu aggregations in one pass on cpu:0 "
                 "(%lld ranges of %lld rows)", (long long)kept, (long long)table->rows, naggs,
                 (long long)nranges, (long long)RANGE_ROWS);
  }
  for (size_t a = 0; a < bound; a++)
    if (aggs[a].kind != WEFT_AGG_LEN) weft__expr_unbind(&in[a]);
  if (pred_bound) weft__expr_unbind(&pred);
  for (int64_t r = 0; c.msgs && r < nranges; r++) free(c.msgs[r]);
  free(in), free(c.parts), free(c.kept), free(c.errs), free(c.direct), free(c.msgs), free(conjs);
  if (st != WEFT_OK) {
    weft_table_free(res);
    return st;
  }
  *out = res;
  return WEFT_OK;
}
