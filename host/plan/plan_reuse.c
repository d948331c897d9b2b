/* Shared sub-plans: equal sub-trees of the optimized plan numbered as one class (hash-consing
 * bottom-up, so children compare by class), their uses counted as collect walks, and the
 * first use's result kept for the later ones (see plan_reuse.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "frame/expr/expr.h"
#include "frame/table/table.h"
#include "plan/plan_reuse.h"

/* A field added to either struct must be compared below (or shown not to change what a
 * node computes) before two nodes can be called equal: these sizes make that a build error. */
#if UINTPTR_MAX == UINT64_MAX && defined(__x86_64__)
_Static_assert(sizeof(struct weft_expr) == 120, "weft_expr has a new field: compare it in same_expr");
_Static_assert(sizeof(struct weft_plan) == 1304, "weft_plan has a new field: compare it in same_node");
#endif

typedef struct reuse_class {
  const weft_plan *rep; /* the first node of the class */
  uint64_t hash;
  int in, right;        /* the children's classes (-1: none) */
  int uses;             /* the times collect's walk meets it */
  int64_t occ;          /* weft__reuse_classes: the times a walk of the whole tree meets it */
  int order;            /* when that walk first met it */
  int id;               /* 1.. when shared (met more than once, worth keeping), else 0 */
  int seen;             /* the uses weft__reuse_visit has met so far */
  weft_table *result;   /* collect: the first use's result, until its last use */
} reuse_class;

typedef struct node_slot {
  const weft_plan *p;
  int cls;
  int64_t occ; /* weft__reuse_classes: the times a walk of the tree meets this node */
} node_slot;

struct weft__reuse {
  reuse_class *classes;
  int nclasses, cap;
  node_slot *nodes; /* open addressing: node -> class */
  size_t nslots, nnodes;
  int *byhash;      /* open addressing: class indices by their hash (-1: empty) */
  size_t nbyhash;
  const weft_plan **order; /* the distinct nodes, children before parents */
};

/* ---------------------------------------------------------------- equality */

