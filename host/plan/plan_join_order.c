/* Join order: a chain of inner key joins (with the filters between them) is taken apart into
 * its leaves (the inputs that are not such joins), the key equalities between leaves and the
 * filter conjuncts, and joined again left-deep in the order of least estimated work, as
 * DuckDB's and other greedy optimizers do. A written order like TPC-H Q7's (supplier with all
 * of lineitem first, the 25-row nation filtered to two rows last) makes 1.8M-row
 * intermediates flow through four joins; joining nation into supplier first keeps them small.
 *
 * The rows are the same set (inner joins on equalities, nulls never matching, compose in any
 * order), but not in the same order: weft, like Polars, returns an inner join's rows in left
 * order. So a chain is reordered only where nothing above depends on its order: under an
 * aggregate without keys, a group_by whose groups are then sorted by all their keys (their
 * order of first appearance no longer shows), or anything else whose order is unobservable,
 * through row-wise filters, selects and with_columns. Aggregations whose value depends on the
 * row order (first, last; float sums, means, std and var, which round differently) keep the
 * order written.
 *
 * Estimates (plan_estimate.c): each leaf's rows with its filters' sampled selectivity; a join
 * of S and leaf x on keys gives |S| |x| / d, with d the smaller of the key leaves' unfiltered
 * rows (a key join is mostly a foreign key against a primary key: the key side's rows are
 * the distinct values). Work is the sum over joins of both inputs and the output. Every
 * connected start pair is extended greedily (the next leaf: the smallest join); the least
 * work wins, and replaces the written order only below 0.7 of its work, so a good written
 * order stays as it is.
 *
 * A semi or anti join over a leaf is a filter of that leaf's rows: it is applied after the
 * join that brings the leaf in (collect_semi). The filter conjuncts between joins go above
 * the first join where all their leaves meet.
 *
 * The new joins keep both key columns (no coalesce) and leaf columns whose names meet in
 * another leaf are renamed ("name~leaf"), so nothing is suffixed; a final select gives the
 * chain's own columns back under their names in their order, and must reproduce the written
 * chain's schema exactly, or the chain stays as written (so does a chain where a conjunct
 * would read a renamed column). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "frame/expr/expr.h"
#include "frame/join/join.h"
#include "frame/table/table.h"
#include "plan/plan.h"
#include "plan/plan_agg.h"
#include "plan/plan_names.h"

enum { MAX_LEAVES = 16 };
#define WRITTEN_MARGIN 0.7

typedef struct ref { /* an output column of a chain node: column `col` of leaf `leaf` */
  const char *name;
  int leaf;
  size_t col;
} ref;

typedef struct map {
  ref *v;
  size_t n;
} map;

typedef struct edge { /* leaf a's column ca equals leaf b's column cb */
  int a, b;
  size_t ca, cb;
} edge;

typedef struct pred { /* a filter conjunct between joins, and the leaves it reads */
  const weft_expr *e;  /* borrowed from the written plan */
  ref *reads;          /* the columns it reads, by the names it reads them by */
  size_t nreads;
  unsigned mask;
  int placed;
} pred;

typedef struct semi { /* a semi or anti join over a leaf: a filter of that leaf's rows */
  const weft_plan *p;   /* borrowed from the written plan */
  ref *keys;            /* its left keys' columns */
  weft_plan *right;     /* its right side, rewritten */
  unsigned mask;
  int placed;
} semi;

typedef struct chain {
  const weft_plan *leaf[MAX_LEAVES];
  weft_plan *built[MAX_LEAVES]; /* leaves rewritten, renamed where needed */
  char **rename[MAX_LEAVES];     /* per column, its new name or NULL */
  double est[MAX_LEAVES], base[MAX_LEAVES];
  int nleaf;
  edge *edges;
  size_t nedge, capedge;
  pred *preds;
  size_t npred, cappred;
  semi *semis;
  size_t nsemi, capsemi;
  int give_up, bushy;
} chain;

static weft_status order(const weft_plan *p, int any_order, int considered, weft_plan **out);

