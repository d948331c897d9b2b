/* Shared sub-plans: equal sub-trees of the optimized plan numbered as one class (hash-consing
 * bottom-up, so children compare by class; plan_same.c compares a node's own fields), their uses counted as collect walks, and the
 * first use's result kept for the later ones (see plan_reuse.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "frame/table/table.h"
#include "plan/plan_reuse.h"
#include "plan/plan_same.h"


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
  uint64_t h = weft__plan_node_hash(p, in, right);
  int found = -1;
  for (size_t j = r->nbyhash ? (size_t)h & (r->nbyhash - 1) : 0; r->nbyhash && r->byhash[j] >= 0;
       j = (j + 1) & (r->nbyhash - 1)) {
    const reuse_class *k = &r->classes[r->byhash[j]];
    if (k->hash == h && k->in == in && k->right == right && weft__plan_same_node(k->rep, p)) {
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

int weft__reuse_shared(const weft__reuse *r, const weft_plan *p) {
  int cls = r ? lookup(r, p) : -1;
  return cls >= 0 && r->classes[cls].id > 0;
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