static int same_str(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

static int same_names(char *const *a, char *const *b, size_t n) {
  if (!a || !b) return a == b;
  for (size_t i = 0; i < n; i++)
    if (!same_str(a[i], b[i])) return 0;
  return 1;
}

static int same_ints(const int *a, const int *b, size_t n) {
  if (!a || !b) return a == b;
  return !memcmp(a, b, n * sizeof *a);
}

/* is_in's sorted values: strings by their bytes, numbers by their bits (NaN payloads and
 * -0.0 then differ: conservative). */
static int same_set(const weft_expr *a, const weft_expr *b) {
  if (a->nset == 0) return 1;
  if (!a->set || !b->set) return 0;
  if (a->type == WEFT_TYPE_UTF8) {
    const weft__str_ref *x = a->set, *y = b->set;
    for (int64_t i = 0; i < a->nset; i++)
      if (x[i].len != y[i].len || memcmp(x[i].p, y[i].p, (size_t)x[i].len)) return 0;
    return 1;
  }
  size_t width = weft__type_is_decimal(a->type) ? sizeof(weft__i128) : 8;
  return !memcmp(a->set, b->set, (size_t)a->nset * width);
}

/* Two expressions compute the same values over the same input when they are one object, or
 * of a kind known here with every field and child equal. */
static int same_expr(const weft_expr *a, const weft_expr *b) {
  if (a == b) return 1;
  if (!a || !b) return 0;
  if (a->kind != b->kind || a->op != b->op || a->type != b->type || a->is_null != b->is_null ||
      a->i != b->i || memcmp(&a->f, &b->f, sizeof a->f) || a->i2 != b->i2 ||
      a->literal != b->literal || a->duration != b->duration || a->nset != b->nset ||
      !same_str(a->s, b->s) || !same_str(a->text, b->text))
    return 0;
  switch (a->kind) {
    case WEFT__E_COLUMN: case WEFT__E_LITERAL: case WEFT__E_BINARY: case WEFT__E_UNARY:
    case WEFT__E_CAST: case WEFT__E_FILL_NULL: case WEFT__E_CONTAINS: case WEFT__E_STARTS_WITH:
    case WEFT__E_ALIAS: case WEFT__E_WHEN: case WEFT__E_BRANCHES: case WEFT__E_ROUND:
    case WEFT__E_AGG: case WEFT__E_OVER: case WEFT__E_OVER_KEY:
      if (a->set || b->set || a->s2 || b->s2) return 0; /* these kinds have none */
      break;
    case WEFT__E_STR_OP: /* str.replace's value, copied with its terminator */
      if (a->set || b->set || !same_str(a->s2, b->s2)) return 0;
      break;
    case WEFT__E_IS_IN:
      if (!same_set(a, b)) return 0;
      break;
    case WEFT__E_VEC_DISTANCE: /* the query: nset floats */
      if (!a->set || !b->set || memcmp(a->set, b->set, (size_t)a->nset * sizeof(float))) return 0;
      break;
    default: return 0; /* a kind added later: only the same object */
  }
  return same_expr(a->a, b->a) && same_expr(a->b, b->b);
}

static int same_exprs(weft_expr *const *a, weft_expr *const *b, size_t n) {
  if (!a || !b) return a == b;
  for (size_t i = 0; i < n; i++)
    if (!same_expr(a[i], b[i])) return 0;
  return 1;
}

/* Names and types: the schema. */
static int same_schema(const weft_table *a, const weft_table *b) {
  if (a == b) return 1;
  if (!a || !b || a->ncols != b->ncols) return 0;
  for (size_t c = 0; c < a->ncols; c++)
    if (!same_str(a->names[c], b->names[c]) || a->cols[c].view.type != b->cols[c].view.type) return 0;
  return 1;
}

/* A scan's rows: the very same buffers seen over the same rows (tables are immutable, so
 * equal pointers held alive by both scans are equal contents). */
static int same_rows(const weft_table *a, const weft_table *b) {
  if (!same_schema(a, b)) return 0;
  if (!a || a == b) return 1;
  if (a->rows != b->rows) return 0;
  for (size_t c = 0; c < a->ncols; c++) {
    const weft_column_view *x = &a->cols[c].view, *y = &b->cols[c].view;
    if (x->length != y->length || x->offset != y->offset || x->validity != y->validity ||
        x->values != y->values || x->data != y->data)
      return 0;
  }
  return 1;
}

/* Every field of two nodes whose children are of the same classes. */
static int same_node(const weft_plan *a, const weft_plan *b) {
  if (a == b) return 1;
  if (a->kind != b->kind || a->n != b->n || a->rows != b->rows || a->how != b->how ||
      a->offset != b->offset || a->length != b->length || a->nkeep != b->nkeep ||
      a->naggs != b->naggs || a->nq != b->nq || a->dim != b->dim || a->metric != b->metric ||
      a->batch != b->batch || a->reordered != b->reordered ||
      memcmp(&a->estimate, &b->estimate, sizeof a->estimate) || a->vindex != b->vindex ||
      a->no_post_filter != b->no_post_filter || a->source != b->source ||
      a->source_ncols != b->source_ncols || !same_str(a->suffix, b->suffix))
    return 0;
  size_t nexprs = a->kind == WEFT__P_NEAREST ? 1 : a->n; /* nearest: n counts its column */
  if (!same_exprs(a->exprs, b->exprs, nexprs) || !same_names(a->keys, b->keys, a->n) ||
      !same_names(a->right_keys, b->right_keys, a->n) ||
      !same_ints(a->descending, b->descending, a->n) ||
      !same_ints(a->nulls_last, b->nulls_last, a->n) || !same_names(a->keep, b->keep, a->nkeep) ||
      !same_expr(a->scan_predicate, b->scan_predicate))
    return 0;
  if (!a->aggs != !b->aggs) return 0;
  for (size_t i = 0; a->aggs && i < a->naggs; i++)
    if (a->aggs[i].kind != b->aggs[i].kind || !same_expr(a->aggs[i].input, b->aggs[i].input) ||
        !same_str(a->aggs[i].name, b->aggs[i].name))
      return 0;
  if (!a->queries != !b->queries ||
      (a->queries && memcmp(a->queries, b->queries, a->nq * a->dim * sizeof *a->queries)))
    return 0;
  return same_rows(a->table, b->table) && same_schema(a->proto, b->proto);
}

/* ---------------------------------------------------------------- hashing */

static uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdull;
}