static weft_status oom(void) { return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft plan optimizer: no host memory"); }

static weft_status grow(void **v, size_t *cap, size_t n, size_t size) {
  if (n < *cap) return WEFT_OK;
  size_t c = *cap ? *cap * 2 : 16;
  void *w = weft__realloc(*v, c * size);
  if (!w) return oom();
  *v = w, *cap = c;
  return WEFT_OK;
}

/* ---------------------------------------------------------------- does order matter */

static int row_wise(const weft_expr *e) {
  for (; e; e = e->b) {
    if (e->kind == WEFT__E_AGG || e->kind == WEFT__E_OVER || e->kind == WEFT__E_OVER_KEY) return 0;
    if (!row_wise(e->a)) return 0;
  }
  return 1;
}

static int exprs_row_wise(const weft_plan *p) {
  for (size_t i = 0; i < p->n; i++)
    if (!row_wise(p->exprs[i])) return 0;
  return !weft__plan_has_aggs(p);
}

/* The group_by's aggregations do not depend on the order of its input rows. */
static int aggs_order_free(const weft_plan *p) {
  for (size_t i = 0; i < p->naggs; i++) {
    const weft_agg *a = &p->aggs[i];
    if (a->kind == WEFT_AGG_FIRST || a->kind == WEFT_AGG_LAST) return 0;
    if (!a->input) continue;
    if (!row_wise(a->input)) return 0;
    const char *name;
    weft_type type;
    if (weft_expr_output(a->input, p->in->proto, &name, &type) != WEFT_OK) {
      weft__error_clear();
      return 0;
    }
    int fl = type == WEFT_TYPE_FLOAT32 || type == WEFT_TYPE_FLOAT64;
    if (fl && (a->kind == WEFT_AGG_SUM || a->kind == WEFT_AGG_MEAN || a->kind == WEFT_AGG_STD ||
               a->kind == WEFT_AGG_VAR))
      return 0;
  }
  return 1;
}

static int has_key(const weft_plan *sort, const char *name) {
  for (size_t k = 0; k < sort->n; k++)
    if (!strcmp(sort->keys[k], name)) return 1;
  return 0;
}

/* A sort (or top-k) whose keys include every key of a group_by (or unique) below it, through
 * filters and the selects and with_columns that pass those keys on: its rows' key tuples are
 * distinct, so its output order does not depend on its input order. */
static int sorts_totally(const weft_plan *sort) {
  for (const weft_plan *q = sort->in;; q = q->in) {
    if (q->kind == WEFT__P_FILTER) continue;
    if (q->kind == WEFT__P_SELECT || q->kind == WEFT__P_WITH_COLUMNS) {
      for (size_t i = 0; i < q->n; i++) {
        const weft_expr *e = q->exprs[i];
        if (q->kind == WEFT__P_SELECT && e->kind == WEFT__E_COLUMN) continue;
        const char *name;
        weft_type type;
        if (weft_expr_output(e, q->in->proto, &name, &type) != WEFT_OK) {
          weft__error_clear();
          return 0;
        }
        if (has_key(sort, name)) return 0; /* a sort key computed here */
      }
      continue;
    }
    if ((q->kind == WEFT__P_GROUP_BY || q->kind == WEFT__P_UNIQUE) && q->n > 0) {
      for (size_t k = 0; k < q->n; k++)
        if (!has_key(sort, q->keys[k])) return 0;
      return 1;
    }
    return 0;
  }
}

/* Whether the order of p's input rows may change, given whether p's own may (`any_order`). */
static int child_any_order(const weft_plan *p, int any_order) {
  switch (p->kind) {
    case WEFT__P_FILTER: case WEFT__P_SELECT: case WEFT__P_WITH_COLUMNS:
      return any_order && exprs_row_wise(p);
    case WEFT__P_GROUP_BY: return (any_order || p->n == 0) && aggs_order_free(p);
    case WEFT__P_SORT: return any_order || sorts_totally(p);
    case WEFT__P_TOP_K: return sorts_totally(p);
    case WEFT__P_JOIN: return any_order;
    default: return 0;
  }
}

/* ---------------------------------------------------------------- taking a chain apart */

static int member(const weft_plan *p) {
  for (; p->kind == WEFT__P_FILTER; p = p->in)
    if (p->keep || weft__plan_has_aggs(p) || !row_wise(p->exprs[0])) return 0;
  return p->kind == WEFT__P_JOIN && WEFT__JOIN_KIND(p->how) == WEFT_JOIN_INNER && p->n > 0;
}

static const ref *find(const map *m, const char *name) {
  for (size_t i = 0; i < m->n; i++)
    if (!strcmp(m->v[i].name, name)) return &m->v[i];
  return NULL;
}

static weft_status add_preds(chain *c, const weft_expr *e, const map *m) {
  if (e->kind == WEFT__E_BINARY && e->op == WEFT_OP_AND) {
    WEFT_RETURN_NOT_OK(add_preds(c, e->a, m));
    return add_preds(c, e->b, m);
  }
  weft__names used = {0};
  weft__names_add_expr(&used, e);
  weft_status st = used.oom ? oom() : grow((void **)&c->preds, &c->cappred, c->npred, sizeof *c->preds);
  pred *p = st == WEFT_OK ? &c->preds[c->npred] : NULL;
  if (p) {
    *p = (pred){e, weft__calloc(used.n + 1, sizeof *p->reads), 0, 0, 0};
    if (p->reads) c->npred++;
    else st = oom();
  }
  for (size_t i = 0; st == WEFT_OK && i < used.n; i++) {
    const ref *r = find(m, used.v[i]);
    if (!r) {
      c->give_up = 1;
      break;
    }
    p->reads[p->nreads++] = (ref){used.v[i], r->leaf, r->col};
    p->mask |= 1u << r->leaf;
  }
  weft__names_free(&used);
  return st;
}

static int is_semi(const weft_plan *p) {
  weft_join_kind kind = WEFT__JOIN_KIND(p->how);
  return p->kind == WEFT__P_JOIN && p->n > 0 && (kind == WEFT_JOIN_SEMI || kind == WEFT_JOIN_ANTI);
}

static weft_status collect(const weft_plan *p, chain *c, map *m);

/* A semi or anti join keeps or drops each left row by its keys alone, so it commutes with
 * the inner joins: it is applied once the chain holds its keys' leaves, after their joins,
 * when the rows left to test are fewest (TPC-H Q21's two semi joins of 3.8M lineitem rows
 * then test the 150k that reach the filtered supplier). */
static weft_status collect_semi(const weft_plan *p, chain *c, map *m) {
  WEFT_RETURN_NOT_OK(collect(p->in, c, m));
  if (c->give_up) return WEFT_OK;
  if (m->n != p->proto->ncols) { /* a semi join outputs its left columns as they are */
    c->give_up = 1;
    return WEFT_OK;
  }
  WEFT_RETURN_NOT_OK(grow((void **)&c->semis, &c->capsemi, c->nsemi, sizeof *c->semis));
  semi *s = &c->semis[c->nsemi];
  memset(s, 0, sizeof *s);
  if (!(s->keys = weft__calloc(p->n, sizeof *s->keys))) return oom();
  c->nsemi++;
  s->p = p;
  for (size_t k = 0; k < p->n; k++) {
    const ref *r = find(m, p->keys[k]);
    if (!r) {
      c->give_up = 1;
      return WEFT_OK;
    }
    s->keys[k] = *r;
    s->mask |= 1u << r->leaf;
  }
  return WEFT_OK;
}

/* Fills `m` with p's output columns, adding p's leaves, key equalities and conjuncts to c. */
static weft_status collect(const weft_plan *p, chain *c, map *m) {
  if (c->give_up) return WEFT_OK;
  if (is_semi(p)) return collect_semi(p, c, m);
  if (!member(p)) {
    if (c->nleaf == MAX_LEAVES) {
      c->give_up = 1;
      return WEFT_OK;
    }
    int i = c->nleaf++;
    c->leaf[i] = p;
    size_t n = p->proto->ncols;
    if (!(m->v = weft__calloc(n ? n : 1, sizeof *m->v))) return oom();
    for (size_t j = 0; j < n; j++) m->v[j] = (ref){p->proto->names[j], i, j};
    m->n = n;
    return WEFT_OK;
  }
  if (p->kind == WEFT__P_FILTER) {
    WEFT_RETURN_NOT_OK(collect(p->in, c, m));
    return c->give_up ? WEFT_OK : add_preds(c, p->exprs[0], m);
  }
  map l = {0}, r = {0};
  weft__join_out *cols = NULL;
  size_t ncols = 0;
  if (member(p->right)) c->bushy = 1;
  weft_status st = collect(p->in, c, &l);
  if (st == WEFT_OK) st = collect(p->right, c, &r);
  for (size_t k = 0; st == WEFT_OK && !c->give_up && k < p->n; k++) {
    const ref *a = find(&l, p->keys[k]), *b = find(&r, p->right_keys[k]);
    if (!a || !b) {
      c->give_up = 1;
      break;
    }
    st = grow((void **)&c->edges, &c->capedge, c->nedge, sizeof *c->edges);
    if (st == WEFT_OK) c->edges[c->nedge++] = (edge){a->leaf, b->leaf, a->col, b->col};
  }
  if (st == WEFT_OK && !c->give_up)
    st = weft__join_layout_of(p->in->proto, p->right->proto, p->n, (const char *const *)p->keys,
                              (const char *const *)p->right_keys, p->how, p->suffix, &cols, &ncols);
  if (st == WEFT_OK && !c->give_up && ncols != p->proto->ncols) c->give_up = 1;
  if (st == WEFT_OK && !c->give_up && !(m->v = weft__calloc(ncols ? ncols : 1, sizeof *m->v))) st = oom();
  for (size_t j = 0; st == WEFT_OK && !c->give_up && j < ncols; j++) {
    const weft__join_out *o = &cols[j];
    if (o->side > 1) {
      c->give_up = 1;
      break;
    }
    m->v[j] = o->side == 0 ? l.v[o->col] : r.v[o->col];
    m->v[j].name = p->proto->names[j];
    m->n = j + 1;
  }
  weft__join_layout_free(cols, ncols);
  free(l.v), free(r.v);
  return st;
}

/* ---------------------------------------------------------------- choosing the order */

static const char *col_name(const chain *c, int leaf, size_t col) {
  const char *re = c->rename[leaf] ? c->rename[leaf][col] : NULL;
  return re ? re : c->leaf[leaf]->proto->names[col];
}

/* Rows of joining the leaves of `mask` (est rows) with leaf x; -1 when no key links them. */
static double join_rows(const chain *c, unsigned mask, double rows, int x) {
  double d = 0;
  for (size_t i = 0; i < c->nedge; i++) {
    const edge *e = &c->edges[i];
    int in_a = (mask >> e->a) & 1, in_b = (mask >> e->b) & 1;
    if ((in_a && e->b == x) || (in_b && e->a == x)) d = fmax(d, fmax(1, fmin(c->base[e->a], c->base[e->b])));
  }
  return d > 0 ? rows * c->est[x] / d : -1;
}

/* The work of joining the leaves in `seq` (n of them) in turn; INFINITY when a step has no key. */
static double work_of(const chain *c, const int *seq, int n) {
  double rows = c->est[seq[0]], work = 0;
  unsigned mask = 1u << seq[0];
  for (int k = 1; k < n; k++) {
    double out = join_rows(c, mask, rows, seq[k]);
    if (out < 0) return INFINITY;
    work += rows + c->est[seq[k]] + out;
    rows = out, mask |= 1u << seq[k];
  }
  return work;
}

/* The least-work greedy order over every start pair into `best`; its work. */
static double choose(const chain *c, int *best) {
  double best_work = INFINITY;
  int seq[MAX_LEAVES];
  for (int i = 0; i < c->nleaf; i++)
    for (int j = 0; j < c->nleaf; j++) {
      if (i == j || join_rows(c, 1u << i, c->est[i], j) < 0) continue;
      seq[0] = i, seq[1] = j;
      unsigned mask = (1u << i) | (1u << j);
      double rows = join_rows(c, 1u << i, c->est[i], j);
      int n = 2;
      for (; n < c->nleaf; n++) {
        int pick = -1;
        double pick_rows = 0;
        for (int x = 0; x < c->nleaf; x++) {
          double out = (mask >> x) & 1 ? -1 : join_rows(c, mask, rows, x);
          if (out >= 0 && (pick < 0 || out < pick_rows)) pick = x, pick_rows = out;
        }
        if (pick < 0) break;
        seq[n] = pick, mask |= 1u << pick, rows = pick_rows;
      }
      if (n < c->nleaf) continue;
      double w = work_of(c, seq, n);
      if (w < best_work) best_work = w, memcpy(best, seq, sizeof seq);
    }
  return best_work;
}

/* ---------------------------------------------------------------- building it */

/* Names a leaf column takes in the new chain: its own unless another leaf has the same. */
static weft_status plan_renames(chain *c) {
  for (int i = 0; i < c->nleaf; i++) {
    const weft_table *t = c->leaf[i]->proto;
    for (size_t j = 0; j < t->ncols; j++) {
      int clash = 0;
      for (int k = 0; k < c->nleaf && !clash; k++)
        for (size_t q = 0; k != i && q < c->leaf[k]->proto->ncols; q++)
          if (!strcmp(c->leaf[k]->proto->names[q], t->names[j])) clash = 1;
      if (!clash) continue;
      if (!c->rename[i] && !(c->rename[i] = weft__calloc(t->ncols, sizeof *c->rename[i]))) return oom();
      size_t len = strlen(t->names[j]) + 16;
      if (!(c->rename[i][j] = weft__malloc(len))) return oom();
      snprintf(c->rename[i][j], len, "%s~%d", t->names[j], i);
      for (int k = 0; k < c->nleaf; k++) /* a column already named so: leave the chain be */
        for (size_t q = 0; q < c->leaf[k]->proto->ncols; q++)
          if (!strcmp(c->leaf[k]->proto->names[q], c->rename[i][j])) c->give_up = 1;
    }
  }
  return WEFT_OK;
}

/* `in` (taken over) under a select of its columns named `names` (NULL: as they are) and
 * aliased `as` (NULL entries: unchanged). */
static weft_status select_as(weft_plan *in, size_t n, const char *const *names,
                             const char *const *as, weft_plan **out) {
  weft_expr **exprs = weft__calloc(n ? n : 1, sizeof *exprs);
  weft_status st = exprs ? WEFT_OK : oom();
  for (size_t i = 0; st == WEFT_OK && i < n; i++) {
    weft_expr *col = NULL;
    st = weft_expr_column(names[i], &col);
    if (st == WEFT_OK && as[i] && strcmp(as[i], names[i])) {
      st = weft_expr_alias(col, as[i], &exprs[i]);
      weft_expr_free(col);
    } else exprs[i] = col;
  }
  if (st == WEFT_OK) st = weft_plan_select(in, n, (const weft_expr *const *)exprs, out);
  for (size_t i = 0; exprs && i < n; i++) weft_expr_free(exprs[i]);
  free(exprs);
  weft_plan_free(in);
  return st;
}

static weft_status build_leaves(chain *c) {
  for (size_t i = 0; i < c->nsemi; i++) /* what a semi join finds does not depend on order */
    WEFT_RETURN_NOT_OK(order(c->semis[i].p->right, 1, 0, &c->semis[i].right));
  for (int i = 0; i < c->nleaf; i++) {
    weft_plan *rw = NULL;
    WEFT_RETURN_NOT_OK(order(c->leaf[i], 1, 0, &rw));
    if (!c->rename[i]) {
      c->built[i] = rw;
      continue;
    }
    const weft_table *t = c->leaf[i]->proto;
    WEFT_RETURN_NOT_OK(select_as(rw, t->ncols, (const char *const *)t->names,
                                 (const char *const *)c->rename[i], &c->built[i]));
  }
  return WEFT_OK;
}

/* `node` (taken over) under the conjuncts not yet placed whose leaves are all in `mask`. */
static weft_status place_preds(chain *c, unsigned mask, weft_plan **node) {
  for (size_t i = 0; i < c->npred; i++) {
    pred *p = &c->preds[i];
    if (p->placed || (p->mask & mask) != p->mask) continue;
    weft_plan *f = NULL;
    weft_status st = weft_plan_filter(*node, p->e, &f);
    weft_plan_free(*node);
    *node = f;
    if (st != WEFT_OK) return st;
    p->placed = 1;
  }
  return WEFT_OK;
}

/* `node` (taken over) under the semi and anti joins not yet placed whose keys' leaves are
 * all in `mask`, in the order written. */
static weft_status place_semis(chain *c, unsigned mask, weft_plan **node) {
  for (size_t i = 0; i < c->nsemi; i++) {
    semi *s = &c->semis[i];
    if (s->placed || (s->mask & mask) != s->mask) continue;
    const char **lk = weft__calloc(s->p->n, sizeof *lk);
    if (!lk) return oom();
    for (size_t k = 0; k < s->p->n; k++) lk[k] = col_name(c, s->keys[k].leaf, s->keys[k].col);
    weft_plan *j = NULL;
    weft_status st = weft_plan_join(*node, s->right, s->p->n, lk, (const char *const *)s->p->right_keys,
                                    s->p->how, s->p->suffix, &j);
    free(lk);
    weft_plan_free(*node);
    *node = j;
    if (st != WEFT_OK) return st;
    s->placed = 1;
  }
  return WEFT_OK;
}

static weft_status build_chain(chain *c, const int *seq, weft_plan **out) {
  weft_plan *cur = weft__plan_ref(c->built[seq[0]]);
  double rows = c->est[seq[0]];
  unsigned mask = 1u << seq[0];
  weft_status st = WEFT_OK;
  const char **lk = weft__calloc(c->nedge + 1, sizeof *lk), **rk = weft__calloc(c->nedge + 1, sizeof *rk);
  if (!lk || !rk) st = oom();
  for (int k = 1; st == WEFT_OK && k < c->nleaf; k++) {
    int x = seq[k];
    double out_rows = join_rows(c, mask, rows, x);
    size_t nk = 0;
    int cur_left = rows >= c->est[x]; /* the larger side probes, the smaller is built */
    for (size_t i = 0; i < c->nedge; i++) {
      const edge *e = &c->edges[i];
      const char *in_cur = NULL, *in_x = NULL;
      if (((mask >> e->a) & 1) && e->b == x) in_cur = col_name(c, e->a, e->ca), in_x = col_name(c, x, e->cb);
      else if (((mask >> e->b) & 1) && e->a == x) in_cur = col_name(c, e->b, e->cb), in_x = col_name(c, x, e->ca);
      else continue;
      lk[nk] = cur_left ? in_cur : in_x, rk[nk] = cur_left ? in_x : in_cur, nk++;
    }
    weft_plan *j = NULL;
    weft_join_kind how = (weft_join_kind)(WEFT_JOIN_INNER | WEFT_JOIN_NO_COALESCE);
    st = weft_plan_join(cur_left ? cur : c->built[x], cur_left ? c->built[x] : cur, nk, lk, rk, how,
                        "_right", &j);
    weft_plan_free(cur);
    cur = j;
    if (st != WEFT_OK) break;
    j->reordered = 1, j->estimate = out_rows;
    mask |= 1u << x, rows = out_rows;
    st = place_preds(c, mask, &cur);
    if (st == WEFT_OK) st = place_semis(c, mask, &cur);
  }
  free(lk), free(rk);
  if (st != WEFT_OK) {
    weft_plan_free(cur);
    return st;
  }
  *out = cur;
  return WEFT_OK;
}

static int same_schema(const weft_table *a, const weft_table *b) {
  if (a->ncols != b->ncols) return 0;
  for (size_t i = 0; i < a->ncols; i++)
    if (strcmp(a->names[i], b->names[i]) || a->cols[i].view.type != b->cols[i].view.type) return 0;
  return 1;
}

static void chain_free(chain *c) {
  for (int i = 0; i < c->nleaf; i++) {
    weft_plan_free(c->built[i]);
    for (size_t j = 0; c->rename[i] && j < c->leaf[i]->proto->ncols; j++) free(c->rename[i][j]);
    free(c->rename[i]);
  }
  for (size_t i = 0; i < c->nsemi; i++) free(c->semis[i].keys), weft_plan_free(c->semis[i].right);
  for (size_t i = 0; i < c->npred; i++) free(c->preds[i].reads);
  free(c->edges), free(c->preds), free(c->semis);
}

/* The chain rooted at `p` joined again in a better order into *out; *out NULL when it stays
 * as written. */
static weft_status reorder(const weft_plan *p, weft_plan **out) {
  *out = NULL;
  chain c = {0};
  map root = {0};
  int seq[MAX_LEAVES], written[MAX_LEAVES], same = 1;
  double best, was;
  weft_plan *joined = NULL, *back = NULL;
  const char **from = NULL, **as = NULL;
  weft_status st = collect(p, &c, &root);
  if (st != WEFT_OK || c.give_up || c.nleaf < 3) goto done;
  for (int i = 0; i < c.nleaf; i++) {
    c.est[i] = weft__plan_estimate_rows(c.leaf[i]);
    c.base[i] = fmax(1, fmax((double)c.leaf[i]->rows, c.est[i]));
  }
  best = choose(&c, seq);
  for (int i = 0; i < c.nleaf; i++) written[i] = i, same &= seq[i] == i;
  was = c.bushy ? INFINITY : work_of(&c, written, c.nleaf);
  if (same || !(best < WRITTEN_MARGIN * was)) goto done;
  if ((st = plan_renames(&c)) != WEFT_OK || c.give_up) goto done;
  /* a conjunct must find its columns under the names it reads in the new chain (a renamed
   * column, or a suffixed one whose plain name another leaf holds, would not) */
  for (size_t i = 0; i < c.npred; i++)
    for (size_t r = 0; r < c.preds[i].nreads; r++) {
      const ref *x = &c.preds[i].reads[r];
      if (strcmp(col_name(&c, x->leaf, x->col), x->name)) goto done;
    }
  if ((st = build_leaves(&c)) != WEFT_OK) goto done;
  if ((st = build_chain(&c, seq, &joined)) != WEFT_OK) goto done;
  from = weft__calloc(root.n ? root.n : 1, sizeof *from);
  as = weft__calloc(root.n ? root.n : 1, sizeof *as);
  if (!from || !as) st = oom();
  for (size_t i = 0; st == WEFT_OK && i < root.n; i++)
    from[i] = col_name(&c, root.v[i].leaf, root.v[i].col), as[i] = root.v[i].name;
  if (st == WEFT_OK) st = select_as(joined, root.n, from, as, &back);
  else weft_plan_free(joined);
  if (st == WEFT_OK && same_schema(back->proto, p->proto)) *out = back;
  else weft_plan_free(back);
done:
  if (st != WEFT_OK && st != WEFT_ERR_OUT_OF_MEMORY) {
    weft__error_clear(); /* a rewrite that does not build: the chain stays as written */
    st = WEFT_OK;
  }
  free(from), free(as);
  free(root.v);
  chain_free(&c);
  return st;
}

/* ---------------------------------------------------------------- the walk */

static weft_status order(const weft_plan *p, int any_order, int considered, weft_plan **out) {
  int is_member = member(p);
  if (is_member && any_order && !considered) {
    WEFT_RETURN_NOT_OK(reorder(p, out));
    if (*out) return WEFT_OK;
  }
  int cf = child_any_order(p, any_order);
  weft_plan *in = NULL, *right = NULL;
  weft_status st = WEFT_OK;
  /* a chain left as written is not considered again at each of its joins */
  if (p->in) st = order(p->in, cf, is_member && member(p->in), &in);
  if (st == WEFT_OK && p->right) st = order(p->right, cf, is_member && member(p->right), &right);
  if (st == WEFT_OK) {
    if (in == p->in && right == p->right) *out = weft__plan_ref(p);
    else st = weft__plan_rebuild(p, in, right, out);
  }
  weft_plan_free(in), weft_plan_free(right);
  return st;
}

weft_status weft__plan_join_order(const weft_plan *plan, weft_plan **out) {
  return order(plan, 0, 0, out);
}