static uint64_t mix_str(uint64_t h, const char *s) {
  uint64_t f = 1469598103934665603ull; /* FNV-1a */
  for (; s && *s; s++) f = (f ^ (unsigned char)*s) * 1099511628211ull;
  return mix(h, f);
}

/* Equal nodes hash equal: only fields same_node compares exactly, by value. */
static uint64_t node_hash(const weft_plan *p, int in, int right) {
  uint64_t h = mix(mix(mix((uint64_t)p->kind, (uint64_t)(int64_t)in), (uint64_t)(int64_t)right), p->n);
  h = mix(mix(h, (uint64_t)p->rows), p->naggs);
  size_t nexprs = p->kind == WEFT__P_NEAREST ? 1 : p->n;
  for (size_t i = 0; p->exprs && i < nexprs; i++) h = mix_str(h, p->exprs[i] ? p->exprs[i]->text : "");
  for (size_t i = 0; p->keys && i < p->n; i++) h = mix_str(h, p->keys[i]);
  if (p->table)
    for (size_t c = 0; c < p->table->ncols; c++) h = mix(h, (uint64_t)(uintptr_t)p->table->cols[c].view.values);
  return h;
}

static size_t ptr_slot(const void *p, size_t nslots) {
  return (size_t)(((uint64_t)(uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ull >> 20) & (nslots - 1);
}

/* ---------------------------------------------------------------- the table of classes */

static weft_status oom(void) {
  return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for the table of shared sub-plans");
}

static weft_status grow_nodes(weft__reuse *r) {
  size_t n = r->nslots ? r->nslots * 2 : 64;
  node_slot *s = weft__calloc(n, sizeof *s);
  const weft_plan **order = weft__realloc(r->order, n / 2 * sizeof *order);
  if (order) r->order = order;
  if (!s || !order) {
    free(s);
    return oom();
  }
  for (size_t i = 0; i < r->nslots; i++) {
    if (!r->nodes[i].p) continue;
    size_t j = ptr_slot(r->nodes[i].p, n);
    while (s[j].p) j = (j + 1) & (n - 1);
    s[j] = r->nodes[i];
  }
  free(r->nodes);
  r->nodes = s, r->nslots = n;
  return WEFT_OK;
}

static weft_status grow_byhash(weft__reuse *r) {
  size_t n = r->nbyhash ? r->nbyhash * 2 : 64;
  int *s = weft__malloc(n * sizeof *s);
  if (!s) return oom();
  for (size_t i = 0; i < n; i++) s[i] = -1;
  for (int c = 0; c < r->nclasses; c++) {
    size_t j = (size_t)r->classes[c].hash & (n - 1);
    while (s[j] >= 0) j = (j + 1) & (n - 1);
    s[j] = c;
  }
  free(r->byhash);
  r->byhash = s, r->nbyhash = n;
  return WEFT_OK;
}

static int lookup(const weft__reuse *r, const weft_plan *p) {
  if (!r->nslots) return -1;
  for (size_t j = ptr_slot(p, r->nslots); r->nodes[j].p; j = (j + 1) & (r->nslots - 1))
    if (r->nodes[j].p == p) return r->nodes[j].cls;
  return -1;
}

/* The class of `p`, made bottom-up (children first). */
static weft_status classify(weft__reuse *r, const weft_plan *p, int *cls) {
  if ((*cls = lookup(r, p)) >= 0) return WEFT_OK;
  int in = -1, right = -1;
  if (p->in) WEFT_RETURN_NOT_OK(classify(r, p->in, &in));
  if (p->right) WEFT_RETURN_NOT_OK(classify(r, p->right, &right));
  uint64_t h = node_hash(p, in, right);
  int found = -1;
  for (size_t j = r->nbyhash ? (size_t)h & (r->nbyhash - 1) : 0; r->nbyhash && r->byhash[j] >= 0;
       j = (j + 1) & (r->nbyhash - 1)) {
    const reuse_class *k = &r->classes[r->byhash[j]];
    if (k->hash == h && k->in == in && k->right == right && same_node(k->rep, p)) {
      found = r->byhash[j];
      break;
    }
  }
  if (found < 0) {
    if (r->nclasses == r->cap) {
      int cap = r->cap ? r->cap * 2 : 32;
      reuse_class *c = weft__realloc(r->classes, (size_t)cap * sizeof *c);
      if (!c) return oom();
      r->classes = c, r->cap = cap;
    }
    found = r->nclasses++;
    r->classes[found] = (reuse_class){.rep = p, .hash = h, .in = in, .right = right};
    if ((size_t)r->nclasses * 2 > r->nbyhash) WEFT_RETURN_NOT_OK(grow_byhash(r));
    else {
      size_t j = (size_t)h & (r->nbyhash - 1);
      while (r->byhash[j] >= 0) j = (j + 1) & (r->nbyhash - 1);
      r->byhash[j] = found;
    }
  }
  if ((r->nnodes + 1) * 2 > r->nslots) WEFT_RETURN_NOT_OK(grow_nodes(r));
  if (!r->order) return oom();
  size_t j = ptr_slot(p, r->nslots);
  while (r->nodes[j].p) j = (j + 1) & (r->nslots - 1);
  r->nodes[j] = (node_slot){p, found, 0};
  r->order[r->nnodes++] = p;
  *cls = found;
  return WEFT_OK;
}

/* ---------------------------------------------------------------- uses */

/* Collect's walk: a fused node runs its inputs' inputs; a later use runs nothing below it. */
static void count_uses(weft__reuse *r, const weft_plan *p, const weft_exec *exec, int *next) {
  int cls = lookup(r, p);
  if (cls < 0) return; /* classify met every node */
  reuse_class *k = &r->classes[cls];
  if (k->uses++ > 0) {
    if (!k->id && !(k->rep->kind == WEFT__P_SCAN && !k->rep->source)) k->id = -1; /* numbered below */
    return;
  }
  k->order = (*next)++;
  const weft_plan *inputs = weft__plan_inputs(p, weft__plan_fused(p, exec));
  if (inputs->in) count_uses(r, inputs->in, exec, next);
  if (inputs->right) count_uses(r, inputs->right, exec, next);
}

static int by_order(const void *x, const void *y) {
  const reuse_class *a = *(reuse_class *const *)x, *b = *(reuse_class *const *)y;
  return (a->order > b->order) - (a->order < b->order);
}

int weft__reuse_enabled(void) {
  const char *off = getenv("WEFT_TEST_NO_PLAN_REUSE");
  return !(off && *off && strcmp(off, "0"));
}

weft_status weft__reuse_find(const weft_plan *plan, const weft_exec *exec, weft__reuse **out) {
  *out = NULL;
  if (!plan || !weft__reuse_enabled()) return WEFT_OK;
  weft__reuse *r = weft__calloc(1, sizeof *r);
  if (!r) return oom();
  int root = -1;
  weft_status st = classify(r, plan, &root);
  reuse_class **shared = NULL;
  if (st == WEFT_OK) {
    int order = 0, nshared = 0;
    count_uses(r, plan, exec, &order);
    for (int c = 0; c < r->nclasses; c++) nshared += r->classes[c].id < 0;
    if (nshared && !(shared = weft__malloc((size_t)nshared * sizeof *shared))) st = oom();
    for (int c = 0, s = 0; st == WEFT_OK && c < r->nclasses; c++)
      if (r->classes[c].id < 0) shared[s++] = &r->classes[c];
    if (st == WEFT_OK && nshared) { /* numbered top-down, as explain shows them */
      qsort(shared, (size_t)nshared, sizeof *shared, by_order);
      for (int s = 0; s < nshared; s++) shared[s]->id = s + 1;
    }
  }
  free(shared);
  if (st != WEFT_OK) {
    weft__reuse_free(r);
    return st;
  }
  *out = r;
  return WEFT_OK;
}

void weft__reuse_free(weft__reuse *r) {
  if (!r) return;
  for (int c = 0; c < r->nclasses; c++) weft_table_free(r->classes[c].result);
  free(r->classes);
  free(r->nodes);
  free(r->byhash);
  free(r->order);
  free(r);
}

weft__reuse_verdict weft__reuse_visit(weft__reuse *r, const weft_plan *p, int *id, int *uses) {
  *id = 0, *uses = 1;
  int cls = r ? lookup(r, p) : -1;
  if (cls < 0 || r->classes[cls].id <= 0) return WEFT__REUSE_RUN;
  reuse_class *k = &r->classes[cls];
  *id = k->id, *uses = k->uses;
  return k->seen++ == 0 ? WEFT__REUSE_FIRST : WEFT__REUSE_AGAIN;
}

weft_status weft__reuse_keep(weft__reuse *r, const weft_plan *p, const weft_table *result) {
  int cls = r ? lookup(r, p) : -1;
  if (cls < 0 || r->classes[cls].id <= 0 || r->classes[cls].seen >= r->classes[cls].uses)
    return WEFT_OK;
  weft_table_free(r->classes[cls].result);
  r->classes[cls].result = NULL;
  return weft_table_slice(result, 0, result->rows, &r->classes[cls].result);
}

weft_status weft__reuse_take(weft__reuse *r, const weft_plan *p, weft_table **out) {
  *out = NULL;
  int cls = r ? lookup(r, p) : -1;
  reuse_class *k = cls >= 0 ? &r->classes[cls] : NULL;
  if (!k || !k->result) return WEFT_OK;
  weft_status st = weft_table_slice(k->result, 0, k->result->rows, out);
  if (k->seen >= k->uses) { /* its last use */
    weft_table_free(k->result);
    k->result = NULL;
  }
  return st;
}

/* ---------------------------------------------------------------- the optimizer's view */

static node_slot *slot_of(const weft__reuse *r, const weft_plan *p) {
  if (!r->nslots) return NULL;
  for (size_t j = ptr_slot(p, r->nslots); r->nodes[j].p; j = (j + 1) & (r->nslots - 1))
    if (r->nodes[j].p == p) return &r->nodes[j];
  return NULL;
}

weft_status weft__reuse_classes(const weft_plan *plan, weft__reuse **out) {
  *out = NULL;
  weft__reuse *r = weft__calloc(1, sizeof *r);
  if (!r) return oom();
  int root = -1;
  weft_status st = classify(r, plan, &root);
  if (st != WEFT_OK) {
    weft__reuse_free(r);
    return st;
  }
  /* a node is met as often as its parents are, summed over them: parents first (the
   * reverse of classify's order), saturating far below overflow */
  const int64_t cap = (int64_t)1 << 40;
  slot_of(r, plan)->occ = 1;
  for (size_t i = r->nnodes; i-- > 0;) {
    const weft_plan *p = r->order[i];
    int64_t occ = slot_of(r, p)->occ;
    const weft_plan *kids[2] = {p->in, p->right};
    for (int k = 0; k < 2; k++) {
      if (!kids[k]) continue;
      node_slot *c = slot_of(r, kids[k]);
      c->occ = c->occ + occ > cap ? cap : c->occ + occ;
    }
    reuse_class *k = &r->classes[slot_of(r, p)->cls];
    k->occ = k->occ + occ > cap ? cap : k->occ + occ;
  }
  *out = r;
  return WEFT_OK;
}

int weft__reuse_nclasses(const weft__reuse *r) { return r ? r->nclasses : 0; }

int weft__reuse_class_of(const weft__reuse *r, const weft_plan *p, int *repeated) {
  int cls = r ? lookup(r, p) : -1;
  *repeated = cls >= 0 && r->classes[cls].occ > 1;
  return cls;
}
